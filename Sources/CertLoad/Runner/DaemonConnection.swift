import CertCore
import CertDaemon
import CertStore
import Foundation
import Logging

/// The daemon a run drives and the two transports to it:
///
/// - embedded, `inproc`: a `DaemonCore` in this process, called directly (no sockets);
/// - embedded, `http`: the same core with its HTTP server (127.0.0.1, a free port) and control
///   socket (in a temporary directory) started in this process, driven over the real transports;
/// - external (`--daemon`): a `certsim serve` elsewhere on this machine, over HTTP and its
///   control socket.
///
/// The embedded daemon reads the run's `VirtualClock`, stores into `--db` or a temporary file,
/// and uses the scenario's seed, algorithm settings and durability.
///
/// Owned by the runner.
struct DaemonConnection: Sendable {
    /// HTTP port assumed for `--daemon unix:PATH`: the one `certsim serve` listens on by default.
    static let defaultHTTPPort = ServeSettings.defaultHTTPAddress.split(separator: ":").last.flatMap { Int($0) } ?? 8080

    let candidates: any CandidateTransport
    let proctors: any ProctorTransport
    /// The store to read final results from, when the runner can read it.
    let storePath: String?
    /// Words for the summary: `inproc`, `http`, `http (external)`.
    let transportName: String
    private let core: DaemonCore?
    private let daemon: Daemon?
    private let pool: HTTPConnectionPool?
    private let temporaryDirectory: String?
    /// The HTTP pools of a run over several daemons (closed at shutdown).
    private var pools: [HTTPConnectionPool] = []

    static func open(scenario: Scenario, options: RunOptions, groups: RunGroups,
                     clock: VirtualClock) async throws(RunError) -> DaemonConnection {
        if let address = options.daemon {
            return try await external(address, options: options)
        }
        let temporaryDirectory = try makeTemporaryDirectory()
        let storePath = options.databasePath ?? (temporaryDirectory as NSString).appendingPathComponent("run.sqlite")
        var configuration = DaemonConfiguration(
            bank: groups.banks[0], additionalBanks: Array(groups.banks.dropFirst()), versions: groups.versions,
            algorithmOverrides: (try? JSONValue.parse(scenario.algorithmConfigurationJSON()).objectValue) ?? [:],
            seed: scenario.seed,
            durability: Durability(rawValue: scenario.durability.rawValue) ?? .durable,
            databasePath: storePath, clock: clock)
        configuration.cleaVersions = groups.cleaVersions
        configuration.versionOverrides = groups.versionOverrides
        switch scenario.transport {
        case .inproc:
            let core: DaemonCore
            do {
                core = try await DaemonCore.open(configuration)
            } catch {
                removeDirectory(temporaryDirectory)
                throw RunError(.runDaemon, "cannot open the embedded daemon on \(storePath): \(error)")
            }
            return DaemonConnection(
                candidates: InProcessCandidateTransport(service: core.candidates),
                proctors: InProcessProctorTransport(service: core.proctors),
                storePath: storePath, transportName: "inproc", core: core, daemon: nil, pool: nil,
                temporaryDirectory: temporaryDirectory)
        case .http:
            let socketPath = (temporaryDirectory as NSString).appendingPathComponent("control.sock")
            let daemon: Daemon
            do {
                daemon = try await Daemon.start(DaemonOptions(core: configuration, socketPath: socketPath, httpPort: 0),
                                                logger: embeddedDaemonLogger())
            } catch {
                removeDirectory(temporaryDirectory)
                throw RunError(.runDaemon, "cannot start the embedded daemon's servers: \(error)")
            }
            let pool = HTTPConnectionPool(host: "127.0.0.1", port: daemon.httpPort, connectionsMax: options.httpConnections)
            let proctors: ControlProctorTransport
            do {
                proctors = try await ControlProctorTransport.connect(socketPath: socketPath, connections: options.controlConnections)
            } catch {
                try? await daemon.shutdown()
                removeDirectory(temporaryDirectory)
                throw RunError(.runDaemon, "cannot reach the embedded daemon's control socket: \(error)")
            }
            return DaemonConnection(
                candidates: HTTPCandidateTransport(pool: pool), proctors: proctors, storePath: storePath,
                transportName: "http", core: nil, daemon: daemon, pool: pool, temporaryDirectory: temporaryDirectory)
        }
    }

