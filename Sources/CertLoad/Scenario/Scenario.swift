import Foundation

/// One scenario file: what a run simulates (the day, the people, the proctors, the engine settings)
/// and the thresholds that fail it. A plain value with a default for every key, so a scenario file
/// only states what differs.
///
/// Owned by CertLoad's scenario half; read by the runner. Files are parsed by ``ScenarioParser``
/// (strict: unknown keys and bad values are errors naming the key and the line).
///
/// ```swift
/// let scenario = try Scenario.load(path: "Scenarios/smoke.yaml")
/// print(scenario.day.plannedCandidatesMax, scenario.thresholds.rmseMax ?? .nan)
/// ```
public struct Scenario: Sendable, Codable, Equatable {
    /// Free name shown in summaries and reports. YAML `name`.
    public var name: String = "unnamed"
    /// Free text. YAML `description`.
    public var description: String? = nil
    /// The one seed every random draw of the run derives from (DESIGN §6). YAML `seed`.
    public var seed: UInt64 = 1
    /// Where the item bank comes from. YAML `bank`.
    public var bank: BankSource = .generated(challenges: BankSource.generatedChallengesDefault, seed: 1)
    /// The certification version file the sessions run (DESIGN §3.7); nil for the built-in
    /// core-v3. A relative path is resolved against the scenario file's directory. YAML `version`.
    public var version: String? = nil
    /// Further bank files, one per other competence framework (a mixed day's Pix+ versions are
    /// served from the bank of their framework). YAML `banks`.
    public var additionalBanks: [String] = []
    /// Overrides of the engine's algorithm settings (DESIGN §3.4), spelt as the engine spells them,
    /// put on top of the version's `challenges`. Validated against ``AlgorithmOverrides/known``.
    /// YAML `algorithm`.
    public var algorithm: [String: AlgorithmValue] = [:]
    /// Capacity estimator. YAML `estimator: flash | eap`.
    public var estimator: Estimator = .flash
    /// Shape of the day: centres, sessions, waves. YAML `day`.
    public var day = DayShape()
    /// Who the candidates are. YAML `population`.
    public var population = Population()
    /// How the simulated candidates behave. YAML `behaviour`.
    public var behaviour = Behaviour()
    /// How the simulated invigilators react. YAML `proctors`.
    public var proctors = Proctors()
    /// Gap between the bank's calibrated parameters and the "true" ones that simulated people answer
    /// by. YAML `calibration_noise`.
    public var calibrationNoise = CalibrationNoise()
    /// When true every simulated person sits the test twice (independent draws), for test–retest
    /// measures. YAML `retest`.
    public var retest: Bool = false
    /// How simulated candidates reach the daemon. YAML `transport: inproc | http`.
    public var transport: Transport = .inproc
    /// Simulated seconds per real second; 0 = as fast as possible. YAML `time_scale`.
    public var timeScale: Double = 0
    /// Most simulated candidates in flight at once. YAML `concurrency`.
    public var concurrency: Int = Scenario.concurrencyDefault
    /// Whether each acknowledged answer is durable before its acknowledgement. YAML `durability`.
    public var durability: Durability = .durable
    /// How item security (exposure, test overlap) is measured. YAML `item_security`.
    public var itemSecurity = ItemSecuritySettings()
    /// Limits that make the run exit non-zero. YAML `thresholds`.
    public var thresholds = Thresholds()
    /// What `certsim run` does with the scenario: play it once, or search the daemon's capacity.
    /// YAML `mode: run | capacity`.
    public var mode: Mode = .run
    /// How a capacity search steps the load; nil = the defaults. YAML `capacity`.
    public var capacity: CapacitySettings? = nil

    public static let concurrencyDefault = 256
    /// Largest accepted `concurrency`.
    public static let concurrencyMax = 1_000_000

    public init() {}

    /// Capacity estimator named by a scenario; maps one to one onto the engine's `EstimatorKind`
    /// by raw value.
    public enum Estimator: String, Sendable, Codable, CaseIterable { case flash, eap }

    /// What a run of the scenario does: `run` plays the day once; `capacity` raises the load step by
    /// step until the service-level objective breaks (``CapacitySettings``).
    public enum Mode: String, Sendable, Codable, CaseIterable { case run, capacity }

    /// Transport between simulated candidates and the daemon.
    public enum Transport: String, Sendable, Codable, CaseIterable { case inproc, http }

    /// Store durability: `durable` commits each answer before acknowledging it; `relaxed` may lose the
    /// last moments on a crash.
    public enum Durability: String, Sendable, Codable, CaseIterable { case durable, relaxed }

    /// Reads and parses a scenario file (`.yaml`, `.yml` or `.json`). A relative `bank.path` or
    /// `thresholds.baseline` is resolved against the scenario file's directory.
    public static func load(path: String) throws(ScenarioError) -> Scenario {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ScenarioError(.scenarioUnreadable, "cannot read scenario file '\(path)': \(error.localizedDescription)")
        }
        var scenario = try ScenarioParser.parse(text, fileName: path)
        let directory = (path as NSString).deletingLastPathComponent
        func resolved(_ relative: String) -> String {
            relative.hasPrefix("/") || directory.isEmpty ? relative : (directory as NSString).appendingPathComponent(relative)
        }
        if case .file(let bankPath) = scenario.bank {
            scenario.bank = .file(path: resolved(bankPath))
        }
        scenario.thresholds.baseline = scenario.thresholds.baseline.map(resolved)
        scenario.version = scenario.version.map(resolved)
        scenario.additionalBanks = scenario.additionalBanks.map(resolved)
        for index in scenario.population.groups.indices {
            scenario.population.groups[index].version = scenario.population.groups[index].version.map(resolved)
            scenario.population.groups[index].complementary = scenario.population.groups[index].complementary.map(resolved)
        }
        return scenario
    }

    /// The algorithm overrides and the estimator as one partial JSON object, the input the engine's
    /// `AlgorithmConfiguration` decoder takes (missing keys keep the engine's defaults; a `null`
    /// `variationPercent` means no capping).
    public func algorithmConfigurationJSON() -> Data {
        var object: [String: AlgorithmValue] = algorithm
        object["estimator"] = nil
        var parts = object.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value.jsonText)" }
        parts.append("\"estimator\":\"\(estimator.rawValue)\"")
        return Data("{\(parts.joined(separator: ","))}".utf8)
    }
}

/// Where a scenario's item bank comes from.
public enum BankSource: Sendable, Codable, Equatable {
    /// A bank file in the bank JSON format. YAML `bank: PATH` or `bank: {path: PATH}`.
    case file(path: String)
    /// A bank generated by the engine's generator. YAML `bank: {generate: {challenges: N, seed: S}}`.
    case generated(challenges: Int, seed: UInt64)

    public static let generatedChallengesDefault = 1200
    /// Largest generated bank accepted.
    public static let generatedChallengesMax = 1_000_000
}
