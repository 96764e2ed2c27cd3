import CertCore
import GRDB
import Synchronization

/// The only owner of the store's write connection: every row the daemon writes goes through
/// this actor, in the order it was submitted, and is committed by **group commit**.
///
/// Owned by the daemon (one per store file, a service of its service group; `close()` is its
/// last step at shutdown).
///
/// How group commit works: each write call queues an operation and, in `durable` mode,
/// suspends until the transaction holding it has committed. A single drain task takes up to
/// ``Configuration/batchRowsMax`` queued operations, applies them in one transaction (cached
/// prepared statements, one bind + step per row) and commits — one fsync for the whole batch
/// — then resumes every caller of the batch. While a commit runs, new calls keep queueing, so
/// the next batch is as large as the load makes it. If ``Configuration/commitIntervalMicroseconds``
/// is set (default 0, off), commits start at most that often (an idle writer still commits a
/// lone row at once; a busy one waits out the interval to gather more rows) unless
/// `batchRowsMax` rows are already queued. In `relaxed` mode calls return once queued, so a
/// producer faster than the disk meets `STORE_BUSY`. Past ``Configuration/pendingRowsMax`` queued operations a call fails fast
/// with the retryable `STORE_BUSY`.
///
/// The blocking SQLite work runs on GRDB's own serial dispatch queue (its async `write`),
/// not on the actor: the actor stays free to accept and queue calls during an fsync, which
/// is what lets batches grow, and no cooperative-pool thread is parked in fsync.
///
/// If a commit fails (disk full, I/O error, schema changed under the writer), the batch is
/// rolled back and the writer turns unhealthy: the batch's callers, every queued call and
/// every later call fail with `STORE_UNHEALTHY`. An answer is never acknowledged without
/// being committed (in `durable` mode).
///
/// ```swift
/// let writer = try ResultWriter(path: "day.sqlite")
/// try await writer.submit(.session(session))
/// try await writer.submit([.answer(answer), .result(result)])   // one request: all or nothing
/// try await writer.close()
/// ```
public actor ResultWriter {
    /// The writer's named limits and its durability mode.
    public struct Configuration: Sendable, Equatable {
        /// See ``Durability``. Default `durable`.
        public var durability: Durability = .durable
        /// Minimum spacing between the starts of two commits, unless a full batch is queued.
        /// Default 0: commit as soon as the previous commit ends. Batches still form, from
        /// the calls that arrive while a commit (its fsync) runs, and that is the better
        /// trade here: measured with 64 tasks each awaiting its acknowledgement (durable,
        /// 2-core VM), 0 gave the most rows/s and 2,000 µs about a third as many, because
        /// the wait is paid by every caller while the disk sits idle. Raise it only to cut
        /// the number of fsyncs on a disk where each one is dear.
        public var commitIntervalMicroseconds: Int = 0
        /// Most operations in one transaction. Default 4,096: a commit then takes everything queued
        /// at the loads seen here (a few thousand candidates), and answers of the same tests share
        /// pages — per row, a 2,048-row batch cost about half the CPU of a 512-row one on the
        /// journal's insert pattern.
        public var batchRowsMax: Int = 4_096
        /// Most operations queued (not yet in a commit) before calls fail with `STORE_BUSY`.
        /// Default 65,536.
        public var pendingRowsMax: Int = 65_536
        /// How many recent commit durations the percentiles of ``WriterStats`` cover.
        /// Default 4,096.
        public var commitLatencySamplesMax: Int = 4_096

        public init(durability: Durability = .durable) {
            self.durability = durability
        }
    }

    /// Who waits for a queued entry: resumed once, by the commit that holds it (success, or the
    /// entry's refusal) or by the refusal of its enqueue. Unsafe (not checked) because one is
    /// made per request on the hot path and the checked kind allocates a guard object each time.
    public typealias Completion = UnsafeContinuation<Result<Void, StoreError>, Never>

    /// Who waits for one queued entry: a suspended task, or a ticket read later.
    enum Waiter: Sendable {
        case continuation(Completion)
        case ticket(CommitTicket)

        func resume(_ result: Result<Void, StoreError>) {
            switch self {
            case .continuation(let continuation): continuation.resume(returning: result)
            case .ticket(let ticket): ticket.complete(result)
            }
        }
    }

    /// Rows taken from the queue for one commit: the operations (handed to the database queue
    /// as they are) and, at the same positions, who waits for each.
    private struct Batch {
        var operations: [QueuedWrite] = []
        var completions: [Waiter?] = []
        var count: Int { operations.count }
    }

    /// What callers touch when they submit: the queue and the writer's condition, behind a
    /// lock, so that a write call queues its row in the caller's own task — no hop into the
    /// actor per row (with the engine's own hops gone too, an academy day's CPU fell from about
    /// 11.6 s to 9.7 s).
    /// The actor runs the drain task, the flushes and the close; it takes batches from here.
    private struct Inbox {
        /// Waiting rows, oldest first, from `head` on (`head` advances instead of removing from
        /// the front, so taking part of the queue does not shift the rest).
        var operations: [QueuedWrite] = []
        var completions: [Waiter?] = []
        var head = 0
        var count: Int { operations.count - head }
        /// Rows ever submitted (`flush` waits until this many are processed).
        var submitted: UInt64 = 0
        /// A drain task is running or about to: the next submission need not start one.
        var draining = false
        var failure: StoreError?
        var isClosing = false

        /// Takes up to `limit` rows from the front. Takes the whole array (no copy) when the
        /// batch is everything queued, as it is whenever the writer keeps up.
        mutating func take(upTo limit: Int) -> Batch {
            let taken = Swift.min(count, limit)
            if head == 0 && taken == operations.count {
                defer {
                    operations = []
                    completions = []
                }
                return Batch(operations: operations, completions: completions)
            }
            let batch = Batch(operations: Array(operations[head..<(head + taken)]),
                              completions: Array(completions[head..<(head + taken)]))
            head += taken
            if head == operations.count {
                operations.removeAll(keepingCapacity: true)
                completions.removeAll(keepingCapacity: true)
                head = 0
            } else if head * 2 >= operations.count {
                operations.removeFirst(head)
                completions.removeFirst(head)
                head = 0
            }
            return batch
        }
    }

    /// The store as messages name it: the file path, or the PostgreSQL URL without password.
    public let path: String
    public let configuration: Configuration
    private let backend: any StoreBackend

    private let inbox = Mutex(Inbox())
    private var lastCommitStart: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    // Early wake-up of the drain task while it waits out the commit interval.
    private var sleeper: CheckedContinuation<Void, Never>?
    private var sleepGeneration = 0

    // flush(): callers waiting until every operation submitted before them is processed.
    private var processedCount: UInt64 = 0
    private var flushWaiters: [(target: UInt64, continuation: CheckedContinuation<Void, Never>)] = []

    private var counters = WriterStats()
    private var latencies: CommitLatencyWindow
    private var totalBatchRows = 0
    private var totalCommitMicroseconds = 0

    /// Opens (creating if needed) the store file, refusing a newer, foreign, corrupt or
    /// unwritable one, and migrates it to ``Schema/version``. Takes the store's lock first:
    /// `STORE_LOCKED` (naming the file) while another writer has it open, in this process or
    /// another; nothing of the file is read or changed then.
    public init(path: String, configuration: Configuration = Configuration()) throws(StoreError) {
        Self.checkConfiguration(configuration)
        self.init(backend: try SQLiteBackend(path: path, durability: configuration.durability), path: path,
                  configuration: configuration)
    }

    /// Opens the store at `location`: a SQLite file as ``init(path:configuration:)`` does, or a
    /// PostgreSQL database (connected, refused when newer or foreign, migrated):
    /// `STORE_UNREACHABLE` when the server cannot be reached or refuses the login.
    /// With a `fence` (a daemon sharing a PostgreSQL store with others), every batch proves the
    /// leases of the sessions it writes; ignored for a SQLite file.
    public static func open(_ location: StoreLocation, configuration: Configuration = Configuration(),
                            fence: LeaseFence? = nil) async throws(StoreError) -> ResultWriter {
        switch location {
        case .sqlite(let path):
            return try ResultWriter(path: path, configuration: configuration)
        case .postgres(let postgres):
            checkConfiguration(configuration)
            let backend = try await PostgresBackend(location: postgres, durability: configuration.durability, fence: fence)
            return ResultWriter(backend: backend, path: postgres.description, configuration: configuration)
        }
    }

    private init(backend: any StoreBackend, path: String, configuration: Configuration) {
        self.backend = backend
        self.path = path
        self.configuration = configuration
        self.latencies = CommitLatencyWindow(capacity: configuration.commitLatencySamplesMax)
    }

    private static func checkConfiguration(_ configuration: Configuration) {
        precondition(configuration.batchRowsMax >= 1, "batchRowsMax must be at least 1")
        precondition(configuration.pendingRowsMax >= 1, "pendingRowsMax must be at least 1")
        precondition(configuration.commitIntervalMicroseconds >= 0, "commitIntervalMicroseconds must not be negative")
    }

    /// A reader on the same store (for a PostgreSQL store, on the writer's connection pool).
    public nonisolated func reader() throws(StoreError) -> any StoreReading {
        try backend.reader()
    }

    /// The lease operations when the writer was opened on PostgreSQL with a fence; else nil.
    public nonisolated func sessionLeases() -> SessionLeases? {
        backend.sessionLeases()
    }

    /// False once a commit has failed; the writer then refuses everything with `STORE_UNHEALTHY`.
    public var isHealthy: Bool { inbox.withLock { $0.failure == nil } }

    /// The failure that made the writer unhealthy, if any.
    public var lastFailure: StoreError? { inbox.withLock { $0.failure } }

    // MARK: Writes

    /// Writes one row. In `durable` mode returns once it is committed; in `relaxed` mode once
    /// it is queued. Throws the row's refusal (durable mode): `STORE_DUPLICATE_ANSWER`,
    /// `STORE_DUPLICATE_RESULT`, `STORE_VERIFICATION_CODE_TAKEN`, `STORE_UNKNOWN_REFERENCE`,
    /// `STORE_CONSTRAINT`; and `STORE_BUSY` when the queue is full, `STORE_UNHEALTHY`, `STORE_CLOSED`.
    public nonisolated func submit(_ write: StoreWrite) async throws(StoreError) {
        try await submit(.single(write))
    }

    /// Writes the rows of one request in one transaction, all or nothing: the first refused row
    /// rolls the others back and is thrown. Returns as ``submit(_:)-(StoreWrite)`` does.
    public nonisolated func submit(_ writes: [StoreWrite]) async throws(StoreError) {
        guard !writes.isEmpty else { return }
        try await submit(writes.count == 1 ? .single(writes[0]) : .group(writes))
    }

    /// Throws what a write queued now would meet at once (`STORE_CLOSED`, `STORE_UNHEALTHY`,
    /// `STORE_BUSY`). A caller that must not change its state unless the write is queued checks
    /// this first, changes its state, then queues with ``enqueue(_:completion:)``.
    public nonisolated func checkAccepting() throws(StoreError) {
        try inbox.withLock { inbox throws(StoreError) in
            try admission(inbox, ignoringQueueLimit: false)
        }
    }

    /// Queues the rows of one request (one entry, committed all or nothing), in the caller's
    /// task, past the queue limit (the caller checked ``checkAccepting()`` before changing its
    /// state). `completion` is resumed once the entry is committed (durable mode) or at once
    /// (relaxed mode, or nil rows); a closed or failed writer resumes it with that failure.
    /// With `waitingInEveryMode`, the completion waits for the commit in relaxed mode too (a
    /// result: its verification code is only given out once stored).
    public nonisolated func enqueue(_ writes: [StoreWrite], completion: Completion, waitingInEveryMode: Bool = false) {
        if writes.isEmpty {
            completion.resume(returning: .success(()))
            return
        }
        let entry: QueuedWrite = writes.count == 1 ? .single(writes[0]) : .group(writes)
        let durable = configuration.durability == .durable || waitingInEveryMode
        do throws(StoreError) {
            try enqueue(entry, completion: durable ? .continuation(completion) : nil, ignoringQueueLimit: true)
            if !durable { completion.resume(returning: .success(())) }
        } catch {
            completion.resume(returning: .failure(error))
        }
    }

    /// ``enqueue(_:completion:)`` for a caller that must queue without suspending (under its
    /// own lock) and waits later: `ticket` completes as the continuation would resume.
    public nonisolated func enqueue(_ writes: [StoreWrite], ticket: CommitTicket, waitingInEveryMode: Bool = false) {
        if writes.isEmpty {
            ticket.complete(.success(()))
            return
        }
        let entry: QueuedWrite = writes.count == 1 ? .single(writes[0]) : .group(writes)
        let durable = configuration.durability == .durable || waitingInEveryMode
        do throws(StoreError) {
            try enqueue(entry, completion: durable ? .ticket(ticket) : nil, ignoringQueueLimit: true)
            if !durable { ticket.complete(.success(())) }
        } catch {
            ticket.complete(.failure(error))
        }
    }

    /// Returns once every operation submitted before this call has been committed (or
    /// refused). Throws the writer's failure if it is unhealthy.
    public func flush() async throws(StoreError) {
        let target = inbox.withLock { $0.submitted }
        if processedCount < target {
            await withCheckedContinuation { continuation in
                flushWaiters.append((target, continuation))
                wakeSleeper()
            }
        }
        if let failure = lastFailure { throw failure }
    }

    /// Refuses new calls (`STORE_CLOSED`), commits everything queued, and closes the file.
    /// Throws the writer's failure if it is unhealthy (the file is closed all the same).
    public func close() async throws(StoreError) {
        let wasClosing = inbox.withLock { inbox in
            defer { inbox.isClosing = true }
            return inbox.isClosing
        }
        guard !wasClosing else { return }
        var flushFailure: StoreError?
        do { try await flush() } catch { flushFailure = error }
        do {
            try await backend.close()
        } catch {
            if flushFailure == nil { flushFailure = error }
        }
        if let flushFailure { throw flushFailure }
    }

    /// The writer's counters and commit latencies.
    public func stats() -> WriterStats {
        var snapshot = counters
        let (pendingRows, failure) = inbox.withLock { ($0.count, $0.failure) }
        snapshot.pendingRows = pendingRows
        snapshot.p50CommitMicroseconds = latencies.percentile(0.50)
        snapshot.p99CommitMicroseconds = latencies.percentile(0.99)
        snapshot.meanBatchRows = counters.commits == 0 ? 0 : Double(totalBatchRows) / Double(counters.commits)
        snapshot.meanCommitMicroseconds = counters.commits == 0 ? 0 : Double(totalCommitMicroseconds) / Double(counters.commits)
        snapshot.isHealthy = failure == nil
        return snapshot
    }

    /// Lets go of the store's lock the way the kernel does when the process dies (the lock
    /// file stays), without closing anything: lets a test "crash" a writer inside one process
    /// and open the store again.
    package nonisolated func releaseLockAsACrashWould() {
        backend.releaseAsACrashWould()
    }

    /// Reads a pragma on the write connection (per-connection settings such as
    /// `synchronous` cannot be seen from another connection). For tests.
    func pragmaForTesting(_ name: String) async throws -> Int? {
        guard let sqlite = backend as? SQLiteBackend else { return nil }
        return try await sqlite.queue.read { db in try Int.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    // MARK: Queue

    /// Queues `entry` under the inbox lock, in the caller's task, and starts the drain task
    /// if none runs. In durable mode, suspends until the entry's batch is committed.
    private nonisolated func submit(_ entry: QueuedWrite) async throws(StoreError) {
        guard configuration.durability == .durable else {
            try enqueue(entry, completion: nil, ignoringQueueLimit: false)
            return
        }
        let outcome = await withUnsafeContinuation { (continuation: Completion) in
            do throws(StoreError) {
                try enqueue(entry, completion: .continuation(continuation), ignoringQueueLimit: false)
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        try outcome.get()
    }

    private nonisolated func admission(_ inbox: Inbox, ignoringQueueLimit: Bool) throws(StoreError) {
        if inbox.isClosing {
            throw StoreError(.storeClosed, "The result writer of \(path) is closed.")
        }
        if let failure = inbox.failure { throw failure }
        if !ignoringQueueLimit, inbox.count >= configuration.pendingRowsMax {
            throw StoreError(.storeBusy, "The result writer of \(path) has \(inbox.count) writes queued (pendingRowsMax \(configuration.pendingRowsMax)); retry shortly.")
        }
    }

    private nonisolated func enqueue(_ operation: QueuedWrite, completion: Waiter?,
                                     ignoringQueueLimit: Bool) throws(StoreError) {
        let batchRowsMax = configuration.batchRowsMax
        let (startDrain, batchFull) = try inbox.withLock { inbox throws(StoreError) -> (Bool, Bool) in
            try admission(inbox, ignoringQueueLimit: ignoringQueueLimit)
            inbox.operations.append(operation)
            inbox.completions.append(completion)
            inbox.submitted &+= 1
            let startDrain = !inbox.draining
            inbox.draining = true
            return (startDrain, inbox.count == batchRowsMax)
        }
        if startDrain {
            Task { await self.drain() }
        } else if batchFull && configuration.commitIntervalMicroseconds > 0 {
            // A full batch need not wait out the commit interval.
            Task { await self.wakeSleeper() }
        }
    }

    /// The single consumer of the queue. Runs while there is something queued, then ends;
    /// the next submission starts a new one.
    private func drain() async {
        while true {
            let (queued, failed) = inbox.withLock { ($0.count, $0.failure != nil) }
            if failed {
                failQueued()
                break
            }
            if queued == 0 {
                // Ends only if nothing came in meanwhile (checked under the lock that submissions take).
                let ended = inbox.withLock { inbox -> Bool in
                    guard inbox.count == 0 else { return false }
                    inbox.draining = false
                    return true
                }
                if ended { break }
                continue
            }
            if let lastCommitStart, configuration.commitIntervalMicroseconds > 0,
               queued < configuration.batchRowsMax, flushWaiters.isEmpty {
                let due = lastCommitStart.advanced(by: .microseconds(configuration.commitIntervalMicroseconds))
                if clock.now < due {
                    await sleep(until: due)
                    continue
                }
            }
            await commitOneBatch()
        }
        resumeFlushWaiters()
    }

    private func commitOneBatch() async {
        let batch = inbox.withLock { $0.take(upTo: configuration.batchRowsMax) }
        let count = batch.count
        guard count > 0 else { return }
        let operations = batch.operations
        lastCommitStart = clock.now
        let result: Result<[OperationOutcome], StoreError>
        var elapsed = Duration.zero
        do {
            let (outcomes, transactionDuration) = try await backend.commit(operations)
            elapsed = transactionDuration
            result = .success(outcomes)
        } catch {
            result = .failure(StoreError(.storeUnhealthy, "A commit to \(path) failed (\(error.message)); the store accepts no more writes."))
        }
        processedCount &+= UInt64(count)

        switch result {
        case .success(let outcomes):
            let microseconds = Int(elapsed.components.seconds) * 1_000_000
                + Int(elapsed.components.attoseconds / 1_000_000_000_000)
            counters.commits += 1
            counters.lastBatchRows = count
            counters.lastCommitMicroseconds = microseconds
            counters.maxCommitMicroseconds = max(counters.maxCommitMicroseconds, microseconds)
            totalBatchRows += count
            totalCommitMicroseconds += microseconds
            latencies.record(microseconds)
            for (completion, outcome) in zip(batch.completions, outcomes) {
                switch outcome {
                case .done:
                    counters.rowsCommitted += 1
                    completion?.resume(.success(()))
                case .refused(let error):
                    counters.rowsRefused += 1
                    completion?.resume(.failure(error))
                }
            }
        case .failure(let error):
            inbox.withLock { inbox in
                if inbox.failure == nil { inbox.failure = error }
            }
            counters.rowsFailed += count
            for completion in batch.completions { completion?.resume(.failure(error)) }
            failQueued()
        }
        resumeFlushWaiters()
    }

    /// Fails every queued operation with the writer's failure; the drain ends.
    private func failQueued() {
        let (queued, failure) = inbox.withLock { inbox -> (Batch, StoreError?) in
            let queued = inbox.take(upTo: inbox.count)
            inbox.draining = false
            return (queued, inbox.failure)
        }
        guard let failure else { return }
        counters.rowsFailed += queued.count
        processedCount &+= UInt64(queued.count)
        for completion in queued.completions { completion?.resume(.failure(failure)) }
        resumeFlushWaiters()
    }

    private func resumeFlushWaiters() {
        guard !flushWaiters.isEmpty else { return }
        var waiting: [(target: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        for waiter in flushWaiters {
            if waiter.target <= processedCount { waiter.continuation.resume() } else { waiting.append(waiter) }
        }
        flushWaiters = waiting
    }

    // MARK: Waiting out the commit interval

    private func sleep(until due: ContinuousClock.Instant) async {
        sleepGeneration &+= 1
        let generation = sleepGeneration
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            sleeper = continuation
            Task { [weak self] in
                try? await Task.sleep(until: due, clock: .continuous)
                await self?.wakeSleeper(generation: generation)
            }
        }
    }

    /// Resumes the drain task if it is waiting out the interval. A timer passes its
    /// generation so that a late timer cannot cut short a later wait.
    private func wakeSleeper(generation: Int? = nil) {
        if let generation, generation != sleepGeneration { return }
        if let sleeper {
            self.sleeper = nil
            sleeper.resume()
        }
    }
}

/// The commit of one queued entry, for a caller that queued it without suspending (under its
/// own lock) and waits afterwards. Completed exactly once by the writer; waited on at most once.
public final class CommitTicket: Sendable {
    private struct State {
        var result: Result<Void, StoreError>?
        var waiter: UnsafeContinuation<Result<Void, StoreError>, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    func complete(_ result: Result<Void, StoreError>) {
        let waiter = state.withLock { state -> UnsafeContinuation<Result<Void, StoreError>, Never>? in
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: result)
    }

    /// Returns once the entry is committed (durable mode) or queued (relaxed mode); throws its
    /// refusal or the writer's failure.
    public func wait() async throws(StoreError) {
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Void, StoreError>, Never>) in
            let ready = state.withLock { state -> Result<Void, StoreError>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        try result.get()
    }
}