    private static func external(_ address: DaemonAddress, options: RunOptions) async throws(RunError) -> DaemonConnection {
        let first = try await single(address, options: options)
        guard !options.otherDaemons.isEmpty else { return first }
        var candidates: [any CandidateTransport] = [first.candidates]
        var proctors: [any ProctorTransport] = [first.proctors]
        var pools: [HTTPConnectionPool] = first.pool.map { [$0] } ?? []
        for other in options.otherDaemons {
            var single = options
            single.controlSocketPath = other.controlSocketPath
            let connection: DaemonConnection
            do {
                connection = try await Self.single(other.address, options: single)
            } catch {
                for transport in proctors { await transport.close() }
                for pool in pools { await pool.close() }
                throw error
            }
            candidates.append(connection.candidates)
            proctors.append(connection.proctors)
            if let pool = connection.pool { pools.append(pool) }
        }
        let router = DaemonRouter(count: candidates.count)
        return DaemonConnection(
            candidates: ClusterCandidateTransport(daemons: candidates, router: router),
            proctors: ClusterProctorTransport(daemons: proctors, router: router), storePath: options.databasePath,
            transportName: "http (\(candidates.count) external daemons)", core: nil, daemon: nil, pool: nil,
            temporaryDirectory: nil, pools: pools)
    }

    private static func single(_ address: DaemonAddress, options: RunOptions) async throws(RunError) -> DaemonConnection {
        let host: String
        let port: Int
        let controlPath: String
        switch address {
        case .unix(let path):
            (host, port) = ("127.0.0.1", defaultHTTPPort)
            controlPath = options.controlSocketPath ?? path
        case .http(let addressHost, let addressPort):
            (host, port) = (addressHost, addressPort)
            guard let path = options.controlSocketPath else {
                throw RunError.badOption("--control", "an external daemon at \(address) needs its control socket (--control PATH) for the proctors")
            }
            controlPath = path
        }
        let proctors: ControlProctorTransport
        do throws(DaemonError) {
            proctors = try await ControlProctorTransport.connect(socketPath: controlPath, connections: options.controlConnections)
        } catch {
            throw RunError(.runDaemon, "cannot reach the daemon's control socket \(controlPath): \(error.message)")
        }
        let pool = HTTPConnectionPool(host: host, port: port, connectionsMax: options.httpConnections)
        return DaemonConnection(
            candidates: HTTPCandidateTransport(pool: pool), proctors: proctors, storePath: options.databasePath,
            transportName: "http (external)", core: nil, daemon: nil, pool: pool, temporaryDirectory: nil)
    }

    /// Closes the transports and, for an embedded daemon, shuts it down (flushing the store).
    func shutdown() async {
        await proctors.close()
        await pool?.close()
        for pool in pools { await pool.close() }
        if let daemon { try? await daemon.shutdown() }
        if let core { await core.shutdown() }
    }

    /// Removes the temporary directory: the temporary store (a `--db` store lives elsewhere and is
    /// kept) and the control socket. Call after reading results.
    func cleanUp() {
        guard let temporaryDirectory else { return }
        removeDirectory(temporaryDirectory)
    }

    private static func makeTemporaryDirectory() throws(RunError) -> String {
        // Short: a Unix socket path must fit in about 100 bytes.
        let base = FileManager.default.temporaryDirectory.path
        let path = (base as NSString).appendingPathComponent("certsim-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RunError(.runSetup, "cannot create a temporary directory at \(path): \(error)")
        }
        return path
    }
}

/// The embedded daemon speaks up only for warnings, on stderr: stdout carries the run's summary.
private func embeddedDaemonLogger() -> Logger {
    var logger = Logger(label: "certsim.run.daemon", factory: { label in StreamLogHandler.standardError(label: label) })
    logger.logLevel = .warning
    return logger
}

private func removeDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}
