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
/// try await writer.upsertSession(session)
/// try await writer.appendAnswer(AnswerRecord(assessmentId: "a1", questionNumber: 1,
///                                            challengeId: "rec1", result: "ok",
///                                            recordedSeconds: clock.nowSeconds))
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

    /// Whether a verification code was free when a result was inserted.
    public enum ResultInsertion: Sendable, Equatable {
        case inserted
        /// Another result already holds this verification code: nothing was written; draw a
        /// new code and call ``ResultWriter/insertResult(_:)`` again.
        case verificationCodeTaken
    }

    /// Unsafe (not checked) because one is made per row on the hot path and the checked kind
    /// allocates a guard object each time; each is resumed exactly once, by the commit that
    /// holds its row or by the refusal of its enqueue.
    private typealias Completion = UnsafeContinuation<Result<OperationOutcome, StoreError>, Never>

    /// Rows taken from the queue for one commit: the operations (handed to the database queue
    /// as they are) and, at the same positions, who waits for each.
    private struct Batch {
        var operations: [WriteOperation] = []
        var completions: [Completion?] = []
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
        var operations: [WriteOperation] = []
        var completions: [Completion?] = []
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

    public let path: String
    public let configuration: Configuration
    private let queue: DatabaseQueue
    /// Held from `init` to `close` (or until the writer is freed): one writer per store.
    private let lock: StoreLock

    private let inbox = Mutex(Inbox())
    /// Used inside transactions only (see ``AssessmentKeys``).
    private let keys = AssessmentKeys()
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
        precondition(configuration.batchRowsMax >= 1, "batchRowsMax must be at least 1")
        precondition(configuration.pendingRowsMax >= 1, "pendingRowsMax must be at least 1")
        precondition(configuration.commitIntervalMicroseconds >= 0, "commitIntervalMicroseconds must not be negative")
        self.path = path
        self.configuration = configuration
        self.latencies = CommitLatencyWindow(capacity: configuration.commitLatencySamplesMax)
        try StoreFile.checkWritable(path: path)
        let lock = try StoreLock.acquire(storePath: path)
        do throws(StoreError) {
            self.queue = try StoreFile.openForWriting(path: path, durability: configuration.durability)
        } catch {
            lock.release()
            throw error
        }
        self.lock = lock
    }

    /// False once a commit has failed; the writer then refuses everything with `STORE_UNHEALTHY`.
    public var isHealthy: Bool { inbox.withLock { $0.failure == nil } }

    /// The failure that made the writer unhealthy, if any.
    public var lastFailure: StoreError? { inbox.withLock { $0.failure } }

    // MARK: Writes

    /// Appends one answer to the journal. In `durable` mode returns once it is committed;
    /// in `relaxed` mode once it is queued. Throws `STORE_DUPLICATE_ANSWER` (durable mode) if
    /// the assessment already has that question number, `STORE_UNKNOWN_REFERENCE` for an
    /// unknown assessment, `STORE_BUSY` when the queue is full, `STORE_UNHEALTHY`, `STORE_CLOSED`.
    public nonisolated func appendAnswer(_ answer: AnswerRecord) async throws(StoreError) {
        try await submitExpectingDone(.answer(answer), waitForCommit: configuration.durability == .durable)
    }

    /// Inserts or replaces a session row (status changes included).
    public nonisolated func upsertSession(_ session: SessionRecord) async throws(StoreError) {
        try await submitExpectingDone(.session(session), waitForCommit: configuration.durability == .durable)
    }

    /// Inserts or replaces a candidate row; its session must be stored first.
    public nonisolated func upsertCandidate(_ candidate: CandidateRecord) async throws(StoreError) {
        try await submitExpectingDone(.candidate(candidate), waitForCommit: configuration.durability == .durable)
    }

    /// Inserts or replaces an assessment row; its candidate must be stored first.
    public nonisolated func upsertAssessment(_ assessment: AssessmentRecord) async throws(StoreError) {
        try await submitExpectingDone(.assessment(assessment), waitForCommit: configuration.durability == .durable)
    }

    /// Changes an assessment's status. In durable mode, an unknown id throws `STORE_UNKNOWN_REFERENCE`.
    public nonisolated func updateAssessmentStatus(assessmentId: String, status: String) async throws(StoreError) {
        try await submitExpectingDone(.assessmentStatus(assessmentId: assessmentId, status: status),
                                      waitForCommit: configuration.durability == .durable)
    }

    /// Changes a candidate's status and abort reason. In durable mode, an unknown candidate
    /// throws `STORE_UNKNOWN_REFERENCE`.
    public nonisolated func updateCandidateStatus(sessionId: String, candidateId: String, status: String,
                                      abortReason: String?) async throws(StoreError) {
        try await submitExpectingDone(
            .candidateStatus(sessionId: sessionId, candidateId: candidateId, status: status, abortReason: abortReason),
            waitForCommit: configuration.durability == .durable)
    }

    /// Inserts or replaces a live or companion alert (same `id` when its status changes).
    public nonisolated func upsertAlert(_ alert: AlertRecord) async throws(StoreError) {
        try await submitExpectingDone(.alert(alert), waitForCommit: configuration.durability == .durable)
    }

    /// Inserts an issue report.
    public nonisolated func insertIssueReport(_ report: IssueReportRecord) async throws(StoreError) {
        try await submitExpectingDone(.issueReport(report), waitForCommit: configuration.durability == .durable)
    }

    /// Inserts the result of an assessment. Always waits for the commit, in both modes,
    /// because the caller needs the outcome: ``ResultInsertion/verificationCodeTaken`` when
    /// the code is already used (draw another and retry, a bounded number of times).
    /// Throws `STORE_DUPLICATE_RESULT` if the assessment already has a result.
    public nonisolated func insertResult(_ result: ResultRecord) async throws(StoreError) -> ResultInsertion {
        switch try await submit(.result(result), waitForCommit: true) {
        case .done: return .inserted
        case .verificationCodeTaken: return .verificationCodeTaken
        case .refused(let error): throw error
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
            try queue.close()
        } catch {
            if flushFailure == nil { flushFailure = StoreErrors.map(error, path: path, while: "closing") }
        }
        lock.release()
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
        lock.releaseAsACrashWould()
    }

    /// Reads a pragma on the write connection (per-connection settings such as
    /// `synchronous` cannot be seen from another connection). For tests.
    func pragmaForTesting(_ name: String) async throws -> Int? {
        try await queue.read { db in try Int.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    // MARK: Queue

    private nonisolated func submitExpectingDone(_ operation: WriteOperation, waitForCommit: Bool) async throws(StoreError) {
        switch try await submit(operation, waitForCommit: waitForCommit) {
        case .done: return
        case .verificationCodeTaken:
            // Only results can collide on a verification code; they use insertResult.
            throw StoreError(.storeConstraint, "Verification code already used.")
        case .refused(let error): throw error
        }
    }

    /// Queues `operation` under the inbox lock, in the caller's task, and starts the drain task
    /// if none runs. With `waitForCommit`, suspends until the operation's batch is committed.
    private nonisolated func submit(_ operation: WriteOperation, waitForCommit: Bool) async throws(StoreError) -> OperationOutcome {
        guard waitForCommit else {
            try enqueue(operation, completion: nil)
            return .done
        }
        let outcome = await withUnsafeContinuation { (continuation: Completion) in
            do throws(StoreError) {
                try enqueue(operation, completion: continuation)
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        return try outcome.get()
    }

    private nonisolated func enqueue(_ operation: WriteOperation, completion: Completion?) throws(StoreError) {
        let batchRowsMax = configuration.batchRowsMax
        let (startDrain, batchFull) = try inbox.withLock { inbox throws(StoreError) -> (Bool, Bool) in
            if inbox.isClosing {
                throw StoreError(.storeClosed, "The result writer of \(path) is closed.")
            }
            if let failure = inbox.failure { throw failure }
            if inbox.count >= configuration.pendingRowsMax {
                throw StoreError(.storeBusy, "The result writer of \(path) has \(inbox.count) writes queued (pendingRowsMax \(configuration.pendingRowsMax)); retry shortly.")
            }
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
            // Timed on the database queue: the transaction itself, fsync included, without
            // the hops to and from the actor.
            let (outcomes, transactionDuration) = try await queue.writeWithoutTransaction { db in
                let started = ContinuousClock.now
                var outcomes: [OperationOutcome] = []
                try db.inTransaction(.immediate) {
                    outcomes = try WriteBatch.apply(operations, in: db, keys: keys)
                    return .commit
                }
                return (outcomes, ContinuousClock.now - started)
            }
            elapsed = transactionDuration
            result = .success(outcomes)
        } catch {
            let cause = StoreErrors.map(error, path: path, while: "committing")
            result = .failure(StoreError(.storeUnhealthy, "A commit to \(path) failed (\(cause.message)); the store accepts no more writes."))
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
                if case .refused = outcome { counters.rowsRefused += 1 }
                else if case .verificationCodeTaken = outcome { counters.rowsRefused += 1 }
                else { counters.rowsCommitted += 1 }
                completion?.resume(returning: .success(outcome))
            }
        case .failure(let error):
            inbox.withLock { inbox in
                if inbox.failure == nil { inbox.failure = error }
            }
            counters.rowsFailed += count
            for completion in batch.completions { completion?.resume(returning: .failure(error)) }
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
        for completion in queued.completions { completion?.resume(returning: .failure(failure)) }
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
