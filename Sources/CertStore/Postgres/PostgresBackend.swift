import CertCore
import Logging
import PostgresNIO

/// A PostgreSQL database under a ``ResultWriter``, through postgres-nio's pooled
/// `PostgresClient`. One batch of the writer is one PostgreSQL transaction, committed with
/// `synchronous_commit` on in `durable` mode (off in `relaxed` mode), so an answer is
/// acknowledged only once the server has it on disk.
///
/// Owned by the ``ResultWriter`` (its client runs in a task of its own until ``close()``).
/// Several daemons may write the same database at once: PostgreSQL's transactions and
/// constraints decide, as they do for one.
final class PostgresBackend: StoreBackend {
    let location: PostgresLocation
    let client: PostgresClient
    let durability: Durability
    /// Set when several daemons share the store: every batch proves its sessions' leases.
    let fence: LeaseFence?
    private let runTask: Task<Void, Never>

    /// The longest the first connection and the migration may take before `STORE_UNREACHABLE`.
    static let connectTimeout: Duration = .seconds(60)

    /// Connects, refuses a newer or foreign database, and migrates it. `STORE_UNREACHABLE` when
    /// the server cannot be reached or refuses the login (the message never holds the password).
    init(location: PostgresLocation, durability: Durability, fence: LeaseFence?, connectionsMax: Int = 8) async throws(StoreError) {
        self.location = location
        self.durability = durability
        self.fence = fence
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = max(1, connectionsMax)
        configuration.options.minimumConnections = 1
        let client = PostgresClient(configuration: configuration)
        self.client = client
        self.runTask = Task { await client.run() }
        do {
            try await Self.withDeadline(Self.connectTimeout, location: location) {
                try await PostgresMigrations.migrate(client, location: location)
            }
        } catch {
            runTask.cancel()
            throw error
        }
    }

    func commit(_ entries: [QueuedWrite]) async throws(StoreError) -> (outcomes: [OperationOutcome], duration: Duration) {
        let synchronous = durability == .durable ? "on" : "off"
        do {
            return try await client.withConnection { connection in
                let started = ContinuousClock.now
                try await connection.query("BEGIN", logger: Self.logger)
                do {
                    try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL synchronous_commit = \(synchronous)"),
                                               logger: Self.logger)
                    let refusals = try await self.fence?.refusals(entries, on: connection) ?? [:]
                    let outcomes = try await PostgresWriteBatch.apply(entries, on: connection, refusals: refusals)
                    try await connection.query("COMMIT", logger: Self.logger)
                    return (outcomes, ContinuousClock.now - started)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: Self.logger)
                    throw error
                }
            }
        } catch {
            throw PostgresErrors.map(error, location: location, while: "committing")
        }
    }

    func close() async throws(StoreError) {
        runTask.cancel()
        await runTask.value
    }

    /// A killed process's connections drop; the server ends their sessions. Nothing to let go here.
    func releaseAsACrashWould() {
        runTask.cancel()
    }

    func reader() throws(StoreError) -> any StoreReading {
        PostgresReader(client: client, location: location)
    }

    func sessionLeases() -> SessionLeases? {
        fence.map { SessionLeases(client: client, location: location, fence: $0) }
    }

    static let logger = Logger(label: "certsim.store.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body`, or throws `STORE_UNREACHABLE` once `limit` has passed.
    static func withDeadline<T: Sendable>(_ limit: Duration, location: PostgresLocation,
                                          _ body: @escaping @Sendable () async throws -> T) async throws(StoreError) -> T {
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await body() }
                group.addTask {
                    try await Task.sleep(for: limit)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else {
                    throw StoreError(.storeUnreachable, "PostgreSQL at \(location) did not answer within \(limit.components.seconds) s.")
                }
                return value
            }
        } catch {
            throw PostgresErrors.map(error, location: location, while: "connecting")
        }
    }
}

