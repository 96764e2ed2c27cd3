import Foundation

/// `certsim run SCENARIO --find-capacity` (or `mode: capacity`): raises the load on the daemon step by
/// step until the service-level objective breaks, and reports the knee.
///
/// Each step is one bounded ``ScenarioRunner/run(scenario:options:)`` of the scenario as fast as
/// possible (time scale 0) with at most the step's concurrency of candidates in flight — a closed
/// loop of candidates answering without think time — over enough certifications to reach a steady
/// state (``CapacityPlan/stepCandidates(concurrency:settings:previousCertificationsPerSecond:)``).
/// Every step opens its own embedded daemon (same configuration, fresh store), so a step does not
/// inherit the previous one's backlog. A step keeps the objective when its p99 latencies and its
/// errors stay within ``CapacitySLO``; the search stops at the first step that does not, or after
/// `max_concurrency`. A broken step is played once more (`confirm_failures`, on by default) and
/// counts as broken only if the rerun breaks too. The knee is the last step that kept the objective
/// (``CapacityPlan/knee(_:)``).
///
/// The knee's answer rate is then set against the scenario's own peak (``CapacityPlan/peak(day:thinkTime:)``):
/// a real candidate answers once every mean think time, so the knee serves
/// `knee answers/s × seconds per answer` such candidates at once; divided by the peak candidates of
/// one centre, that is how many centres like the scenario's one daemon holds on their peak.
///
/// Owned by CertLoad's capacity-search half.
///
/// ```swift
/// let search = try await CapacitySearch.run(scenario: scenario, options: options)
/// print(CapacityText.render(search.summary))
/// ```
public enum CapacitySearch {
    /// Runs one step; ``ScenarioRunner/run(scenario:options:)`` unless a test scripts it.
    public typealias StepRunner = @Sendable (Scenario, RunOptions) async throws(RunError) -> RunOutcome

    /// One step through the real runner.
    public static let defaultStepRunner: StepRunner = { (scenario: Scenario, options: RunOptions) async throws(RunError) -> RunOutcome in
        try await ScenarioRunner.run(scenario: scenario, options: options)
    }

