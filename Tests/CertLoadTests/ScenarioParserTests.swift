import Testing
@testable import CertLoad

@Suite struct ScenarioParserTests {
    func failure(_ text: String, fileName: String? = nil) -> ScenarioError? {
        do {
            _ = try ScenarioParser.parse(text, fileName: fileName)
            return nil
        } catch {
            return error
        }
    }

    @Test func emptyMappingGivesTheDefaults() throws {
        let scenario = try ScenarioParser.parse("name: x\n")
        var expected = Scenario()
        expected.name = "x"
        #expect(scenario == expected)
        #expect(scenario.estimator == .flash && scenario.transport == .inproc && scenario.durability == .durable)
        #expect(scenario.day.candidatesPerSession == CountRange(fixed: 30))
    }

    @Test func fullScenarioParsesEveryKey() throws {
        let text = """
        name: full
        description: every key
        seed: 18446744073709551615
        bank: {generate: {challenges: 500, seed: 9}}
        algorithm:
          maximumAssessmentLength: 20
          challengesBetweenSameCompetence: 0
          limitToOneQuestionPerTube: false
          enablePassageByAllCompetences: true
          variationPercent: null
          defaultCandidateCapacity: -2.5
          defaultProbabilityToPickChallenge: 100
        estimator: eap
        day:
          centres: 3
          sessions_per_centre: 2
          waves: 4
          wave_spacing_minutes: 90
          candidates_per_session: {min: 10, max: 12}
          session_duration_minutes: 90
          arrival_spread_seconds: 30
        population:
          ability: {distribution: uniform, min: -2, max: 2.5}
          accessibility_share: 0.1
          locale: en
        behaviour:
          think_time: {median_seconds: 20, sigma: 0.3, min_seconds: 2, max_seconds: 100}
          abandon_share: 0.01
          live_alert_rate_per_question: 0.02
          technical_incident_share: 0.03
          companion_alert_share: 0.04
        proctors:
          authorise_delay_seconds: 3..9
          alert_reaction_delay_seconds: 12
          validate_ratio: 1
        calibration_noise: {discriminant_sd: 0.1, difficulty_sd: 0.25}
        retest: true
        transport: http
        time_scale: 2.5
        concurrency: 7
        durability: relaxed
        thresholds:
          p99_next_ms: 20
          p50_answer_ms: 3.5
          rmse_max: 0.5
          abs_bias_max: 0.1
          pearson_min: 0.9
          mesh_agreement_min: 0.6
          errors_max: 0
          rejected_max: 2
          answers_per_second_min: 100
          certifications_per_second_min: 1.5
          retest_delta_score_max: 40
          retest_same_level_min: 0.7
          digest: "\(String(repeating: "Ab", count: 32))"
          baseline: baselines/full.candidates.csv
        """
        let s = try ScenarioParser.parse(text)
        #expect(s.name == "full" && s.description == "every key")
        #expect(s.seed == UInt64.max)
        #expect(s.bank == .generated(challenges: 500, seed: 9))
        #expect(s.algorithm["maximumAssessmentLength"] == .int(20))
        #expect(s.algorithm["limitToOneQuestionPerTube"] == .bool(false))
        #expect(s.algorithm["variationPercent"] == .null)
        #expect(s.algorithm["defaultCandidateCapacity"] == .double(-2.5))
        #expect(s.algorithm["defaultProbabilityToPickChallenge"] == .double(100))
        #expect(s.estimator == .eap)
        #expect(s.day.centres == 3 && s.day.sessionsPerCentre == 2 && s.day.waves == 4)
        #expect(s.day.waveSpacingMinutes == 90 && s.day.candidatesPerSession == CountRange(10, 12))
        #expect(s.day.sessionDurationMinutes == 90 && s.day.arrivalSpreadSeconds == 30 && s.day.candidates == nil)
        #expect(s.population.ability == .uniform(minimum: -2, maximum: 2.5))
        #expect(s.population.accessibilityShare == 0.1 && s.population.locale == "en")
        #expect(s.behaviour.thinkTime.medianSeconds == 20 && s.behaviour.thinkTime.sigma == 0.3)
        #expect(s.behaviour.thinkTime.minimumSeconds == 2 && s.behaviour.thinkTime.maximumSeconds == 100)
        #expect(s.behaviour.abandonShare == 0.01 && s.behaviour.liveAlertRatePerQuestion == 0.02)
        #expect(s.behaviour.technicalIncidentShare == 0.03 && s.behaviour.companionAlertShare == 0.04)
        #expect(s.proctors.authoriseDelaySeconds == SecondsRange(3, 9))
        #expect(s.proctors.alertReactionDelaySeconds == SecondsRange(12, 12))
        #expect(s.proctors.validateRatio == 1)
        #expect(s.calibrationNoise == CalibrationNoise(discriminantStandardDeviation: 0.1, difficultyStandardDeviation: 0.25))
        #expect(s.retest && s.transport == .http && s.timeScale == 2.5 && s.concurrency == 7 && s.durability == .relaxed)
        let t = s.thresholds
        #expect(t.latency == [
            LatencyThreshold(operation: "next", percentile: .p99, limitMilliseconds: 20),
            LatencyThreshold(operation: "answer", percentile: .p50, limitMilliseconds: 3.5),
        ])
        #expect(t.rmseMax == 0.5 && t.absBiasMax == 0.1 && t.pearsonMin == 0.9 && t.meshAgreementMin == 0.6)
        #expect(t.errorsMax == 0 && t.rejectedMax == 2 && t.answersPerSecondMin == 100)
        #expect(t.certificationsPerSecondMin == 1.5 && t.retestDeltaScoreMax == 40 && t.retestSameLevelMin == 0.7)
        #expect(t.digest == String(repeating: "ab", count: 32))
        #expect(t.baseline == "baselines/full.candidates.csv")
    }

    @Test func algorithmJSONCarriesOverridesAndEstimator() throws {
        let s = try ScenarioParser.parse("estimator: eap\nalgorithm:\n  variationPercent: null\n  maximumAssessmentLength: 20\n")
        let json = String(decoding: s.algorithmConfigurationJSON(), as: UTF8.self)
        #expect(json == #"{"maximumAssessmentLength":20,"variationPercent":null,"estimator":"eap"}"#)
    }

    @Test func unknownTopLevelKeyNamesKeyAndLine() {
        let error = failure("name: a\nseed: 3\n\nfoo: 1\n")
        #expect(error?.code == .scenarioUnknownKey)
        #expect(error?.line == 4)
        #expect(error?.message.contains("'foo' at line 4") == true)
    }

    @Test func unknownNestedKeyNamesPathAndLine() {
        let text = "name: a\nbehaviour:\n  think_time:\n    median_seconds: 3\n    sigmaa: 0.2\n"
        let error = failure(text)
        #expect(error?.code == .scenarioUnknownKey)
        #expect(error?.line == 5)
        #expect(error?.message.contains("'behaviour.think_time.sigmaa' at line 5") == true)
    }

    @Test func unknownAlgorithmKeyIsRejected() {
        let error = failure("algorithm:\n  maximumAssesmentLength: 3\n")
        #expect(error?.code == .scenarioUnknownKey)
        #expect(error?.line == 2)
        #expect(error?.message.contains("algorithm.maximumAssesmentLength") == true)
    }

    @Test func unknownThresholdNamesThePattern() {
        let error = failure("thresholds:\n  p98_next_ms: 3\n")
        #expect(error?.code == .scenarioUnknownKey)
        #expect(error?.line == 2)
        #expect(error?.message.contains("'thresholds.p98_next_ms'") == true)
        #expect(error?.message.contains("_ms") == true)
    }

    @Test(arguments: [
        ("seed: abc\n", "seed", 1),
        ("name: a\nconcurrency: 2.5\n", "concurrency", 2),
        ("retest: 3\n", "retest", 1),
        ("day:\n  centres: [1, 2]\n", "day.centres", 2),
        ("day: 4\n", "day", 1),
        ("population:\n  locale: {a: 1}\n", "population.locale", 2),
        ("algorithm:\n  limitToOneQuestionPerTube: \"yes please\"\n", "algorithm.limitToOneQuestionPerTube", 2),
        ("thresholds:\n  rmse_max: high\n", "thresholds.rmse_max", 2),
        ("thresholds:\n  digest: \"\(String(repeating: "0", count: 64))\"\n  baseline: [a.csv]\n", "thresholds.baseline", 3),
    ])
    func wrongTypeIsBadValue(text: String, key: String, line: Int) {
        let error = failure(text)
        #expect(error?.code == .scenarioBadValue)
        #expect(error?.line == line)
        #expect(error?.message.contains("'\(key)' at line \(line)") == true)
    }

    @Test(arguments: [
        ("day:\n  centres: -1\n", "day.centres", 2),
        ("day:\n  waves: 0\n", "day.waves", 2),
        ("concurrency: 0\n", "concurrency", 1),
        ("time_scale: -1\n", "time_scale", 1),
        ("behaviour:\n  abandon_share: 1.5\n", "behaviour.abandon_share", 2),
        ("population:\n  accessibility_share: -0.1\n", "population.accessibility_share", 2),
        ("proctors:\n  validate_ratio: 2\n", "proctors.validate_ratio", 2),
        ("proctors:\n  authorise_delay_seconds: 9..3\n", "proctors.authorise_delay_seconds", 2),
        ("day:\n  candidates_per_session: 30..20\n", "day.candidates_per_session", 2),
        ("thresholds:\n  errors_max: -1\n", "thresholds.errors_max", 2),
        ("thresholds:\n  digest: abc\n", "thresholds.digest", 2),
        ("algorithm:\n  maximumAssessmentLength: 0\n", "algorithm.maximumAssessmentLength", 2),
        ("algorithm:\n  defaultProbabilityToPickChallenge: 101\n", "algorithm.defaultProbabilityToPickChallenge", 2),
        ("behaviour:\n  think_time: {min_seconds: 10, max_seconds: 5}\n", "behaviour.think_time.max_seconds", 2),
        ("time_scale: .nan\n", "time_scale", 1),
    ])
    func outOfRangeIsBadValue(text: String, key: String, line: Int) {
        let error = failure(text)
        #expect(error?.code == .scenarioBadValue)
        #expect(error?.line == line)
        #expect(error?.message.contains("'\(key)' at line \(line)") == true)
    }

    @Test func aBaselineNeedsTheDigestItExplains() throws {
        let error = failure("thresholds:\n  rmse_max: 1\n  baseline: baselines/x.csv\n")
        #expect(error?.code == .scenarioBadValue)
        #expect(error?.line == 3)
        #expect(error?.message.contains("'thresholds.baseline' at line 3") == true)
        #expect(error?.message.contains("pin 'digest' too") == true)
        let empty = try ScenarioParser.parse("thresholds:\n  digest: \"\(String(repeating: "0", count: 64))\"\n  baseline:\n")
        #expect(empty.thresholds.baseline == nil)
    }

    @Test(arguments: [
        ("estimator: mle\n", "estimator"),
        ("transport: grpc\n", "transport"),
        ("durability: sometimes\n", "durability"),
        ("population:\n  ability: {distribution: beta}\n", "population.ability.distribution"),
    ])
    func unknownEnumWordIsBadValue(text: String, key: String) {
        let error = failure(text)
        #expect(error?.code == .scenarioBadValue)
        #expect(error?.message.contains("'\(key)'") == true)
        #expect(error?.message.contains("unknown word") == true)
    }

    @Test func contradictoryWavesAndCandidatesIsBadValue() {
        let error = failure("day:\n  waves: 3\n  candidates: 1000\n")
        #expect(error?.code == .scenarioBadValue)
        #expect(error?.line == 2)
        #expect(error?.message.contains("contradict") == true)
    }

    @Test func duplicatedKeyIsAnError() {
        let error = failure("name: a\nseed: 1\nseed: 2\n")
        #expect(error?.code == .scenarioBadValue)
        #expect(error?.message.contains("seed") == true)
    }

    @Test func malformedYAMLNamesTheLine() {
        let error = failure("name: a\nday:\n  centres: [1, 2\nseed: 3\n")
        #expect(error?.code == .scenarioMalformed)
        #expect(error?.line != nil)
        #expect(error?.message.contains("line") == true)
    }

    @Test func malformedIndentationNamesTheLine() {
        let error = failure("name: a\nday:\n  centres: 1\n waves: 2\n")
        #expect(error?.code == .scenarioMalformed)
        #expect(error?.line == 4)
    }

    @Test func oddKeysAndTagsAreNamed() throws {
        let complex = failure("name: a\n? [complex, key]\n: value\n")
        #expect(complex?.code == .scenarioBadValue && complex?.line == 2)
        #expect(complex?.message.contains("keys must be plain words") == true)
        #expect(try ScenarioParser.parse("name: 2024\n").name == "2024")
        // YAML forbids control characters such as NUL: a syntax error, with the line it is on.
        let control = failure("name: a\nseed: 1\ndescription: \"\u{0}\"\n")
        #expect(control?.code == .scenarioMalformed && control?.line == 3)
    }

    @Test func nonMappingAndEmptyAreMalformed() {
        #expect(failure("- a\n- b\n")?.code == .scenarioMalformed)
        #expect(failure("")?.code == .scenarioMalformed)
    }

    @Test func jsonInputIsAccepted() throws {
        let json = "{\n\t\"name\": \"j\",\n\t\"seed\": 5,\n\t\"day\": {\"centres\": 2, \"candidates_per_session\": \"3..4\"},\n\t\"thresholds\": {\"p99_next_ms\": 20}\n}\n"
        let s = try ScenarioParser.parse(json, fileName: "x.json")
        #expect(s.name == "j" && s.seed == 5 && s.day.centres == 2 && s.day.candidatesPerSession == CountRange(3, 4))
        #expect(s.thresholds.latency == [LatencyThreshold(operation: "next", percentile: .p99, limitMilliseconds: 20)])
        // Detected without a file name too, and errors still carry lines.
        let error = failure("{\n\"name\": \"j\",\n\"bogus\": 1\n}\n")
        #expect(error?.code == .scenarioUnknownKey && error?.line == 3)
    }

    @Test func bankForms() throws {
        #expect(try ScenarioParser.parse("bank: banks/a.json\n").bank == .file(path: "banks/a.json"))
        #expect(try ScenarioParser.parse("bank: {path: b.json}\n").bank == .file(path: "b.json"))
        #expect(try ScenarioParser.parse("bank: {generate: {}}\n").bank == .generated(challenges: 1200, seed: 1))
        #expect(failure("bank: {path: a, generate: {}}\n")?.code == .scenarioBadValue)
    }

    @Test func calibrationNoiseScalarSetsBoth() throws {
        let s = try ScenarioParser.parse("calibration_noise: 0.3\n")
        #expect(s.calibrationNoise == CalibrationNoise(discriminantStandardDeviation: 0.3, difficultyStandardDeviation: 0.3))
    }
}