/// Brings a PostgreSQL database to ``Schema/version``, refusing a newer or foreign one.
/// Several daemons may start at once: the migration takes a transaction-level advisory lock,
/// so one of them migrates and the others find the work done.
enum PostgresMigrations {
    /// The advisory lock's key: the ASCII "CSIM", as the SQLite file's `application_id`.
    static let lockKey = Int64(Schema.applicationId)

    static func migrate(_ client: PostgresClient, location: PostgresLocation) async throws {
        try await client.withConnection { connection in
            let logger = PostgresBackend.logger
            try await connection.query("BEGIN", logger: logger)
            do {
                try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: PostgresSchema.versionTable), logger: logger)
                var stored: (Int32, String)?
                for try await row in try await connection.query("SELECT version, application FROM certsim_schema", logger: logger)
                    .decode((Int32, String).self) { stored = row }
                if let (_, application) = stored, application != PostgresSchema.application {
                    throw StoreError(.storeCorrupt, "\(location) holds a certsim_schema table of another program (\"\(application)\").")
                }
                var version = stored?.0 ?? 0
                if version == 0 {
                    let tables = try await Self.count(connection, """
                        SELECT count(*) FROM information_schema.tables
                        WHERE table_schema = current_schema() AND table_name <> 'certsim_schema'
                        """)
                    if tables > 0 {
                        throw StoreError(.storeCorrupt, "\(location) holds \(tables) tables but no certsim schema version; it is not a certsim store.")
                    }
                }
                if version > Schema.version {
                    throw StoreError(.storeNewerSchema, "\(location) has schema version \(version), newer than the \(Schema.version) this certsim knows; use a newer certsim.")
                }
                if version < Schema.version {
                    let first = version == 0 ? PostgresSchema.firstVersion : version + 1
                    for step in first...Schema.version {
                        for statement in PostgresSchema.steps[step] ?? [] {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                    }
                    version = Schema.version
                    try await connection.query("""
                        INSERT INTO certsim_schema (only_row, version, application) VALUES (TRUE, \(version), \(PostgresSchema.application))
                        ON CONFLICT (only_row) DO UPDATE SET version = excluded.version
                        """, logger: logger)
                }
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    static func count(_ connection: PostgresConnection, _ sql: String) async throws -> Int {
        var value = 0
        for try await (count,) in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: PostgresBackend.logger)
            .decode((Int,).self) { value = count }
        return value
    }
}

/// PostgreSQL's errors in the store's codes. A message names the database by its URL without
/// the password, and never the query's values.
enum PostgresErrors {
    static func map(_ error: any Error, location: PostgresLocation, while doing: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresTransactionError {
            return map(error.closureError ?? error.commitError ?? error.beginError ?? error, location: location, while: doing)
        }
        if error is CancellationError {
            return StoreError(.storeIO, "\(location): \(doing) was cancelled.")
        }
        guard let error = error as? PSQLError else {
            return StoreError(.storeIO, "\(location): \(doing) failed (\(type(of: error))).")
        }
        if let state = error.serverInfo?[.sqlState] {
            let message = error.serverInfo?[.message] ?? "no message"
            // Class 28: invalid authorisation; 3D: no such database; 08: connection exception.
            if state.hasPrefix("28") || state == "3D000" || state.hasPrefix("08") || state == "57P03" {
                return StoreError(.storeUnreachable, "PostgreSQL at \(location) refused the connection: \(message) (SQLSTATE \(state)).")
            }
            return StoreError(.storeIO, "\(location): \(doing) failed: \(message) (SQLSTATE \(state)).")
        }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .unexpectedBackendMessage,
             .sslUnsupported, .failedToAddSSLHandler:
            return StoreError(.storeUnreachable, "PostgreSQL at \(location) cannot be reached (\(error.code)).")
        default:
            return StoreError(.storeIO, "\(location): \(doing) failed (\(error.code)).")
        }
    }

    /// The SQLSTATE of a server error, if `error` is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// The constraint a server error names, if any.
    static func constraint(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.constraintName]
    }
}
