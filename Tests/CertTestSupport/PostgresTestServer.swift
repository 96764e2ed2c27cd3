import CertStore
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL server the tests may use: `scripts/test` starts a throwaway cluster and sets
/// `CERTSIM_PG_URL` (an administrator's URL) and `PGPASSWORD`. Without them, suites that need
/// the server are skipped, saying why; with `CERTSIM_REQUIRE_PG=1` (CI) a missing server fails.
public enum PostgresTestServer {
    /// Why a PostgreSQL suite is skipped.
    public static let skipReason =
        "CERTSIM_PG_URL is not set: scripts/test starts a throwaway PostgreSQL and sets it"

    /// The administrator's location, or nil when no server is configured.
    public static var admin: PostgresLocation? {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["CERTSIM_PG_URL"], !url.isEmpty else { return nil }
        return try? PostgresLocation.parse(url, password: environment["PGPASSWORD"])
    }

    public static var isConfigured: Bool { admin != nil }

    /// True when the run must have the server (CI).
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["CERTSIM_REQUIRE_PG"] == "1" }

    /// A new, empty database on the server, for one test (the cluster is thrown away after the run).
    public static func makeDatabase(prefix: String = "t") async throws -> PostgresLocation {
        guard let admin else { throw TestServerMissing() }
        let name = "\(prefix)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        try await withAdmin(admin) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        var location = admin
        location.database = name
        return location
    }

    /// Runs raw SQL on `location` (a test's own database): to damage it, read it, or change its version.
    public static func execute(_ sql: String, on location: PostgresLocation) async throws {
        try await withAdmin(location) { client in
            try await client.query(PostgresQuery(unsafeSQL: sql))
        }
    }

    /// The first column of the first row of `sql` as an integer.
    public static func integer(_ sql: String, on location: PostgresLocation) async throws -> Int? {
        try await withAdmin(location) { client in
            var value: Int?
            for try await (number,) in try await client.query(PostgresQuery(unsafeSQL: sql)).decode((Int,).self) {
                value = number
                break
            }
            return value
        }
    }

    private static func withAdmin<T: Sendable>(_ location: PostgresLocation,
                                               _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = PostgresClient(configuration: .init(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    public struct TestServerMissing: Error, CustomStringConvertible {
        public var description: String { "CERTSIM_PG_URL is not set" }
    }
}
