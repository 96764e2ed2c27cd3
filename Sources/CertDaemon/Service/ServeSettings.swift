import CertCore
import CertStore
import Foundation
import Logging

/// The settings of `certsim serve`, with their defaults, turned into `DaemonOptions`. Kept in
/// the library (not in the command) so that the defaults and the parsing are tested.
///
/// Defaults: everything in the data directory `./certsim-data` — the store `certsim.sqlite`
/// and the control socket `certsim.sock` (mode 0600) — and the candidate API on
/// `127.0.0.1:8080`.
///
/// Owned by the daemon transports.
public struct ServeSettings: Sendable, Equatable {
    public static let defaultDataDirectory = "certsim-data"
    public static let defaultDatabaseName = "certsim.sqlite"
    public static let defaultSocketName = "certsim.sock"
    public static let defaultHTTPAddress = "127.0.0.1:8080"
    public static let defaultSeed: UInt64 = 1

    public var dataDirectory: String = ServeSettings.defaultDataDirectory
    /// A SQLite file, or a `postgres://USER@HOST:PORT/DATABASE` URL. Nil: `<dataDirectory>/certsim.sqlite`.
    public var databasePath: String?
    /// A file whose first line is the PostgreSQL password; nil: `PGPASSWORD`, if set.
    public var databasePasswordFile: String?
    /// On a PostgreSQL store: this daemon's name among those sharing it (nil: `HOST-PORT`).
    public var daemonId: String?
    /// On a PostgreSQL store: the base URL candidates reach this daemon at (nil: `http://` and
    /// the `--http` address; give it when that address is not the one others can reach).
    public var advertisedHTTPURL: String?
    /// On a PostgreSQL store: seconds a session's lease lasts without renewal.
    public var leaseSeconds: Double = 10
    /// Nil: `<dataDirectory>/certsim.sock`.
    public var socketPath: String?
    /// Octal text such as "0600" or "0660".
    public var socketMode: String = "0600"
    /// `HOST:PORT`; port 0 picks a free one.
    public var httpAddress: String = ServeSettings.defaultHTTPAddress
    /// The item bank file; nil: the bank built into the binary (``DefaultBank``).
    public var bankPath: String?
    /// Further banks, one per other competence framework.
    public var additionalBankPaths: [String] = []
    public var seed: UInt64 = ServeSettings.defaultSeed
    /// Nil: one per active processor.
    public var engines: Int?
    public var durability: Durability = .durable
    /// Certification version files; the first is the default of new sessions. Empty: the
    /// built-in core-v3.
    public var versionPaths: [String] = []

    public init(bankPath: String? = nil) {
        self.bankPath = bankPath
    }

    public var resolvedDatabasePath: String { databasePath ?? (dataDirectory as NSString).appendingPathComponent(Self.defaultDatabaseName) }
    public var resolvedSocketPath: String { socketPath ?? (dataDirectory as NSString).appendingPathComponent(Self.defaultSocketName) }

    /// Parses `HOST:PORT` (IPv6 hosts in brackets: `[::1]:8080`).
    public static func parseHTTPAddress(_ text: String) throws(DaemonError) -> (host: String, port: Int) {
        let invalid = DaemonError.badRequest(.invalidHTTPAddress, "--http must be HOST:PORT (e.g. 127.0.0.1:8080), not \"\(text)\".")
        guard let colon = text.lastIndex(of: ":") else { throw invalid }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw invalid
        }
        return (host, port)
    }

    /// Parses an octal mode; the owner must keep read/write and others get nothing.
    public static func parseSocketMode(_ text: String) throws(DaemonError) -> UInt32 {
        guard let mode = UInt32(text, radix: 8), mode & 0o7007 == 0, mode & 0o600 == 0o600, mode & 0o111 == 0 else {
            throw DaemonError.badRequest(
                .invalidSocketMode, "--socket-mode must be octal, give the owner rw and others nothing (0600 or 0660), not \"\(text)\".")
        }
        return mode
    }

    /// Creates the data directory when a default path needs it, loads the bank and builds the
    /// daemon's options.
    public func daemonOptions(clock: any DaemonClock = SystemClock()) throws -> DaemonOptions {
        let (host, port) = try Self.parseHTTPAddress(httpAddress)
        let mode = try Self.parseSocketMode(socketMode)
        if databasePath == nil || socketPath == nil, !FileManager.default.fileExists(atPath: dataDirectory) {
            // Owner-only: the store holds invigilator passwords and candidates' results.
            try FileManager.default.createDirectory(
                atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // The first bank is the built-in one unless `--bank` names one.
        var banks: [ItemBank] = []
        var bankPaths = additionalBankPaths
        if let bankPath { bankPaths.insert(bankPath, at: 0) } else { banks.append(DefaultBank.bank) }
        for path in bankPaths {
            do {
                banks.append(try ItemBank.load(path: path))
            } catch {
                throw DaemonError(error.code, "\(path): \(error.message)")
            }
        }
        var versions: [CertificationVersion] = []
        var cleaVersions: [CleaVersion] = []
        for path in versionPaths {
            switch try VersionDocument.load(path: path) {
            case .test(let version): versions.append(version)
            case .clea(let clea): cleaVersions.append(clea)
            }
        }
        if versions.isEmpty, !cleaVersions.isEmpty { versions = [BuiltInVersions.coreV3] }
        let store: StoreLocation
        do {
            store = try StoreLocation.parse(resolvedDatabasePath,
                                            password: try PostgresLocation.password(file: databasePasswordFile))
        } catch {
            throw DaemonError(error.code, error.message)
        }
        var core = DaemonConfiguration(
            bank: banks[0], additionalBanks: Array(banks.dropFirst()), versions: versions.isEmpty ? [BuiltInVersions.coreV3] : versions, seed: seed,
            durability: durability, databasePath: resolvedDatabasePath, clock: clock)
        core.cleaVersions = cleaVersions
        core.store = store
        if store.sqlitePath == nil {
            guard leaseSeconds.isFinite, leaseSeconds >= 0.5, leaseSeconds <= 3_600 else {
                throw DaemonError.badRequest(.invalidField, "--lease-seconds must be from 0.5 to 3600, not \(leaseSeconds).")
            }
            if advertisedHTTPURL == nil && port == 0 {
                throw DaemonError.badRequest(.invalidField, "With a PostgreSQL store, other daemons send candidates to this one's address: give --http a fixed port, or --advertise-http.")
            }
            let url = advertisedHTTPURL ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
            core.cluster = ClusterSettings(
                daemonId: daemonId ?? "\(ProcessInfo.processInfo.hostName)-\(port)", httpURL: url,
                controlAddress: resolvedSocketPath, leaseSeconds: leaseSeconds)
        } else if daemonId != nil || advertisedHTTPURL != nil {
            throw DaemonError.badRequest(.invalidField, "--daemon-id and --advertise-http need a PostgreSQL store (--db postgres://…): a SQLite file has one daemon.")
        }
        if let engines { core.engines = max(1, engines) }
        return DaemonOptions(
            core: core, socketPath: resolvedSocketPath, socketMode: mode, httpHost: host, httpPort: port,
            handlesSignals: true)
    }
}

/// Log output of the daemon's process: one line per event on standard error.
///
/// Owned by the daemon transports.
public enum DaemonLogging {
    /// Installs the stderr handler at `level` (call once per process).
    public static func bootstrap(level: String) throws(DaemonError) {
        guard let level = Logger.Level(rawValue: level) else {
            throw DaemonError.badRequest(
                .invalidLogLevel,
                "--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    public static func logger() -> Logger { Logger(label: "certsim") }
}
