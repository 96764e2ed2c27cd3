import CertCore
import GRDB

/// The database under a ``ResultWriter``: it commits one batch of queued entries in one
/// transaction and tells what became of each. The writer's queue, group commit, waiters and
/// counters are the same whatever the engine; only this part differs.
///
/// Owned by the ``ResultWriter``, which calls ``commit(_:)`` from its drain task, one batch at a
/// time, and ``close()`` once.
protocol StoreBackend: Sendable {
    /// Applies `entries` in order inside one transaction and commits it. Returns one outcome per
    /// entry (a refused entry leaves the others committed) and the transaction's duration. A
    /// thrown error means nothing of the batch was committed.
    func commit(_ entries: [QueuedWrite]) async throws(StoreError) -> (outcomes: [OperationOutcome], duration: Duration)
    /// Closes the connection(s); nothing is written after.
    func close() async throws(StoreError)
    /// Lets go of what a killed process would lose (SQLite: the lock file's lock), closing nothing.
    func releaseAsACrashWould()
    /// A reader on the same store.
    func reader() throws(StoreError) -> any StoreReading
    /// The lease operations, for a store shared by several daemons (PostgreSQL with a fence).
    func sessionLeases() -> SessionLeases?
}

/// A SQLite file, written through GRDB's serial queue (WAL, `synchronous=FULL` when durable).
/// Holds the store's lock file from `init` to `close` (one writer per file).
final class SQLiteBackend: StoreBackend {
    let path: String
    let queue: DatabaseQueue
    private let lock: StoreLock
    /// Used inside transactions only (see ``AssessmentKeys``).
    private let keys = AssessmentKeys()

    /// Opens (creating if needed) the file, refusing a newer, foreign, corrupt or unwritable one,
    /// and migrates it. Takes the store's lock first: `STORE_LOCKED` while another writer has it.
    init(path: String, durability: Durability) throws(StoreError) {
        self.path = path
        try StoreFile.checkWritable(path: path)
        let lock = try StoreLock.acquire(storePath: path)
        do throws(StoreError) {
            self.queue = try StoreFile.openForWriting(path: path, durability: durability)
        } catch {
            lock.release()
            throw error
        }
        self.lock = lock
    }

    func commit(_ entries: [QueuedWrite]) async throws(StoreError) -> (outcomes: [OperationOutcome], duration: Duration) {
        let keys = self.keys
        do {
            // Timed on the database queue: the transaction itself, fsync included, without
            // the hops to and from the caller.
            return try await queue.writeWithoutTransaction { db in
                let started = ContinuousClock.now
                var outcomes: [OperationOutcome] = []
                try db.inTransaction(.immediate) {
                    outcomes = try WriteBatch.apply(entries, in: db, keys: keys)
                    return .commit
                }
                return (outcomes, ContinuousClock.now - started)
            }
        } catch {
            throw StoreErrors.map(error, path: path, while: "committing")
        }
    }

    func close() async throws(StoreError) {
        defer { lock.release() }
        do {
            try queue.close()
        } catch {
            throw StoreErrors.map(error, path: path, while: "closing")
        }
    }

    func releaseAsACrashWould() {
        lock.releaseAsACrashWould()
    }

    func reader() throws(StoreError) -> any StoreReading {
        try StoreReader(path: path)
    }

    /// A file has one daemon (its lock file says so): no leases.
    func sessionLeases() -> SessionLeases? { nil }
}
