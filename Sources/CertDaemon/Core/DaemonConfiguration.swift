import CertCore
import CertStore
import Foundation

/// Named limits of the daemon core, each with its default. Owned by the daemon core; the
/// `serve` command and scenario files may override them.
public struct DaemonLimits: Sendable, Equatable {
    /// Requests queued or running inside one engine; past it, requests fail fast with BUSY (503).
    public var engineInFlightMax: Int = 4_096
    /// Draws of a fresh verification code when one collides with a stored one.
    public var verificationCodeAttemptsMax: Int = 16
    /// Draws of a fresh access code (or session id) when one collides with a live session's.
    public var sessionCodeAttemptsMax: Int = 64
    /// Events a slow `watch` reader may lag behind before the oldest are dropped.
    public var eventBufferMax: Int = 1_024
    /// Sessions the daemon holds at once (created and not published, and published ones kept for lookup).
    public var sessionsMax: Int = 100_000
    /// Candidates one session may enrol.
    public var candidatesPerSessionMax: Int = 1_000
    /// Longest id (session, candidate) accepted from a client, in UTF-8 bytes.
    public var idLengthMax: Int = 128

    public init() {}
}

/// Everything `DaemonCore.open` needs. Owned by the daemon core; built by `serve` and by the
/// runner's embedded daemon.
///
/// ```swift
/// let configuration = DaemonConfiguration(bank: bank, seed: 42, databasePath: "run.sqlite")
/// let core = try await DaemonCore.open(configuration)
/// ```
public struct DaemonConfiguration: Sendable {
    /// The first bank: the one a single-bank daemon serves every version from.
    public var bank: ItemBank
    /// Further banks, of other competence frameworks (DESIGN §3.7: each version is served from
    /// the loaded bank of its framework).
    public var additionalBanks: [ItemBank]
    /// The certification versions sessions may run; the first is the default.
    public var versions: [CertificationVersion]
    /// CléA versions (DESIGN §3.7: no test of their own; a candidate enrolled in one acquires
    /// it from the core result).
    public var cleaVersions: [CleaVersion] = []
    /// Algorithm settings put on top of every version's `challenges` (a scenario's `algorithm`
    /// and `estimator`); empty for a daemon that runs the versions as written.
    public var algorithmOverrides: [String: JSONValue]
    /// Further overrides for one version, by version id, on top of `algorithmOverrides` (a mixed
    /// day's group settings).
    public var versionOverrides: [String: [String: JSONValue]] = [:]
    /// Seeds every draw of the daemon (challenge picks, codes) with the ids involved.
    public var seed: UInt64
    /// Number of AdaptiveEngines (each behind its own lock); assessments are sharded over them.
    public var engines: Int
    /// `durable`: an answer is acknowledged once committed; `relaxed`: once queued.
    public var durability: Durability
    /// The result store (a SQLite file, or PostgreSQL); opened (and recovered) by `DaemonCore.open`.
    public var store: StoreLocation
    /// The store as messages show it: the SQLite file, or the PostgreSQL URL without password.
    public var databasePath: String { store.description }
    public var clock: any DaemonClock
    public var limits: DaemonLimits
    /// Set to share a PostgreSQL store with other daemons (leases, takeover, redirects); nil for
    /// a daemon alone on its store.
    public var cluster: ClusterSettings?

    public init(
        bank: ItemBank, additionalBanks: [ItemBank] = [], versions: [CertificationVersion] = [BuiltInVersions.coreV3],
        algorithmOverrides: [String: JSONValue] = [:], seed: UInt64,
        engines: Int = ProcessInfo.processInfo.activeProcessorCount, durability: Durability = .durable,
        databasePath: String, clock: any DaemonClock = SystemClock(), limits: DaemonLimits = DaemonLimits()
    ) {
        self.bank = bank
        self.additionalBanks = additionalBanks
        self.versions = versions
        self.algorithmOverrides = algorithmOverrides
        self.seed = seed
        self.engines = max(1, engines)
        self.durability = durability
        self.store = .sqlite(path: databasePath)
        self.clock = clock
        self.limits = limits
    }

    /// Every loaded bank, the first first.
    public var banks: [ItemBank] { [bank] + additionalBanks }

    /// The loaded bank that serves `version` (``CertificationVersion/servingBank(from:)``).
    public func bank(for version: CertificationVersion) throws(CertError) -> ItemBank {
        try version.servingBank(from: banks)
    }
}
