import CertCore
import CertStore
import Synchronization

/// The N `EngineShard`s (each its own lock). A candidate's test lives in the shard chosen by a
/// stable hash of (session, candidate) (FNV-1a 64 modulo N), the same across restarts. Owned
/// by the daemon core.
final class EnginePool: Sendable {
    let shards: [EngineShard]

    init(count: Int, environment: EngineEnvironment) {
        precondition(count >= 1, "at least one engine")
        shards = (0..<count).map { EngineShard(index: $0, environment: environment) }
    }

    func shardIndex(for key: String) -> Int {
        Int(SeededRandom.key(key) % UInt64(shards.count))
    }

    func shard(for key: String) -> EngineShard {
        shards[shardIndex(for: key)]
    }

    var inFlightTotal: Int { shards.reduce(0) { $0 + $1.meters.inFlight.load(ordering: .relaxed) } }

    /// Queue depth, busy time and refusals of every shard, for `/metrics`.
    func samples() -> [DaemonMetrics.Sample] {
        var samples: [DaemonMetrics.Sample] = []
        for shard in shards {
            let label = [("engine", String(shard.index))]
            samples.append(.init(
                name: "certsim_engine_in_flight", help: "Requests queued or running in each engine.",
                labels: label, value: Double(shard.meters.inFlight.load(ordering: .relaxed))))
            samples.append(.init(
                name: "certsim_engine_busy_seconds_total", help: "Time each engine spent computing, in seconds.",
                type: "counter", labels: label,
                value: Double(shard.meters.busyNanoseconds.load(ordering: .relaxed)) / 1e9))
            samples.append(.init(
                name: "certsim_engine_requests_total", help: "Requests admitted by each engine.", type: "counter",
                labels: label, value: Double(shard.meters.requestsTotal.load(ordering: .relaxed))))
            samples.append(.init(
                name: "certsim_engine_busy_refusals_total",
                help: "Requests refused with BUSY because the engine's in-flight limit was reached.", type: "counter",
                labels: label, value: Double(shard.meters.busyRefusalsTotal.load(ordering: .relaxed))))
        }
        return samples
    }
}

/// What every shard shares: the rules' inputs, the store and the code registry.
/// Owned by the daemon core.
struct EngineEnvironment: Sendable {
    let seed: UInt64
    let limits: DaemonLimits
    let clock: any DaemonClock
    let writer: ResultWriter
    let verificationCodes: CodeRegistry
    /// Shared copies of the competence levels of the results kept in memory.
    let competenceLevels = CompetenceLevelsInterner()
}

/// One shared copy of each distinct competence-level table. A result keeps its table for the
/// life of the daemon (the written result, the certificate index), and the tables repeat:
/// levels come from the global capacity, so a day holds a few distinct ones, not one per
/// candidate. Sharing them saves about 0.8 KB per certification (a 16-entry dictionary), a few
/// hundred MB over a year's run. Owned by the daemon core; lock-protected.
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
/// Owned by the daemon core. Lock-protected: shards reserve codes from any thread.
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