    /// Searches the capacity with the scenario's `capacity` settings (defaults when absent).
    /// `report` receives one line when a step starts and one when it ends (for stderr).
    /// Throws when a step cannot be carried out at all (the first step, or an option the search
    /// refuses); a later step that cannot be carried out counts as broken.
    public static func run(scenario: Scenario, options: RunOptions,
                           report: (@Sendable (String) -> Void)? = nil,
                           stepRunner: StepRunner = defaultStepRunner) async throws(RunError) -> CapacitySearchOutcome {
        try checkOptions(options)
        let settings = scenario.capacity ?? CapacitySettings()
        let slo = settings.slo ?? CapacitySLO.derived(from: scenario.thresholds)
        let schedule = CapacityPlan.concurrencies(start: settings.startConcurrency, growth: settings.growth,
                                                  max: settings.maxConcurrency)
        guard !schedule.isEmpty, schedule.count <= CapacitySettings.stepsMax else {
            throw RunError(.runBadOption, "capacity: no usable step schedule from \(settings.startConcurrency) "
                + "to \(settings.maxConcurrency) by ×\(settings.growth)")
        }

        var steps: [CapacityStep] = []
        var kneeRun: RunOutcome?
        var firstRun: RunOutcome?
        var previousRate: Double?
        for (index, concurrency) in schedule.enumerated() {
            let candidates = CapacityPlan.stepCandidates(concurrency: concurrency, settings: settings,
                                                         previousCertificationsPerSecond: previousRate)
            report?("capacity step \(index + 1)/\(schedule.count): concurrency \(concurrency), \(candidates) certifications…")
            var outcome: RunOutcome
            var step: CapacityStep
            do throws(RunError) {
                outcome = try await stepRunner(stepScenario(scenario, concurrency: concurrency, candidates: candidates),
                                               stepOptions(options))
                step = measure(outcome, concurrency: concurrency, candidates: candidates, slo: slo)
                report?(CapacityText.stepLine(step, number: index + 1))
                if !step.passed && settings.confirmFailures {
                    report?("capacity step \(index + 1): broken; played once more to confirm…")
                    outcome = try await stepRunner(stepScenario(scenario, concurrency: concurrency, candidates: candidates),
                                                   stepOptions(options))
                    step = measure(outcome, concurrency: concurrency, candidates: candidates, slo: slo)
                    step.attempts = 2
                    report?(CapacityText.stepLine(step, number: index + 1))
                }
            } catch {
                if index == 0 { throw error }
                let failure = "the step could not be carried out: \(error.description)"
                steps.append(CapacityStep(load: Double(concurrency), loadUnit: CapacityStep.concurrentCandidatesUnit,
                                          answersPerSecond: 0, p99NextMicroseconds: nil, errors: 0, passed: false,
                                          candidates: candidates, failures: [failure]))
                report?("capacity step \(index + 1): FAIL (\(failure))")
                break
            }
            steps.append(step)
            if firstRun == nil { firstRun = outcome }
            guard step.passed else { break }
            kneeRun = outcome
            previousRate = step.certificationsPerSecond
        }

        let result = makeResult(steps: steps, slo: slo, scenario: scenario)
        // The report's other sections describe the knee step (or the first step when none passed).
        let shown = (kneeRun ?? firstRun)!
        var summary = shown.summary
        summary.scenario = scenario.name
        summary.capacitySearch = steps
        summary.capacity = result
        summary.thresholds = [kneeThreshold(result, steps: steps)]
        let outcome = CapacitySearchOutcome(summary: summary, candidates: shown.candidates, timeline: shown.timeline,
                                            outDirectory: options.outDirectory)
        if let directory = options.outDirectory {
            do {
                try RunFiles(summary: summary, candidates: shown.candidates, timeline: shown.timeline, exposure: shown.exposure)
                    .write(to: directory)
            } catch {
                throw RunError(.runOutput, "cannot write the search's files to \(directory): \(error)")
            }
        }
        return outcome
    }

    /// Options a search cannot honour.
    static func checkOptions(_ options: RunOptions) throws(RunError) {
        if options.daemon != nil {
            // Every step creates the same session ids (c001-s01-w1…); an external daemon keeps the
            // first step's sessions, so the second step would be refused with SESSION_EXISTS.
            throw RunError(.runBadOption, "--find-capacity: an external daemon (--daemon) is not supported yet: every step creates "
                               + "the same session ids, which the daemon keeps from one step to the next; search with the "
                               + "embedded daemon (--transport inproc or http)")
        }
        if options.databasePath != nil {
            throw RunError(.runBadOption, "--find-capacity: --db is not supported (each step opens a fresh store)")
        }
        if options.concurrency != nil || options.timeScale != nil {
            throw RunError(.runBadOption, "--find-capacity: the search sets concurrency and time scale itself; give them in the scenario's capacity block")
        }
    }

    /// The scenario of one step: as fast as possible, `concurrency` in flight, `candidates`
    /// certifications of the scenario's day shape, no retest, no thresholds (the search judges).
    static func stepScenario(_ scenario: Scenario, concurrency: Int, candidates: Int) -> Scenario {
        var step = scenario
        step.mode = .run
        step.timeScale = 0
        step.concurrency = concurrency
        step.day.candidates = candidates
        step.retest = false
        step.thresholds = Thresholds()
        return step
    }

    static func stepOptions(_ options: RunOptions) -> RunOptions {
        var step = options
        step.outDirectory = nil
        step.concurrency = nil
        step.timeScale = nil
        step.progress = .off
        return step
    }

