import CertCore
import CertStore
import Synchronization

/// One shard of the engine pool: the single owner of the `CandidateTest` values of the
/// candidates hashed to it. Every candidate-level request — the candidate's start, next,
/// answer and live alert; the invigilator's authorisation, end, alert decisions — runs one
/// CertCore transition here and queues the rows it returns as one writer entry, committed
/// together before the request is answered (durable mode).
///
/// Not an actor: the values sit behind a lock held only for the transition (an estimate
/// update and a selection take well under a microsecond) and the enqueue, never across an
/// await. So `next` runs in the caller's task without a hop, and `answer` computes in place and
/// then waits for its commit. Profiled on an academy day, the task switches around an engine
/// actor (two hops in per answer, one back after the commit) cost more CPU than the engine's
/// own computation. Queuing under the lock keeps one candidate's writes in transition order.
///
/// One failure policy, for every owner of state (shards, sessions): a transition changes the
/// value only once the writer has accepted its rows (checked before, queued under the lock);
/// a refused transition changes nothing. A commit that fails afterwards makes the writer
/// unhealthy for good (every later write is refused, `/healthz` answers 503): memory is then
/// ahead of the store until a restart rebuilds it from the store.
final class EngineShard: Sendable {
    let index: Int
    let meters: EngineMeters
    /// `DaemonLimits.engineInFlightMax`.
    let inFlightMax: Int
    private let environment: EngineEnvironment
    private let tests = Mutex(Tests())

    /// The shard's tests, each in a slot: requests that know the slot (a route holds it) reach
    /// their test by index, without hashing and comparing the key's string under the lock.
    /// A slot is never reused: a removed test leaves nil behind, so a stale route finds nothing
    /// rather than another candidate's test.
    private struct Tests {
        var values: [CandidateTest?] = []
        var slots: [String: Int] = [:]

        /// The slot of `key` if its test is here; with `slot` given, that slot if it holds the test.
        func index(key: String, slot: Int?) -> Int? {
            if let slot {
                return slot < values.count && values[slot] != nil ? slot : nil
            }
            guard let index = slots[key], values[index] != nil else { return nil }
            return index
        }
    }

    init(index: Int, environment: EngineEnvironment) {
        self.index = index
        self.environment = environment
        self.meters = EngineMeters()
        self.inFlightMax = environment.limits.engineInFlightMax
    }

    /// The key of a candidate's test in its shard.
    static func key(sessionId: String, candidateId: String) -> String {
        sessionId + "\u{0}" + candidateId
    }

    // MARK: Admission

    /// Admits one request or refuses it at once with BUSY (503, retry after 1 s), so that a
    /// saturated shard sheds load instead of queueing without bound. Pair with `leave()`.
    func enter() throws(DaemonError) {
        let count = meters.inFlight.add(1, ordering: .relaxed).newValue
        if count > inFlightMax {
            meters.inFlight.subtract(1, ordering: .relaxed)
            meters.busyRefusalsTotal.add(1, ordering: .relaxed)
            throw DaemonError.busy(
                "Engine \(index) has \(inFlightMax) requests in flight (engineInFlightMax); retry shortly.")
        }
        meters.requestsTotal.add(1, ordering: .relaxed)
    }

    func leave() {
        meters.inFlight.subtract(1, ordering: .relaxed)
    }

    // MARK: Values

    /// Adds a newly enrolled or recovered test; false if the candidate already has one.
    func insert(_ test: CandidateTest, key: String) -> Bool {
        tests.withLock { tests in
            guard tests.index(key: key, slot: nil) == nil else { return false }
            tests.slots[key] = tests.values.count
            tests.values.append(test)
            return true
        }
    }

    /// The slot of a candidate's test, for its route (nil if the shard does not hold it).
    func slot(of key: String) -> Int? {
        tests.withLock { $0.index(key: key, slot: nil) }
    }

    /// Drops every test of a session (its lease went to another daemon).
    func removeAll(sessionId: String) {
        let prefix = sessionId + "\u{0}"
        tests.withLock { tests in
            for (key, index) in tests.slots where key.hasPrefix(prefix) {
                tests.values[index] = nil
                tests.slots.removeValue(forKey: key)
            }
        }
    }

    /// Takes back a test whose enrolment row could not be queued.
    func remove(key: String) {
        tests.withLock { tests in
            guard let index = tests.slots.removeValue(forKey: key) else { return }
            tests.values[index] = nil
        }
    }

    /// Reads the test in place (no copy of its buffers) under the lock.
    func read<Result>(_ key: String, slot: Int? = nil, _ body: (borrowing CandidateTest) -> Result) -> Result? {
        tests.withLock { tests in
            guard let index = tests.index(key: key, slot: slot) else { return nil }
            return body(tests.values[index]!)
        }
    }

    // MARK: Transitions

    /// Runs `event` on the candidate's test and queues its rows (after `prefix`, rows of the
    /// same request that the caller adds, e.g. the session's first start) as one entry; returns
    /// the outcome and the ticket of that entry's commit. Throws the refusal (nothing changed).
    func apply(
        _ event: CandidateTest.Event, key: String, prefix: [StoreWrite] = []
    ) throws(DaemonError) -> (CandidateTest.Outcome, CommitTicket) {
        let writer = environment.writer
        do throws(StoreError) { try writer.checkAccepting() } catch { throw DaemonError(error) }
        let context = makeContext()
        let ticket = CommitTicket()
        let outcome = try tests.withLock { tests throws(DaemonError) -> CandidateTest.Outcome in
            guard let index = tests.index(key: key, slot: nil) else { throw notFound(key) }
            let outcome: CandidateTest.Outcome
            do throws(LifecycleError) {
                outcome = try tests.values[index]!.apply(event, context)
            } catch {
                throw DaemonError(error)
            }
            writer.enqueue(prefix + outcome.writes, ticket: ticket,
                           waitingInEveryMode: outcome.notices.contains(.resultWritten))
            return outcome
        }
        return (outcome, ticket)
    }

