import Foundation
import Synchronization
import Testing
@testable import CertLoad

/// The capacity search driver: against scripted steps (the stop rule, what each step runs) and one
/// tiny real search through the embedded daemon.
@Suite(.serialized, .timeLimit(.minutes(5))) struct CapacitySearchTests {
    typealias Figures = (rate: Double, p99: UInt64, errors: Int)

    /// Steps answer from a script keyed by concurrency: (answers/s, p99 next µs, errors); `rerun`
    /// gives a different answer to the second play of a concurrency.
    final class Script: Sendable {
        let figures: [Int: Figures]
        let rerun: [Int: Figures]
        let calls = Mutex<[(concurrency: Int, candidates: Int, timeScale: Double, thresholdsEmpty: Bool, progress: RunOptions.ProgressMode)]>([])

        init(_ figures: [Int: Figures], rerun: [Int: Figures] = [:]) {
            self.figures = figures
            self.rerun = rerun
        }

        var runner: CapacitySearch.StepRunner {
            { (scenario: Scenario, options: RunOptions) async throws(RunError) -> RunOutcome in
                let played = self.calls.withLock {
                    $0.append((scenario.concurrency, scenario.day.candidates ?? -1, scenario.timeScale, scenario.thresholds.isEmpty,
                               options.progress))
                    return $0.filter { $0.concurrency == scenario.concurrency }.count
                }
                let figures = played > 1 ? (self.rerun[scenario.concurrency] ?? self.figures[scenario.concurrency]!)
                    : self.figures[scenario.concurrency]!
                var summary = sampleSummary()
                summary.capacitySearch = nil
                summary.concurrency = scenario.concurrency
                summary.answersPerSecond = figures.rate
                summary.certificationsPerSecond = figures.rate / 32
                summary.errors = figures.errors == 0 ? [:] : ["BUSY": figures.errors]
                summary.latency["next"]?.p99Microseconds = figures.p99
                summary.latency["answer"]?.p99Microseconds = figures.p99 / 2
                return RunOutcome(summary: summary, candidates: [], timeline: [], retries: [:], failures: [], setupSeconds: 0,
                                  resultsSeconds: 0, outDirectory: nil)
            }
        }
    }

    static func scenario(start: Int = 4, max: Int = 64) -> Scenario {
        var scenario = RunnerFixtures.smallDay()
        scenario.name = "capacity-test"
        var settings = CapacitySettings()
        settings.startConcurrency = start
        settings.growth = 2
        settings.maxConcurrency = max
        settings.slo = CapacitySLO(p99NextMilliseconds: 20, p99AnswerMilliseconds: 20, errorsMax: 0)
        scenario.capacity = settings
        scenario.day.centres = 10
        scenario.day.sessionsPerCentre = 1
        scenario.day.candidatesPerSession = CountRange(fixed: 30)
        scenario.behaviour.thinkTime.sigma = 0
        scenario.behaviour.thinkTime.medianSeconds = 60
        scenario.timeScale = 5
        scenario.thresholds.rmseMax = 0.1
        return scenario
    }

    @Test func theSearchStopsAtTheFirstBrokenStep() async throws {
        // 4 → 8 → 16 pass (16 a little slower: noise), 32 breaks the latency objective twice; 64 never runs.
        let script = Script([4: (400, 2_000, 0), 8: (800, 5_000, 0), 16: (780, 15_000, 0), 32: (900, 45_000, 0), 64: (1000, 1_000, 0)])
        let search = try await CapacitySearch.run(scenario: Self.scenario(), options: RunnerFixtures.quietOptions(),
                                                  stepRunner: script.runner)
        let calls = script.calls.withLock { $0 }
        #expect(calls.map(\.concurrency) == [4, 8, 16, 32, 32])
        // Each step: as fast as possible, 3 certifications a slot, no thresholds of its own, no progress line.
        #expect(calls.map(\.candidates) == [12, 24, 48, 96, 96])
        #expect(calls.allSatisfy { $0.timeScale == 0 && $0.thresholdsEmpty && $0.progress == .off })

        let steps = try #require(search.summary.capacitySearch)
        #expect(steps.map(\.passed) == [true, true, true, false])
        #expect(steps.map(\.attempts) == [nil, nil, nil, 2])
        #expect(steps[3].failures == ["p99 next 45.00 ms > 20 ms", "p99 answer 22.50 ms > 20 ms"])
        let result = try #require(search.summary.capacity)
        #expect(result.kneeStep == 3 && result.kneeConcurrency == 16 && result.brokenStep == 4)
        #expect(result.kneeAnswersPerSecond == 800)
        // Peak: one wave of 10 rooms × 30 = 300 at once, 30 a centre, 60 s an answer → 5 answers/s.
        #expect(result.peakConcurrentCandidates == 300 && result.peakConcurrentCandidatesPerCentre == 30)
        #expect(result.secondsPerAnswer == 60 && result.peakAnswersPerSecond == 5)
        // 800 answers/s × 60 s = 48,000 candidates at once; ×160 the peak; ⌊48,000 / 30⌋ = 1600 centres.
        #expect(result.equivalentCandidates == 48_000 && result.headroom == 160 && result.centres == 1600)
        #expect(search.found && search.failures.isEmpty)
        #expect(search.summary.thresholds.map(\.name) == [CapacitySearch.kneeThresholdName])
        #expect(search.summary.passed)
        // The summary shown is the knee step's run.
        #expect(search.summary.concurrency == 16 && search.summary.scenario == "capacity-test")
    }

    @Test func errorsBreakAStep() async throws {
        let script = Script([4: (400, 2_000, 0), 8: (800, 2_000, 1), 16: (900, 2_000, 0)])
        let search = try await CapacitySearch.run(scenario: Self.scenario(max: 16), options: RunnerFixtures.quietOptions(),
                                                  stepRunner: script.runner)
        #expect(script.calls.withLock { $0.map(\.concurrency) } == [4, 8, 8])
        #expect(search.summary.capacity?.kneeStep == 1 && search.summary.capacitySearch?[1].failures == ["1 errors > 0"])
    }

    @Test func aBrokenStepThatPassesItsRerunGoesOn() async throws {
        // 8 stalls once (p99 90 ms), then holds; 16 breaks twice.
        let script = Script([4: (400, 2_000, 0), 8: (300, 90_000, 0), 16: (900, 50_000, 0)], rerun: [8: (800, 3_000, 0)])
        let search = try await CapacitySearch.run(scenario: Self.scenario(max: 16), options: RunnerFixtures.quietOptions(),
                                                  stepRunner: script.runner)
        #expect(script.calls.withLock { $0.map(\.concurrency) } == [4, 8, 8, 16, 16])
        let steps = try #require(search.summary.capacitySearch)
        #expect(steps.map(\.passed) == [true, true, false] && steps[1].answersPerSecond == 800)
        #expect(search.summary.capacity?.kneeStep == 2 && search.summary.capacity?.kneeAnswersPerSecond == 800)
        #expect(CapacityText.render(search.summary).contains("passed on its rerun"))

        // Without confirmation the first stall ends the search.
        var scenario = Self.scenario(max: 16)
        scenario.capacity?.confirmFailures = false
        let once = Script([4: (400, 2_000, 0), 8: (300, 90_000, 0)], rerun: [8: (800, 3_000, 0)])
        let stopped = try await CapacitySearch.run(scenario: scenario, options: RunnerFixtures.quietOptions(), stepRunner: once.runner)
        #expect(once.calls.withLock { $0.map(\.concurrency) } == [4, 8])
        #expect(stopped.summary.capacity?.kneeStep == 1)
    }

    @Test func theFirstStepBreakingFindsNoKnee() async throws {
        let script = Script([4: (400, 90_000, 0)])
        let search = try await CapacitySearch.run(scenario: Self.scenario(), options: RunnerFixtures.quietOptions(),
                                                  stepRunner: script.runner)
        #expect(!search.found)
        #expect(search.summary.capacity?.kneeStep == nil && search.summary.capacity?.equivalentCandidates == nil)
        #expect(search.failures.count == 1 && search.failures[0].contains("first step"))
        #expect(CapacityText.render(search.summary).contains("knee: none"))
    }

    @Test func unbrokenUpToTheMaximum() async throws {
        let script = Script([4: (400, 2_000, 0), 8: (800, 2_000, 0)])
        let search = try await CapacitySearch.run(scenario: Self.scenario(max: 8), options: RunnerFixtures.quietOptions(),
                                                  stepRunner: script.runner)
        #expect(search.summary.capacity?.kneeStep == 2 && search.summary.capacity?.brokenStep == nil)
        #expect(CapacityText.render(search.summary).contains("never broken"))
    }

    @Test func optionsTheSearchCannotHonourAreRefused() async {
        let changes: [@Sendable (inout RunOptions) -> Void] = [
            { $0.concurrency = 3 }, { $0.timeScale = 2 }, { $0.databasePath = "/nonexistent/x.sqlite" },
            { $0.daemon = .http(host: "127.0.0.1", port: 1) },
        ]
        for change in changes {
            var options = RunnerFixtures.quietOptions()
            change(&options)
            await #expect(throws: RunError.self) {
                _ = try await CapacitySearch.run(scenario: Self.scenario(), options: options, stepRunner: Script([:]).runner)
            }
        }
    }

    @Test func aTinySearchThroughTheEmbeddedDaemon() async throws {
        var scenario = RunnerFixtures.smallDay(centres: 1, rooms: 2, candidates: 6)
        scenario.name = "capacity-e2e"
        var settings = CapacitySettings()
        settings.startConcurrency = 2
        settings.growth = 2
        settings.maxConcurrency = 4
        // Generous limits: this checks the plumbing, not the machine.
        settings.slo = CapacitySLO(p99NextMilliseconds: 60_000, p99AnswerMilliseconds: 60_000, errorsMax: 1_000)
        scenario.capacity = settings
        scenario.mode = .capacity
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certsim-capacity-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = RunnerFixtures.quietOptions()
        options.outDirectory = directory

        let search = try await CapacitySearch.run(scenario: scenario, options: options)
        let steps = try #require(search.summary.capacitySearch)
        #expect(steps.map(\.load) == [2, 4])
        #expect(steps.map(\.candidates) == [6, 12])
        #expect(steps.allSatisfy { $0.passed && $0.answersPerSecond > 0 && $0.p99NextMicroseconds != nil && $0.p99AnswerMicroseconds != nil })
        #expect(search.summary.capacity?.kneeStep == 2 && search.summary.capacity?.kneeConcurrency == 4)
        // The shown run is the knee step's: 12 certifications.
        #expect(search.candidates.count == 12)

        let written = try Summary.decode(Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent("summary.json")))
        #expect(written.capacitySearch == steps && written.capacity == search.summary.capacity)
        let html = try String(contentsOfFile: (directory as NSString).appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("id=\"capacity-search\"") && html.contains("Answers per second by step") && html.contains(">knee<"))
        let text = CapacityText.render(search.summary)
        #expect(text.contains(CapacityText.header) && text.contains("knee: step 2, concurrency 4"))
    }
}
