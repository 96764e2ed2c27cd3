import CertCore
import CertStore
import Synchronization

/// Counters of one engine that live outside its lock, so that admission (BUSY) and the
/// metrics read them without taking it. Owned by the daemon core's engine pool.
final class EngineMeters: Sendable {
    /// Requests admitted and not finished (computing, or waiting for the writer).
    let inFlight = Atomic<Int>(0)
    /// Time the engine spent computing (outside awaits), nanoseconds.
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

/// One engine and its admission counter.
final class EngineSlot: Sendable {
    let engine: AdaptiveEngine
    let meters: EngineMeters
    /// `DaemonLimits.engineInFlightMax`.
    let inFlightMax: Int

    init(engine: AdaptiveEngine, meters: EngineMeters, inFlightMax: Int) {
        self.engine = engine
        self.meters = meters
        self.inFlightMax = inFlightMax
    }

    /// Admits one request or refuses it at once with BUSY (503, retry after 1 s), so that a
    /// saturated engine sheds load instead of queueing without bound. Pair with `leave()`.
    func enter() throws(DaemonError) {
        let count = meters.inFlight.add(1, ordering: .relaxed).newValue
        if count > inFlightMax {
            meters.inFlight.subtract(1, ordering: .relaxed)
            meters.busyRefusalsTotal.add(1, ordering: .relaxed)
            throw DaemonError.busy(
                "Engine \(engine.index) has \(inFlightMax) requests in flight (engineInFlightMax); retry shortly.")
        }
        meters.requestsTotal.add(1, ordering: .relaxed)
    }

    func leave() {
        meters.inFlight.subtract(1, ordering: .relaxed)
    }
}

/// The N `AdaptiveEngine`s (each its own lock). An assessment lives in the engine chosen by a stable hash
/// of its id (FNV-1a 64 modulo N), the same across restarts. Owned by the daemon core.
final class EnginePool: Sendable {
    let slots: [EngineSlot]

    init(count: Int, environment: EngineEnvironment) {
        precondition(count >= 1, "at least one engine")
        slots = (0..<count).map { index in
            let meters = EngineMeters()
            return EngineSlot(
                engine: AdaptiveEngine(index: index, environment: environment, meters: meters),
                meters: meters, inFlightMax: environment.limits.engineInFlightMax)
        }
    }

    func slotIndex(for assessmentId: String) -> Int {
        Int(SeededRandom.key(assessmentId) % UInt64(slots.count))
    }

    func slot(for assessmentId: String) -> EngineSlot {
        slots[slotIndex(for: assessmentId)]
    }

    var inFlightTotal: Int { slots.reduce(0) { $0 + $1.meters.inFlight.load(ordering: .relaxed) } }

    /// Queue depth, busy time and refusals of every engine, for `/metrics`.
    func samples() -> [DaemonMetrics.Sample] {
        var samples: [DaemonMetrics.Sample] = []
        for (index, slot) in slots.enumerated() {
            let label = [("engine", String(index))]
            samples.append(.init(
                name: "certsim_engine_in_flight", help: "Requests queued or running in each engine.",
                labels: label, value: Double(slot.meters.inFlight.load(ordering: .relaxed))))
            samples.append(.init(
                name: "certsim_engine_busy_seconds_total", help: "Time each engine spent computing, in seconds.",
                type: "counter", labels: label,
                value: Double(slot.meters.busyNanoseconds.load(ordering: .relaxed)) / 1e9))
            samples.append(.init(
                name: "certsim_engine_requests_total", help: "Requests admitted by each engine.", type: "counter",
                labels: label, value: Double(slot.meters.requestsTotal.load(ordering: .relaxed))))
            samples.append(.init(
                name: "certsim_engine_busy_refusals_total",
                help: "Requests refused with BUSY because the engine's in-flight limit was reached.", type: "counter",
                labels: label, value: Double(slot.meters.busyRefusalsTotal.load(ordering: .relaxed))))
        }
        return samples
    }
}

/// What every engine shares: the rules' inputs, the store and the code registry.
/// Owned by the daemon core.
struct EngineEnvironment: Sendable {
    let seed: UInt64
    let bank: ItemBank
    let algorithm: AlgorithmConfiguration
    let limits: DaemonLimits
    let clock: any DaemonClock
    let writer: ResultWriter
    let verificationCodes: CodeRegistry
    /// Shared copies of the competence levels of the results kept in memory.
    let competenceLevels = CompetenceLevelsInterner()
}

/// One shared copy of each distinct competence-level table. A result keeps its table for the
/// life of the daemon (the engine's written result, the certificate index), and the tables
/// repeat: levels come from the global capacity, so a day holds a few distinct ones, not one
/// per candidate. Sharing them saves about 0.8 KB per certification (a 16-entry dictionary),
/// a few hundred MB over a year's run. Owned by the daemon core; lock-protected.
final class CompetenceLevelsInterner: Sendable {
    /// Distinct tables kept at most; past it a table is returned as it is (still correct).
    static let tablesMax = 4_096
    private let tables = Mutex(Set<[String: Int]>())

    func intern(_ levels: [String: Int]) -> [String: Int] {
        tables.withLock { tables in
            if let index = tables.firstIndex(of: levels) { return tables[index] }
            if tables.count < Self.tablesMax { tables.insert(levels) }
            return levels
        }
    }
}

/// The verification codes in use (loaded from the store at start), so that a fresh code is
/// checked without a store round trip; the store's UNIQUE constraint stays the last word.
/// Owned by the daemon core. Lock-protected: engines reserve codes from any thread.
final class CodeRegistry: Sendable {
    private let codes = Mutex(Set<String>())

    /// True when `code` was free and is now reserved.
    func reserve(_ code: String) -> Bool {
        codes.withLock { $0.insert(code).inserted }
    }

    func contains(_ code: String) -> Bool {
        codes.withLock { $0.contains(code) }
    }
}