    /// The candidate's hot path (next, answer, live alert): `apply` without the ticket's
    /// allocation — the caller's task waits on a continuation that the commit resumes. Returns
    /// once the rows are durable (durable mode) or queued (relaxed mode).
    func perform(_ event: CandidateTest.Event, key: String, slot: Int? = nil) async throws(DaemonError)
        -> CandidateTest.Outcome
    {
        let started = ContinuousClock.now
        let writer = environment.writer
        do throws(StoreError) { try writer.checkAccepting() } catch { throw DaemonError(error) }
        let context = makeContext()
        var outcome: CandidateTest.Outcome?
        var refusal: DaemonError?
        let committed = await withUnsafeContinuation { (continuation: ResultWriter.Completion) in
            tests.withLock { tests in
                guard let index = tests.index(key: key, slot: slot) else {
                    refusal = notFound(key)
                    return
                }
                let applied: CandidateTest.Outcome
                do throws(LifecycleError) {
                    applied = try tests.values[index]!.apply(event, context)
                } catch {
                    refusal = DaemonError(error)
                    return
                }
                meters.addBusy(since: started)
                writer.enqueue(applied.writes, completion: continuation,
                               waitingInEveryMode: applied.notices.contains(.resultWritten))
                outcome = consume applied
            }
            if refusal != nil { continuation.resume(returning: .success(())) }
        }
        if let refusal { throw refusal }
        do throws(StoreError) { try committed.get() } catch { throw DaemonError(error) }
        return outcome.take()!
    }

    /// `next` without a continuation when it writes nothing (always, unless the time ran out:
    /// then nil, and the caller takes `perform`, which commits the end before refusing).
    func nextWithoutWrites(key: String, slot: Int? = nil) throws(DaemonError) -> CandidateTest.Outcome? {
        let started = ContinuousClock.now
        defer { meters.addBusy(since: started) }
        let context = makeContext()
        return try tests.withLock { tests throws(DaemonError) -> CandidateTest.Outcome? in
            guard let index = tests.index(key: key, slot: slot) else { throw notFound(key) }
            do throws(LifecycleError) {
                return try tests.values[index]!.nextWithoutWrites(context)
            } catch {
                throw DaemonError(error)
            }
        }
    }

    /// Runs `event` on every test of `keys` (finalisation), returning each outcome and their
    /// rows in order, without queuing them: the caller queues the session's rows and these as
    /// one entry. The caller checked the writer first; a refusal stops at that candidate (the
    /// earlier ones in this shard changed: finalisation checks every candidate beforehand).
    func applyAll(_ event: (String) -> CandidateTest.Event, keys: [String]) throws(DaemonError)
        -> [(key: String, outcome: CandidateTest.Outcome)]
    {
        let context = makeContext()
        return try tests.withLock { tests throws(DaemonError) -> [(key: String, outcome: CandidateTest.Outcome)] in
            var outcomes: [(key: String, outcome: CandidateTest.Outcome)] = []
            for key in keys {
                guard let index = tests.index(key: key, slot: nil) else { throw notFound(key) }
                do throws(LifecycleError) {
                    outcomes.append((key, try tests.values[index]!.apply(event(key), context)))
                } catch {
                    throw DaemonError(error)
                }
            }
            return outcomes
        }
    }

    private func makeContext() -> CandidateTest.Context {
        let registry = environment.verificationCodes
        let attemptsMax = environment.limits.verificationCodeAttemptsMax
        let interner = environment.competenceLevels
        return CandidateTest.Context(
            nowSeconds: environment.clock.nowSeconds(), seed: environment.seed,
            drawVerificationCode: { () throws(LifecycleError) -> String in
                // From the system's cryptographic generator: a verification code is a public
                // identifier that must not be enumerable from the seed.
                do throws(CodesError) {
                    return try Secrets.uniqueVerificationCode(limit: attemptsMax) { !registry.reserve($0) }
                } catch {
                    throw LifecycleError(.verificationCodeExhausted, error.message)
                }
            },
            internLevels: { interner.intern($0) })
    }

    private func notFound(_ key: String) -> DaemonError {
        let parts = key.split(separator: "\u{0}", maxSplits: 1).map(String.init)
        return .candidateNotFound(parts.count == 2 ? parts[1] : key, session: parts.first ?? "")
    }
}

/// Counters of one shard that live outside its lock, so that admission (BUSY) and the
/// metrics read them without taking it. Owned by the shard.
final class EngineMeters: Sendable {
    /// Requests admitted and not finished (computing, or waiting for the writer).
    let inFlight = Atomic<Int>(0)
    /// Time the shard spent computing (outside awaits), nanoseconds.
    let busyNanoseconds = Atomic<Int>(0)
    let requestsTotal = Atomic<Int>(0)
    let busyRefusalsTotal = Atomic<Int>(0)

    func addBusy(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let nanoseconds = Int(elapsed.components.seconds) * 1_000_000_000
            + Int(elapsed.components.attoseconds / 1_000_000_000)
        busyNanoseconds.add(nanoseconds, ordering: .relaxed)
    }
}
