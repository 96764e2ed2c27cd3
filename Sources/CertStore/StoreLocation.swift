import CertCore
import Foundation

/// Where the result store lives: a SQLite file (the embedded default, one daemon) or a
/// PostgreSQL database (one or several daemons sharing it, DESIGN §4 "Beyond one machine").
///
/// Owned by CertStore; built by `certsim serve --db` and the runner from what the user typed.
///
/// ```swift
/// try StoreLocation.parse("day.sqlite")                                   // .sqlite
/// try StoreLocation.parse("postgres://certsim@127.0.0.1:5432/certsim")   // .postgres
/// ```
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// A `postgres://` or `postgresql://` URL is a PostgreSQL store; anything else is a file path.
    /// The password never comes from the URL: see ``PostgresLocation/parse(_:password:)``.
    public static func parse(_ text: String, password: String? = nil) throws(StoreError) -> StoreLocation {
        if PostgresLocation.isURL(text) { return .postgres(try PostgresLocation.parse(text, password: password)) }
        return .sqlite(path: text)
    }

    /// What logs and messages show: the file path, or the URL without any password.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.description
        }
    }

    /// The file of a SQLite store; nil for PostgreSQL.
    public var sqlitePath: String? {
        if case .sqlite(let path) = self { return path }
        return nil
    }
}

/// A PostgreSQL database, as `postgres://USER@HOST:PORT/DATABASE`. The password is given
/// apart (the `PGPASSWORD` variable or a file, never the command line), and no description of
/// this value prints it.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    public var password: String?

    public init(user: String, host: String, port: Int = 5432, database: String, password: String? = nil) {
        self.user = user
        self.host = host
        self.port = port
        self.database = database
        self.password = password
    }

    static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `postgres://USER@HOST[:PORT]/DATABASE` (port 5432 by default). `STORE_BAD_URL` when
    /// a part is missing, the port is not a number, or the URL carries a password (`USER:PASS@`):
    /// a password on the command line is visible to every user of the machine.
    public static func parse(_ text: String, password: String? = nil) throws(StoreError) -> PostgresLocation {
        // A URL that may carry a password is never echoed back.
        let userInfo = text.firstRange(of: "://").flatMap { text[$0.upperBound...].split(separator: "@", maxSplits: 1).first }
        let shown = text.contains("@") && userInfo?.contains(":") == true ? "The URL" : "\"\(text)\""
        guard let schemeEnd = text.firstRange(of: "://"), isURL(text) else {
            throw StoreError(.storeBadURL, "\(shown) is not a postgres:// URL.")
        }
        let rest = text[schemeEnd.upperBound...]
        guard let at = rest.firstIndex(of: "@") else {
            throw StoreError(.storeBadURL, "\(shown) names no user: write postgres://USER@HOST:PORT/DATABASE.")
        }
        let user = String(rest[..<at])
        if user.contains(":") {
            throw StoreError(.storeBadURL, "The PostgreSQL URL carries a password; give it in PGPASSWORD or with --db-password-file instead.")
        }
        let hostPart = rest[rest.index(after: at)...]
        guard let slash = hostPart.firstIndex(of: "/") else {
            throw StoreError(.storeBadURL, "\(shown) names no database: write postgres://USER@HOST:PORT/DATABASE.")
        }
        let database = String(hostPart[hostPart.index(after: slash)...])
        let address = hostPart[..<slash]
        var host = String(address)
        var port = 5432
        if let colon = address.lastIndex(of: ":"), !address.hasSuffix("]") {
            host = String(address[..<colon])
            guard let parsed = Int(address[address.index(after: colon)...]), (1...65_535).contains(parsed) else {
                throw StoreError(.storeBadURL, "\(shown) has a port that is not a number from 1 to 65535.")
            }
            port = parsed
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !user.isEmpty, !host.isEmpty, !database.isEmpty, !database.contains("?"), !database.contains("/") else {
            throw StoreError(.storeBadURL, "\(shown) must read postgres://USER@HOST:PORT/DATABASE (no query string).")
        }
        return PostgresLocation(user: user, host: host, port: port, database: database, password: password)
    }

    /// The password to use: the file's first line if a file is named, else `PGPASSWORD`, else none
    /// (a server that trusts loopback needs none). `STORE_BAD_URL` naming the file when it cannot be read.
    public static func password(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(StoreError) -> String? {
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw StoreError(.storeBadURL, "The password file \(file) cannot be read.")
            }
            return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }
        return environment["PGPASSWORD"]
    }

    /// The URL without the password.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(shownHost):\(port)/\(database)"
    }
}
