import Foundation
import Yams

/// Turns scenario text (YAML, or JSON, which is YAML) into a ``Scenario``, strictly.
///
/// The text is composed into Yams nodes and read by hand, not through `Codable`, so every error
/// carries the key path and the line: unknown keys are `SCENARIO_UNKNOWN_KEY`, wrong types,
/// out-of-range numbers, unknown words and contradictions are `SCENARIO_BAD_VALUE`, syntax errors are
/// `SCENARIO_MALFORMED`. YAML keys are snake_case, except under `algorithm`, which uses the engine's
/// own names (DESIGN §3.4).
///
/// Owned by CertLoad's scenario half.
public enum ScenarioParser {
    /// Top-level keys, in the order a scenario file usually lists them.
    public static let topLevelKeys = [
        "name", "description", "seed", "bank", "banks", "version", "algorithm", "estimator", "day", "population", "behaviour",
        "proctors", "calibration_noise", "retest", "transport", "time_scale", "concurrency", "durability",
        "item_security", "thresholds", "mode", "capacity",
    ]
    /// Largest scenario file accepted, in bytes.
    public static let textBytesMax = 1 << 20
    static let secondsMax = 7 * 24 * 3600.0
    static let logitMax = 20.0

    /// Parses scenario text. `fileName` only decides the dialect (`.json` → JSON) and appears in no error.
    public static func parse(_ text: String, fileName: String? = nil) throws(ScenarioError) -> Scenario {
        guard text.utf8.count <= textBytesMax else {
            throw ScenarioError(.scenarioMalformed, "scenario text is longer than \(textBytesMax) bytes")
        }
        let looksLikeJSON = fileName.map { $0.lowercased().hasSuffix(".json") }
            ?? text.drop(while: { $0.isWhitespace }).hasPrefix("{")
        // Literal tabs cannot occur inside valid JSON strings, so turning them into spaces only changes
        // indentation, which YAML would otherwise refuse; line numbers are unchanged.
        let source = looksLikeJSON ? text.replacingOccurrences(of: "\t", with: " ") : text
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: source) else {
                throw ScenarioError(.scenarioMalformed, "the scenario is empty", line: 1)
            }
            root = node
        } catch let error as ScenarioError {
            throw error
        } catch let error as YamlError {
            throw malformed(error)
        } catch {
            throw ScenarioError(.scenarioMalformed, "cannot parse the scenario: \(error)")
        }
        guard case .mapping = root else {
            throw ScenarioError(.scenarioMalformed, "the scenario must be a mapping of keys at the top (line \(root.mark?.line ?? 1))",
                                line: root.mark?.line)
        }
        return try read(ScenarioNode(node: root, path: ""))
    }

    static func malformed(_ error: YamlError) -> ScenarioError {
        func sentence(_ problem: String, _ context: YamlError.Context?, _ mark: Mark) -> ScenarioError {
            let about = context.map { " (\($0.text))" } ?? ""
            return ScenarioError(.scenarioMalformed, "YAML syntax error at line \(mark.line), column \(mark.column): \(problem)\(about)",
                                 line: mark.line)
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return sentence(problem, context, mark)
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return ScenarioError(.scenarioBadValue, "key \(keys) appears twice in the mapping at line \(context.mark.line)",
                                 line: context.mark.line)
        case let .reader(problem, offset, _, yaml):
            // The reader reports a byte offset, not a line: count the line ends before it.
            let line = offset.map { yaml.utf8.prefix($0).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 } }
            return ScenarioError(.scenarioMalformed, "unreadable character\(ScenarioError.at(line)): \(problem)", line: line)
        default:
            return ScenarioError(.scenarioMalformed, "cannot parse the scenario: \(error)")
        }
    }

    static func read(_ root: ScenarioNode) throws(ScenarioError) -> Scenario {
        var scenario = Scenario()
        let entries = try root.mapping(allowed: topLevelKeys)
        if let node = entries["name"] { scenario.name = try node.string() }
        if let node = entries["description"], !node.isNull { scenario.description = try node.string() }
        if let node = entries["seed"] { scenario.seed = try node.uint64() }
        if let node = entries["bank"] { scenario.bank = try readBank(node) }
        if let node = entries["version"], !node.isNull { scenario.version = try node.string() }
        if let node = entries["algorithm"] { scenario.algorithm = try readAlgorithm(node) }
        if let node = entries["estimator"] { scenario.estimator = try node.word(Scenario.Estimator.self) }
        if let node = entries["day"] { scenario.day = try readDay(node) }
        if let node = entries["banks"] { scenario.additionalBanks = try readPaths(node) }
        if let node = entries["behaviour"] { scenario.behaviour = try readBehaviour(node) }
        if let node = entries["population"] { scenario.population = try readPopulation(node, behaviour: scenario.behaviour) }
        if let node = entries["proctors"] { scenario.proctors = try readProctors(node) }
        if let node = entries["calibration_noise"] { scenario.calibrationNoise = try readCalibrationNoise(node) }
        if let node = entries["retest"] { scenario.retest = try node.bool() }
        if let node = entries["transport"] { scenario.transport = try node.word(Scenario.Transport.self) }
        if let node = entries["time_scale"] { scenario.timeScale = try node.double(in: 0...1_000_000) }
        if let node = entries["concurrency"] { scenario.concurrency = try node.int(in: 1...Scenario.concurrencyMax) }
        if let node = entries["durability"] { scenario.durability = try node.word(Scenario.Durability.self) }
        if let node = entries["item_security"] { scenario.itemSecurity = try readItemSecurity(node) }
        if let node = entries["thresholds"] { scenario.thresholds = try readThresholds(node) }
        if let node = entries["mode"] { scenario.mode = try node.word(Scenario.Mode.self) }
        if let node = entries["capacity"], !node.isNull { scenario.capacity = try readCapacity(node) }
        return scenario
    }

    static func readBank(_ node: ScenarioNode) throws(ScenarioError) -> BankSource {
        if case .scalar = node.node { return .file(path: try node.string()) }
        let entries = try node.mapping(allowed: ["path", "generate"])
        switch (entries["path"], entries["generate"]) {
        case (let path?, nil):
            return .file(path: try path.string())
        case (nil, let generate?):
            let fields = try generate.mapping(allowed: ["challenges", "seed"])
            let challenges = try fields["challenges"]?.int(in: 1...BankSource.generatedChallengesMax)
                ?? BankSource.generatedChallengesDefault
            let seed = try fields["seed"]?.uint64() ?? 1
            return .generated(challenges: challenges, seed: seed)
        case (.some, .some):
            throw node.bad("give either 'path' or 'generate', not both")
        case (nil, nil):
            throw node.bad("needs 'path' or 'generate'")
        }
    }

    static func readAlgorithm(_ node: ScenarioNode) throws(ScenarioError) -> [String: AlgorithmValue] {
        let entries = try node.mapping(allowed: AlgorithmOverrides.known.map(\.key))
        var values: [String: AlgorithmValue] = [:]
        for (key, kind) in AlgorithmOverrides.known {
            guard let value = entries[key] else { continue }
            switch kind {
            case .integer(let range):
                values[key] = .int(try value.int(in: range))
            case .boolean:
                values[key] = .bool(try value.bool())
            case .number(let range, let nullable):
                if nullable && value.isNull {
                    values[key] = .null
                } else {
                    values[key] = .double(try value.double(in: range))
                }
            }
        }
        return values
    }

    static func readDay(_ node: ScenarioNode) throws(ScenarioError) -> DayShape {
        let entries = try node.mapping(allowed: [
            "centres", "sessions_per_centre", "waves", "wave_spacing_minutes", "candidates_per_session",
            "candidates", "session_duration_minutes", "arrival_spread_seconds",
        ])
        var day = DayShape()
        let counts = 1...DayShape.countMax
        if let value = entries["centres"] { day.centres = try value.int(in: counts) }
        if let value = entries["sessions_per_centre"] { day.sessionsPerCentre = try value.int(in: counts) }
        if let value = entries["waves"] { day.waves = try value.int(in: counts) }
        if let value = entries["wave_spacing_minutes"] { day.waveSpacingMinutes = try value.double(in: 0...secondsMax / 60) }
        if let value = entries["candidates_per_session"] { day.candidatesPerSession = try value.countRange(in: 1...1000) }
        if let value = entries["candidates"], !value.isNull {
            if let waves = entries["waves"] {
                throw waves.bad("'waves' and 'candidates' contradict each other: with an explicit total the waves are derived")
            }
            day.candidates = try value.int(in: counts)
        }
        if let value = entries["session_duration_minutes"] { day.sessionDurationMinutes = try value.double(in: 1...secondsMax / 60) }
        if let value = entries["arrival_spread_seconds"] { day.arrivalSpreadSeconds = try value.double(in: 0...secondsMax) }
        guard day.sessionsPerWave <= DayShape.countMax else {
            throw node.bad("centres × sessions_per_centre = \(day.sessionsPerWave) is above \(DayShape.countMax)")
        }
        return day
    }

    static func readPopulation(_ node: ScenarioNode, behaviour: Behaviour) throws(ScenarioError) -> Population {
        let entries = try node.mapping(allowed: ["ability", "accessibility_share", "locale", "groups"])
        var population = Population()
        if let value = entries["ability"] { population.ability = try readAbility(value) }
        if let value = entries["accessibility_share"] { population.accessibilityShare = try value.probability() }
        if let value = entries["locale"] { population.locale = try value.string() }
        if let value = entries["groups"] {
            guard case .sequence(let sequence) = value.node else { throw value.bad("expected a list of groups, found \(value.kindDescription)") }
            guard (1...PopulationGroup.countMax).contains(sequence.count) else {
                throw value.bad("a day has 1 to \(PopulationGroup.countMax) groups, found \(sequence.count)")
            }
            var names = Set<String>()
            for (index, item) in sequence.enumerated() {
                let group = try readGroup(ScenarioNode(node: item, path: "\(value.path)[\(index)]"), base: population,
                                          behaviour: behaviour)
                guard names.insert(group.name).inserted else {
                    throw ScenarioNode(node: item, path: "\(value.path)[\(index)]").bad("group name '\(group.name)' is used twice")
                }
                population.groups.append(group)
            }
            let total = population.groups.reduce(0) { $0 + $1.share }
            guard abs(total - 1) < 1e-6 else {
                throw value.bad("the groups' shares add up to \(ScenarioNode.format(total)), not 1")
            }
        }
        return population
    }

    static func readGroup(_ node: ScenarioNode, base: Population, behaviour: Behaviour) throws(ScenarioError) -> PopulationGroup {
        let entries = try node.mapping(allowed: [
            "name", "share", "version", "complementary", "algorithm", "ability", "complementary_ability",
            "accessibility_share", "locale", "behaviour",
        ])
        guard let nameNode = entries["name"] else { throw node.bad("a group needs a 'name'") }
        guard let shareNode = entries["share"] else { throw node.bad("a group needs a 'share'") }
        let share = try shareNode.double(in: 0...1)
        guard share > 0 else { throw shareNode.bad("a group's share must be above 0") }
        var group = PopulationGroup(name: try nameNode.string(), share: share, population: base, behaviour: behaviour)
        if let value = entries["version"], !value.isNull { group.version = try value.string() }
        if let value = entries["complementary"], !value.isNull { group.complementary = try value.string() }
        if let value = entries["algorithm"] { group.algorithm = try readAlgorithm(value) }
        if let value = entries["ability"] { group.ability = try readAbility(value) }
        if let value = entries["complementary_ability"] { group.complementaryAbility = try readAbility(value) }
        if let value = entries["accessibility_share"] { group.accessibilityShare = try value.probability() }
        if let value = entries["locale"] { group.locale = try value.string() }
        if let value = entries["behaviour"] { group.behaviour = try readBehaviour(value, base: behaviour) }
        return group
    }

    static func readPaths(_ node: ScenarioNode) throws(ScenarioError) -> [String] {
        if case .scalar = node.node { return [try node.string()] }
        guard case .sequence(let sequence) = node.node else { throw node.bad("expected a list of bank files, found \(node.kindDescription)") }
        var paths: [String] = []
        for (index, item) in sequence.enumerated() {
            paths.append(try ScenarioNode(node: item, path: "\(node.path)[\(index)]").string())
        }
        return paths
    }

    static func readAbility(_ node: ScenarioNode) throws(ScenarioError) -> AbilityDistribution {
        let entries = try node.mapping(allowed: ["distribution", "mean", "sd", "min", "max"])
        let logits = -logitMax...logitMax
        let kind = try entries["distribution"]?.string() ?? "normal"
        switch kind {
        case "normal":
            for key in ["min", "max"] {
                if let stray = entries[key] { throw stray.bad("'\(key)' belongs to the uniform distribution; the normal takes mean and sd") }
            }
            let mean = try entries["mean"]?.double(in: logits) ?? 0
            let sd = try entries["sd"]?.double(in: 0...logitMax) ?? 1
            return .normal(mean: mean, standardDeviation: sd)
        case "uniform":
            for key in ["mean", "sd"] {
                if let stray = entries[key] { throw stray.bad("'\(key)' belongs to the normal distribution; the uniform takes min and max") }
            }
            guard let low = entries["min"], let high = entries["max"] else { throw node.bad("the uniform distribution needs min and max") }
            let minimum = try low.double(in: logits), maximum = try high.double(in: logits)
            guard minimum <= maximum else { throw high.bad("max \(maximum) is below min \(minimum)") }
            return .uniform(minimum: minimum, maximum: maximum)
        default:
            throw entries["distribution"]!.bad("unknown word '\(kind)'; expected normal | uniform")
        }
    }

    static func readBehaviour(_ node: ScenarioNode, base: Behaviour = Behaviour()) throws(ScenarioError) -> Behaviour {
        let entries = try node.mapping(allowed: [
            "think_time", "abandon_share", "live_alert_rate_per_question", "technical_incident_share",
            "companion_alert_share",
        ])
        var behaviour = base
        if let value = entries["think_time"] { behaviour.thinkTime = try readThinkTime(value) }
        if let value = entries["abandon_share"] { behaviour.abandonShare = try value.probability() }
        if let value = entries["live_alert_rate_per_question"] { behaviour.liveAlertRatePerQuestion = try value.probability() }
        if let value = entries["technical_incident_share"] { behaviour.technicalIncidentShare = try value.probability() }
        if let value = entries["companion_alert_share"] { behaviour.companionAlertShare = try value.probability() }
        return behaviour
    }

    static func readThinkTime(_ node: ScenarioNode) throws(ScenarioError) -> ThinkTime {
        let entries = try node.mapping(allowed: ["median_seconds", "sigma", "min_seconds", "max_seconds"])
        var thinkTime = ThinkTime()
        if let value = entries["median_seconds"] { thinkTime.medianSeconds = try value.double(in: 0...secondsMax) }
        if let value = entries["sigma"] { thinkTime.sigma = try value.double(in: 0...10) }
        if let value = entries["min_seconds"] { thinkTime.minimumSeconds = try value.double(in: 0...secondsMax) }
        if let value = entries["max_seconds"] { thinkTime.maximumSeconds = try value.double(in: 0...secondsMax) }
        guard thinkTime.minimumSeconds <= thinkTime.maximumSeconds else {
            throw (entries["max_seconds"] ?? node).bad("max_seconds \(thinkTime.maximumSeconds) is below min_seconds \(thinkTime.minimumSeconds)")
        }
        return thinkTime
    }

    static func readProctors(_ node: ScenarioNode) throws(ScenarioError) -> Proctors {
        let entries = try node.mapping(allowed: ["authorise_delay_seconds", "alert_reaction_delay_seconds", "validate_ratio"])
        var proctors = Proctors()
        if let value = entries["authorise_delay_seconds"] { proctors.authoriseDelaySeconds = try value.secondsRange(in: 0...secondsMax) }
        if let value = entries["alert_reaction_delay_seconds"] { proctors.alertReactionDelaySeconds = try value.secondsRange(in: 0...secondsMax) }
        if let value = entries["validate_ratio"] { proctors.validateRatio = try value.probability() }
        return proctors
    }

    static func readCalibrationNoise(_ node: ScenarioNode) throws(ScenarioError) -> CalibrationNoise {
        if case .scalar = node.node {
            let sd = try node.double(in: 0...logitMax)
            return CalibrationNoise(discriminantStandardDeviation: sd, difficultyStandardDeviation: sd)
        }
        let entries = try node.mapping(allowed: ["discriminant_sd", "difficulty_sd"])
        var noise = CalibrationNoise()
        if let value = entries["discriminant_sd"] { noise.discriminantStandardDeviation = try value.double(in: 0...logitMax) }
        if let value = entries["difficulty_sd"] { noise.difficultyStandardDeviation = try value.double(in: 0...logitMax) }
        return noise
    }

    /// Keys of the `item_security` section.
    public static let itemSecurityKeys = ["exposure_threshold", "overlap_pairs_max"]

    static func readItemSecurity(_ node: ScenarioNode) throws(ScenarioError) -> ItemSecuritySettings {
        let entries = try node.mapping(allowed: itemSecurityKeys)
        var settings = ItemSecuritySettings()
        if let value = entries["exposure_threshold"] { settings.exposureThreshold = try value.double(in: 0...1) }
        if let value = entries["overlap_pairs_max"] {
            settings.overlapPairsMax = try value.int(in: 1...ItemSecuritySettings.overlapPairsMaxLimit)
        }
        return settings
    }

    /// Fixed threshold keys; latency keys follow the pattern `<p50|p90|p99|p999|max>_<operation>_ms`.
    public static let thresholdKeys = [
        "rmse_max", "abs_bias_max", "pearson_min", "mesh_agreement_min", "errors_max", "rejected_max",
        "answers_per_second_min", "certifications_per_second_min", "retest_delta_score_max",
        "retest_same_level_min", "exposure_max", "overlap_max", "digest", "baseline",
    ]

    static var latencyThresholdKeys: [String] {
        LatencyPercentile.allCases.flatMap { percentile in
            LatencyOperation.known.map { "\(percentile.rawValue)_\($0)_ms" }
        }
    }

    static func readThresholds(_ node: ScenarioNode) throws(ScenarioError) -> Thresholds {
        let latencyKeys = latencyThresholdKeys
        let entries: [String: ScenarioNode]
        do {
            entries = try node.mapping(allowed: thresholdKeys + latencyKeys)
        } catch where error.code == .scenarioUnknownKey {
            // The full list of latency keys is long: name the pattern instead.
            let unknown = error.message.components(separatedBy: "'").dropFirst().first ?? ""
            throw ScenarioError(
                error.code,
                "unknown key '\(unknown)'\(ScenarioError.at(error.line)); expected one of: "
                    + thresholdKeys.joined(separator: ", ")
                    + ", or <\(LatencyPercentile.allCases.map(\.rawValue).joined(separator: "|"))>_<"
                    + LatencyOperation.known.joined(separator: "|") + ">_ms",
                line: error.line)
        }
        var thresholds = Thresholds()
        let nonNegative = 0...Double.greatestFiniteMagnitude
        for key in latencyKeys {
            guard let value = entries[key], !value.isNull else { continue }
            let parts = key.split(separator: "_")
            thresholds.latency.append(LatencyThreshold(
                operation: String(parts[1]), percentile: LatencyPercentile(rawValue: String(parts[0]))!,
                limitMilliseconds: try value.double(in: nonNegative)))
        }
        // Keep the order the file wrote them in.
        thresholds.latency.sort { (entries[$0.key]?.line ?? 0) < (entries[$1.key]?.line ?? 0) }
        func number(_ key: String, _ range: ClosedRange<Double>) throws(ScenarioError) -> Double? {
            guard let value = entries[key], !value.isNull else { return nil }
            return try value.double(in: range)
        }
        func count(_ key: String) throws(ScenarioError) -> Int? {
            guard let value = entries[key], !value.isNull else { return nil }
            return try value.int(in: 0...Int.max)
        }
        thresholds.rmseMax = try number("rmse_max", nonNegative)
        thresholds.absBiasMax = try number("abs_bias_max", nonNegative)
        thresholds.pearsonMin = try number("pearson_min", -1...1)
        thresholds.meshAgreementMin = try number("mesh_agreement_min", 0...1)
        thresholds.errorsMax = try count("errors_max")
        thresholds.rejectedMax = try count("rejected_max")
        thresholds.answersPerSecondMin = try number("answers_per_second_min", nonNegative)
        thresholds.certificationsPerSecondMin = try number("certifications_per_second_min", nonNegative)
        thresholds.retestDeltaScoreMax = try number("retest_delta_score_max", nonNegative)
        thresholds.retestSameLevelMin = try number("retest_same_level_min", 0...1)
        thresholds.exposureMax = try number("exposure_max", 0...1)
        thresholds.overlapMax = try number("overlap_max", 0...1)
        if let value = entries["digest"], !value.isNull {
            let digest = try value.string().lowercased()
            guard digest.count == Digest.hexLength, digest.allSatisfy({ $0.isHexDigit }) else {
                throw value.bad("expected \(Digest.hexLength) hexadecimal digits")
            }
            thresholds.digest = digest
        }
        if let value = entries["baseline"], !value.isNull {
            guard thresholds.digest != nil else {
                throw value.bad("a baseline explains a broken 'digest' threshold: pin 'digest' too")
            }
            thresholds.baseline = try value.string()
        }
        return thresholds
    }

    /// Keys of the `capacity` section.
    public static let capacityKeys = [
        "start_concurrency", "growth", "max_concurrency", "step_candidates", "step_seconds", "candidates_per_slot_min",
        "confirm_failures", "slo",
    ]
    /// Keys of `capacity.slo`.
    public static let capacitySLOKeys = ["p99_next_ms", "p99_answer_ms", "p99_start_ms", "errors_max"]

    static func readCapacity(_ node: ScenarioNode) throws(ScenarioError) -> CapacitySettings {
        let entries = try node.mapping(allowed: capacityKeys)
        var settings = CapacitySettings()
        let concurrencies = 1...Scenario.concurrencyMax
        if let value = entries["start_concurrency"] { settings.startConcurrency = try value.int(in: concurrencies) }
        if let value = entries["growth"] {
            settings.growth = try value.double(in: CapacitySettings.growthRange)
        }
        if let value = entries["max_concurrency"] { settings.maxConcurrency = try value.int(in: concurrencies) }
        if let value = entries["step_candidates"], !value.isNull {
            settings.stepCandidates = try value.int(in: 1...DayShape.countMax)
        }
        if let value = entries["step_seconds"], !value.isNull {
            if let candidates = entries["step_candidates"], !candidates.isNull {
                throw value.bad("'step_seconds' and 'step_candidates' contradict each other: give one way of sizing a step")
            }
            settings.stepSeconds = try value.double(in: 0.1...secondsMax)
        }
        if let value = entries["candidates_per_slot_min"] { settings.candidatesPerSlotMin = try value.int(in: 1...1000) }
        if let value = entries["confirm_failures"] { settings.confirmFailures = try value.bool() }
        guard settings.startConcurrency <= settings.maxConcurrency else {
            throw (entries["max_concurrency"] ?? entries["start_concurrency"] ?? node)
                .bad("max_concurrency \(settings.maxConcurrency) is below start_concurrency \(settings.startConcurrency)")
        }
        let steps = CapacityPlan.concurrencies(start: settings.startConcurrency, growth: settings.growth,
                                               max: settings.maxConcurrency).count
        guard steps <= CapacitySettings.stepsMax else {
            throw (entries["growth"] ?? node).bad(
                "the search would take \(steps) steps from \(settings.startConcurrency) to \(settings.maxConcurrency); "
                    + "at most \(CapacitySettings.stepsMax): raise growth or narrow the range")
        }
        if let value = entries["slo"], !value.isNull {
            let fields = try value.mapping(allowed: capacitySLOKeys)
            var slo = CapacitySLO()
            let nonNegative = 0...Double.greatestFiniteMagnitude
            if let limit = fields["p99_next_ms"], !limit.isNull { slo.p99NextMilliseconds = try limit.double(in: nonNegative) }
            if let limit = fields["p99_answer_ms"], !limit.isNull { slo.p99AnswerMilliseconds = try limit.double(in: nonNegative) }
            if let limit = fields["p99_start_ms"], !limit.isNull { slo.p99StartMilliseconds = try limit.double(in: nonNegative) }
            if let limit = fields["errors_max"], !limit.isNull { slo.errorsMax = try limit.int(in: 0...Int.max) }
            settings.slo = slo
        }
        return settings
    }
}
