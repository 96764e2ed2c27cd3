import Foundation
import Testing
@testable import CertLoad

/// The `mode` key and the `capacity` block of a scenario: read strictly, errors naming the key and the line.
@Suite struct CapacityScenarioTests {
    static func parse(_ text: String) throws -> Scenario { try ScenarioParser.parse(text) }

    static func error(_ text: String) -> ScenarioError? {
        do {
            _ = try ScenarioParser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func aFullCapacityBlock() throws {
        let scenario = try Self.parse("""
            name: cap
            mode: capacity
            capacity:
              start_concurrency: 4
              growth: 1.5
              max_concurrency: 300
              step_seconds: 2.5
              candidates_per_slot_min: 5
              confirm_failures: false
              slo: {p99_next_ms: 15, p99_answer_ms: 25.5, p99_start_ms: 40, errors_max: 2}
            """)
        #expect(scenario.mode == .capacity)
        var expected = CapacitySettings()
        expected.startConcurrency = 4
        expected.growth = 1.5
        expected.maxConcurrency = 300
        expected.stepSeconds = 2.5
        expected.candidatesPerSlotMin = 5
        expected.confirmFailures = false
        expected.slo = CapacitySLO(p99NextMilliseconds: 15, p99AnswerMilliseconds: 25.5, p99StartMilliseconds: 40, errorsMax: 2)
        #expect(scenario.capacity == expected)
    }

    @Test func defaultsWhenAbsent() throws {
        let plain = try Self.parse("name: plain\n")
        #expect(plain.mode == .run && plain.capacity == nil)
        let bare = try Self.parse("mode: capacity\ncapacity: {step_candidates: 120}\n")
        #expect(bare.capacity?.startConcurrency == 8 && bare.capacity?.growth == 2 && bare.capacity?.maxConcurrency == 1024)
        #expect(bare.capacity?.stepCandidates == 120 && bare.capacity?.stepSeconds == nil && bare.capacity?.slo == nil)
    }

    @Test func theObjectiveDefaultsToTheScenarioThresholds() throws {
        let scenario = try Self.parse("""
            thresholds:
              p99_answer_ms: 30
              p90_next_ms: 5
              p99_next_ms: 12
              errors_max: 1
              rmse_max: 0.6
            """)
        #expect(CapacitySLO.derived(from: scenario.thresholds)
            == CapacitySLO(p99NextMilliseconds: 12, p99AnswerMilliseconds: 30, p99StartMilliseconds: nil, errorsMax: 1))
        #expect(CapacitySLO.derived(from: Thresholds()) == CapacitySLO(errorsMax: 0))
    }

    @Test func anUnknownKeyNamesItsPathAndLine() {
        let error = Self.error("name: x\ncapacity:\n  start_concurrency: 4\n  step_count: 3\n")
        #expect(error?.code == .scenarioUnknownKey)
        #expect(error?.line == 4)
        #expect(error?.message.contains("capacity.step_count") == true)
        let slo = Self.error("capacity:\n  slo:\n    p95_next_ms: 3\n")
        #expect(slo?.code == .scenarioUnknownKey && slo?.line == 3)
        #expect(slo?.message.contains("capacity.slo.p95_next_ms") == true)
    }

    @Test func badValuesNameTheirLine() {
        let growth = Self.error("capacity:\n  growth: 1\n")
        #expect(growth?.code == .scenarioBadValue && growth?.line == 2)
        #expect(growth?.message.contains("capacity.growth") == true)

        let mode = Self.error("name: x\nmode: fastest\n")
        #expect(mode?.code == .scenarioBadValue && mode?.line == 2)
        #expect(mode?.message.contains("run | capacity") == true)

        let both = Self.error("capacity:\n  step_candidates: 100\n  step_seconds: 3\n")
        #expect(both?.code == .scenarioBadValue && both?.line == 3)
        #expect(both?.message.contains("contradict") == true)

        let range = Self.error("capacity:\n  start_concurrency: 64\n  max_concurrency: 32\n")
        #expect(range?.code == .scenarioBadValue && range?.line == 3)

        let zero = Self.error("capacity:\n  start_concurrency: 0\n")
        #expect(zero?.code == .scenarioBadValue && zero?.line == 2)

        let negative = Self.error("capacity:\n  slo: {errors_max: -1}\n")
        #expect(negative?.code == .scenarioBadValue && negative?.line == 2)
    }

    @Test func tooManyStepsAreRefused() {
        // From 1 by ×1.05 every step below 10 moves by one: far more than 64 steps up to 100,000.
        let error = Self.error("capacity:\n  start_concurrency: 1\n  growth: 1.05\n  max_concurrency: 100000\n")
        #expect(error?.code == .scenarioBadValue && error?.line == 3)
        #expect(error?.message.contains("steps") == true)
    }

    @Test func theShippedCapacityScenarioParses() throws {
        let scenario = try RunnerFixtures.shippedScenario("capacity.yaml")
        #expect(scenario.mode == .capacity)
        let settings = try #require(scenario.capacity)
        #expect(settings.slo?.p99NextMilliseconds != nil && settings.slo?.p99AnswerMilliseconds != nil)
        if case .file(let bank) = scenario.bank {
            #expect(FileManager.default.fileExists(atPath: bank))
        }
    }
}