    /// One step's figures and verdict from its run.
    static func measure(_ outcome: RunOutcome, concurrency: Int, candidates: Int, slo: CapacitySLO) -> CapacityStep {
        let summary = outcome.summary
        func p99(_ operation: String) -> UInt64? {
            summary.latency[operation].flatMap { $0.count == 0 ? nil : $0.p99Microseconds }
        }
        let failures = CapacityPlan.verdict(
            p99NextMicroseconds: p99(LatencyOperation.next), p99AnswerMicroseconds: p99(LatencyOperation.answer),
            p99StartMicroseconds: p99(LatencyOperation.start), errors: summary.errorsTotal, slo: slo)
        return CapacityStep(
            load: Double(concurrency), loadUnit: CapacityStep.concurrentCandidatesUnit,
            answersPerSecond: summary.answersPerSecond, p99NextMicroseconds: p99(LatencyOperation.next),
            errors: summary.errorsTotal, passed: failures.isEmpty, p99AnswerMicroseconds: p99(LatencyOperation.answer),
            p99StartMicroseconds: p99(LatencyOperation.start), candidates: candidates,
            certificationsPerSecond: summary.certificationsPerSecond, wallSeconds: summary.wallSeconds, failures: failures)
    }

    static func makeResult(steps: [CapacityStep], slo: CapacitySLO, scenario: Scenario) -> CapacityResult {
        let knee = CapacityPlan.knee(steps)
        let peak = CapacityPlan.peak(day: scenario.day, thinkTime: scenario.behaviour.thinkTime)
        let sizing = knee.answersPerSecond.map { CapacityPlan.sizing(kneeAnswersPerSecond: $0, peak: peak) }
        return CapacityResult(
            slo: slo, kneeStep: knee.stepIndex.map { $0 + 1 }, kneeConcurrency: knee.load.map { Int($0) },
            kneeAnswersPerSecond: knee.answersPerSecond, brokenStep: knee.brokenStepIndex.map { $0 + 1 },
            peakConcurrentCandidates: peak.concurrentCandidates,
            peakConcurrentCandidatesPerCentre: peak.concurrentCandidatesPerCentre, secondsPerAnswer: peak.secondsPerAnswer,
            peakAnswersPerSecond: peak.answersPerSecond, equivalentCandidates: sizing?.equivalentCandidates,
            headroom: sizing?.headroom, centres: sizing?.centres)
    }

    /// Name of the one threshold a search reports: a knee was found.
    public static let kneeThresholdName = "capacity_knee"

    static func kneeThreshold(_ result: CapacityResult, steps: [CapacityStep]) -> ThresholdOutcome {
        let limit = "a step within the objective"
        guard let step = result.kneeStep, let concurrency = result.kneeConcurrency else {
            let why = steps.first?.failures?.joined(separator: "; ") ?? "no step ran"
            return ThresholdOutcome(name: kneeThresholdName, limit: limit, measured: "none", passed: false,
                                    failure: "\(kneeThresholdName): the first step (concurrency \(steps.first.map { Int($0.load) } ?? 0)) "
                                        + "already broke the objective: \(why)")
        }
        return ThresholdOutcome(name: kneeThresholdName, limit: limit,
                                measured: "step \(step), concurrency \(concurrency)", passed: true, failure: nil)
    }
}

/// What a capacity search returns: the summary (the knee step's run, with the steps, the knee and
/// one `capacity_knee` threshold), and the knee step's candidates and timeline for the report.
///
/// Owned by CertLoad's capacity-search half.
public struct CapacitySearchOutcome: Sendable {
    public var summary: Summary
    public var candidates: [CandidateRow]
    public var timeline: [TimelineRow]
    public var outDirectory: String?

    /// True when a knee was found (some step kept the objective).
    public var found: Bool { summary.capacity?.found ?? false }
    /// One sentence per broken threshold (the knee's, when none was found).
    public var failures: [String] { ThresholdCheck.failures(summary.thresholds) }
}
