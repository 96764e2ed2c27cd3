import CertCore
import Foundation
import Testing
@testable import CertLoad

/// `certsim compare`: the figures of a comparison against hand-worked ones, the text and the page,
/// the refusals, and the baseline a regression scenario names.
@Suite struct CompareTests {
    static func row(_ key: String, _ status: String = "validated", score: Int?, level: Int?, theta: Double?,
                    levels: [String: Int] = [:], trueTheta: Double = 0) -> CandidateRow {
        CandidateRow(candidateKey: key, personKey: "p-" + key, sessionIndex: 0, centre: 0, wave: 0, needsAccessibility: false,
                     trueTheta: trueTheta, status: status, answers: 32, estimatedTheta: theta, errorRate: theta.map { _ in 0.3 },
                     score: score, meshLevel: level, meshLevelFromTrueTheta: 2, competenceLevels: levels)
    }

    /// Run A: c1…c5 in both runs, c6 only here.
    static let rowsA = [
        row("c1", score: 400, level: 3, theta: 0.5, levels: ["1.1": 3], trueTheta: 0.4),
        row("c2", score: 300, level: 2, theta: 0.0, levels: ["1.1": 2]),
        row("c3", score: 520, level: 4, theta: 1.0),
        row("c4", "rejected", score: 0, level: nil, theta: -2.0),
        row("c5", score: 200, level: 1, theta: -0.5),
        row("c6", score: 100, level: 0, theta: -1.5),
    ]

    /// Run B: c1 +10 and θ̂ +0.05; c2 only its competence level; c3 validated → rejected, −520;
    /// c4 rejected → validated, +130; c5 −10 and θ̂ −0.1; c7 only here, unfinished.
    static let rowsB = [
        row("c1", score: 410, level: 3, theta: 0.55, levels: ["1.1": 3], trueTheta: 0.4),
        row("c2", score: 300, level: 2, theta: 0.0, levels: ["1.1": 3]),
        row("c3", "rejected", score: 0, level: nil, theta: 0.9),
        row("c4", score: 130, level: 1, theta: -1.0),
        row("c5", score: 190, level: 1, theta: -0.6),
        row("c7", "unfinished", score: nil, level: nil, theta: nil),
    ]

    static func comparison(top: Int = RunComparison.topDefault) throws -> RunComparison {
        try RunComparison(ComparedRun(name: "A", candidates: rowsA), ComparedRun(name: "B", candidates: rowsB), top: top)
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("certsim-compare-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The code of the refusal `body` throws; nil when it throws none, `.unrecognized` for another error.
    static func refusal(_ body: () throws -> Void) -> ErrorCode? {
        do {
            try body()
            return nil
        } catch let error as CertError {
            return error.code
        } catch {
            return .unrecognized
        }
    }

    // MARK: figures

    @Test func countsJoinOnTheCandidateKey() throws {
        let c = try Self.comparison()
        #expect(c.counts == RunComparison.Counts(inA: 6, inB: 6, inBoth: 5))
        #expect(c.counts.onlyInA == 1 && c.counts.onlyInB == 1)
        #expect(c.onlyInA == ["c6"] && c.onlyInB == ["c7"])
    }

    @Test func statusChangesAreCountedFromAToB() throws {
        let c = try Self.comparison()
        #expect(c.statusChanges == [
            .init(from: "validated", to: "validated", count: 3),
            .init(from: "rejected", to: "validated", count: 1),
            .init(from: "validated", to: "rejected", count: 1),
        ])
        #expect(c.statusTransitions.map(\.count) == [1, 1])
    }

    @Test func eachFieldCountsTheCandidatesItChanged() throws {
        let c = try Self.comparison()
        let counts = Dictionary(uniqueKeysWithValues: c.fieldChanges.map { ($0.field, $0.count) })
        #expect(counts == ["status": 2, "status reason": 0, "score": 4, "mesh level": 2, "level": 0, "competence levels": 1,
                           "θ̂": 4, "error rate": 0])
        #expect(c.changedCandidates == 5)
        #expect(c.hasChanges)
    }

    @Test func meshLevelConfusionMatrixHasANoneRowAndColumn() throws {
        let m = try Self.comparison().meshLevels
        #expect(m.levels == [1, 2, 3, 4, nil])
        #expect(m.cells == [
            // B:  1  2  3  4  none        A:
            [1, 0, 0, 0, 0],            // 1    c5
            [0, 1, 0, 0, 0],            // 2    c2
            [0, 0, 1, 0, 0],            // 3    c1
            [0, 0, 0, 0, 1],            // 4    c3, rejected in B
            [1, 0, 0, 0, 0],            // none c4, rejected in A
        ])
        #expect(m.count(from: 4, to: nil) == 1 && m.count(from: nil, to: 1) == 1 && m.count(from: 7, to: 7) == 0)
        #expect(m.unchanged == 3)
    }

    @Test func deltasOverTheCandidatesScoredInBoth() throws {
        let c = try Self.comparison()
        #expect(c.scoreDeltas == [10, 0, -520, 130, -10])
        let score = try #require(c.score)
        #expect(score.count == 5 && score.moved == 4)
        #expect(score.meanAbsolute == 134)                  // (10 + 0 + 520 + 130 + 10) / 5
        #expect(score.maxAbsolute == 520)
        let theta = try #require(c.theta)
        #expect(theta.count == 5 && theta.moved == 4)
        #expect(abs(theta.meanAbsolute - 0.25) < 1e-12)     // (0.05 + 0 + 0.1 + 1 + 0.1) / 5
        #expect(abs(theta.maxAbsolute - 1) < 1e-12)
    }

    @Test func moversRankByScoreThenThetaThenKey() throws {
        // |Δscore| 520, 130, then c1 and c5 tie at 10: c5 moved θ̂ by 0.1, c1 by 0.05; c2 moved neither.
        #expect(try Self.comparison().movers.map(\.candidateKey) == ["c3", "c4", "c5", "c1", "c2"])
        #expect(try Self.comparison(top: 2).movers.map(\.candidateKey) == ["c3", "c4"])
        let first = try #require(try Self.comparison().movers.first)
        #expect(first.scoreDelta == -520 && first.changedFields == ["status", "score", "mesh level", "θ̂"])
    }

    @Test func aCandidateScoredInOneRunOnlyRanksAfterTheScoredOnes() throws {
        let a = [Self.row("k1", "unfinished", score: nil, level: nil, theta: nil), Self.row("k2", score: 300, level: 2, theta: 0)]
        let b = [Self.row("k1", score: 800, level: 7, theta: 3), Self.row("k2", score: 301, level: 2, theta: 0)]
        let c = try RunComparison(ComparedRun(name: "A", candidates: a), ComparedRun(name: "B", candidates: b))
        #expect(c.movers.map(\.candidateKey) == ["k2", "k1"])
        #expect(c.score?.count == 1)
    }

    @Test func identicalRunsHaveNoChanges() throws {
        let c = try RunComparison(ComparedRun(name: "A", candidates: Self.rowsA), ComparedRun(name: "A again", candidates: Self.rowsA))
        #expect(!c.hasChanges)
        #expect(c.changedCandidates == 0 && c.movers.isEmpty && c.statusTransitions.isEmpty)
        #expect(c.score?.moved == 0 && c.score?.maxAbsolute == 0)
        #expect(c.meshLevels.unchanged == 6)
        #expect(c.a.digest == c.b.digest)
        #expect(CompareText.render(c).hasSuffix("result: no change\n"))
    }

    @Test func aCandidateInOneRunOnlyIsAChange() throws {
        let c = try RunComparison(ComparedRun(name: "A", candidates: Self.rowsA),
                                  ComparedRun(name: "B", candidates: Array(Self.rowsA.dropLast())))
        #expect(c.changedCandidates == 0)
        #expect(c.onlyInA == ["c6"])
        #expect(c.hasChanges)
    }

    @Test func consistencyIsRecomputedFromTheRowsWithoutASummary() throws {
        let c = try Self.comparison()
        #expect(!c.a.consistencyFromSummary && !c.b.consistencyFromSummary)
        // Validated with a result: c1, c2, c3, c5, c6 in A; c1, c2, c4, c5 in B.
        #expect(c.a.consistency.count == 5 && c.b.consistency.count == 4)
        let table = CompareTables.consistency(c)
        #expect(table.rows.first == ["certifications measured", "5", "4", "-1"])
        #expect(c.a.digest == CandidateRow.digest(Self.rowsA))
    }

    // MARK: text and page

    @Test func textSaysWhatMoved() throws {
        let text = CompareText.render(try Self.comparison())
        #expect(text.contains("candidates: 5 in both, 1 only in A, 1 only in B\n"))
        #expect(text.contains("  only in A: c6\n  only in B: c7\n"))
        #expect(text.contains("changed: 5 of 5 (status 2, score 4, mesh level 2, competence levels 1, θ̂ 4)\n"))
        #expect(text.contains("  rejected   validated           1\n"))
        #expect(text.contains("score        5      4    134.00   520.00\n"))
        #expect(text.contains("top 5 movers, by |Δscore| then |Δθ̂|\n"))
        #expect(text.contains("digests differ\n"))
        #expect(text.hasSuffix("result: 5 candidates changed, 1 only in A, 1 only in B\n"))
    }

    @Test func aLongListOfKeysIsCut() {
        let keys = (1...13).map { "k\($0)" }
        #expect(CompareText.listed(keys) == "k1, k2, k3, k4, k5, k6, k7, k8, k9, k10 … (3 more)")
    }

    @Test func pageIsSelfContainedWithBothCharts() throws {
        let html = CompareReport.render(try Self.comparison())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for id in ["runs", "counts", "statuses", "mesh-levels", "score-deltas", "movers", "consistency"] {
            #expect(html.contains("id=\"\(id)\""), "section \(id)")
        }
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        #expect(html.contains("aria-label=\"Mesh-level confusion matrix\"") && html.contains("aria-label=\"Δscore histogram\""))
        // The heat map: one cell per pair of levels (5 × 5), each titled with its count.
        #expect(html.contains("<title>A&#39;s mesh level 4, B&#39;s mesh level none: 1</title>"))
        // Δscores −520 … 130 fit 40 bins of 20 points; 10 falls in the bin of rises 1…19.
        #expect(html.contains("<title>1..19: 1</title>") && html.contains("<title>-520..-501: 1</title>"))
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("url("))
        #expect(!html.contains("http://") && !html.contains("https://"))
    }

    @Test func histogramBinsAreOneTwoFiveTimesAPowerOfTen() {
        #expect(CompareReport.binWidth(low: -520, high: 130) == 20)    // 1…10 give 651, 326, 131, 66 bins; 20 gives 33
        #expect(CompareReport.binWidth(low: -3, high: 5) == 1)
        #expect(CompareReport.binWidth(low: 1, high: 895) == 50)       // 20 gives 45 bins, 50 gives 18
        #expect(CompareReport.floorDivision(-10, 20) == -1 && CompareReport.floorDivision(-20, 20) == -1)
        #expect(CompareReport.floorDivision(19, 20) == 0)
    }

    @Test func pageWithoutMovedScoresSaysSo() throws {
        let c = try RunComparison(ComparedRun(name: "A", candidates: Self.rowsA), ComparedRun(name: "B", candidates: Self.rowsA))
        let html = CompareReport.render(c)
        #expect(html.contains("No score moved."))
        #expect(html.contains("No candidate changed."))
        #expect(html.components(separatedBy: "<svg").count - 1 == 1)
    }

    // MARK: reading runs, and refusals

    @Test func readsARunFolderAFolderWithoutSummaryAndABareFile() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var summary = sampleSummary()
        summary.scenario = "compare-test"
        try RunFiles(summary: summary, candidates: Self.rowsA, timeline: []).write(to: root + "/run")
        try FileManager.default.createDirectory(atPath: root + "/bare", withIntermediateDirectories: true)
        try CandidateRow.csv(Self.rowsB).write(toFile: root + "/bare/candidates.csv", atomically: true, encoding: .utf8)

        let folder = try ComparedRun.load(path: root + "/run")
        #expect(folder.scenario == "compare-test" && folder.consistencyFromSummary)
        #expect(folder.consistency == summary.consistency)
        #expect(folder.candidates == Self.rowsA)
        let withoutSummary = try ComparedRun.load(path: root + "/bare")
        #expect(withoutSummary.scenario == nil && !withoutSummary.consistencyFromSummary)
        #expect(withoutSummary.consistency == CandidateRow.consistency(Self.rowsB))
        let file = try ComparedRun.load(path: root + "/bare/candidates.csv")
        #expect(file.candidates == Self.rowsB && file.digest == withoutSummary.digest)
        #expect(try RunComparison(folder, file).changedCandidates == 5)
    }

    @Test func refusalsHaveStableCodes() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        try "candidate,person\nc1,p1\n".write(toFile: root + "/short.csv", atomically: true, encoding: .utf8)
        try CandidateRow.csv(Self.rowsA).replacingOccurrences(of: ",400,", with: ",four hundred,")
            .write(toFile: root + "/bad-value.csv", atomically: true, encoding: .utf8)
        try CandidateRow.csv(Self.rowsA + [Self.rowsA[0]]).write(toFile: root + "/twice.csv", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: root + "/bad-summary", withIntermediateDirectories: true)
        try CandidateRow.csv(Self.rowsA).write(toFile: root + "/bad-summary/candidates.csv", atomically: true, encoding: .utf8)
        try "{\"scenario\": 1}".write(toFile: root + "/bad-summary/summary.json", atomically: true, encoding: .utf8)

        #expect(Self.refusal { _ = try ComparedRun.load(path: root + "/no-such-run") } == .reportMissingFile)
        #expect(Self.refusal { _ = try ComparedRun.load(path: root + "/empty") } == .reportMissingFile)
        #expect(Self.refusal { _ = try ComparedRun.load(path: root + "/short.csv") } == .reportBadFile)
        #expect(Self.refusal { _ = try ComparedRun.load(path: root + "/bad-value.csv") } == .reportBadFile)
        #expect(Self.refusal { _ = try ComparedRun.load(path: root + "/twice.csv") } == .reportBadFile)
        #expect(Self.refusal { _ = try ComparedRun.load(path: root + "/bad-summary") } == .reportBadFile)

        let other = Self.rowsB.map { row -> CandidateRow in
            var renamed = row
            renamed.candidateKey = "other-" + row.candidateKey
            return renamed
        }
        #expect(Self.refusal {
            _ = try RunComparison(ComparedRun(name: "A", candidates: Self.rowsA), ComparedRun(name: "B", candidates: other))
        } == .compareNoCommonCandidates)
        #expect(Self.refusal {
            _ = try RunComparison(ComparedRun(name: "A", candidates: []), ComparedRun(name: "B", candidates: []))
        } == .compareNoCommonCandidates)
        var wide = Self.rowsB
        wide[0].meshLevel = 1_000_000
        #expect(Self.refusal {
            _ = try RunComparison(ComparedRun(name: "A", candidates: Self.rowsA), ComparedRun(name: "B", candidates: wide))
        } == .reportBadFile)
    }

    // MARK: baselines of regression scenarios

    static func digestOutcome(passed: Bool) -> ThresholdOutcome {
        ThresholdOutcome(name: "digest", limit: String(repeating: "0", count: 64), measured: String(repeating: "1", count: 64),
                         passed: passed, failure: passed ? nil : "digest: the run's digest differs")
    }

    @Test func aBrokenDigestSaysWhatMovedAgainstTheBaseline() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let baseline = root + "/baseline.csv"
        try CandidateRow.csv(Self.rowsA).write(toFile: baseline, atomically: true, encoding: .utf8)
        let outcomes = [ThresholdOutcome(name: "errors_max", limit: "0", measured: "0", passed: true, failure: nil),
                        Self.digestOutcome(passed: false)]

        let explained = BaselineCheck.explain(outcomes, candidates: Self.rowsB, baseline: baseline, outDirectory: "out/x")
        #expect(explained[0] == outcomes[0])
        #expect(explained[1].failure == "digest: the run's digest differs. Against the baseline \(baseline): "
            + "status rejected → validated 1, validated → rejected 1; 4 of 5 scores moved, mean |Δscore| 134.00 (max 520); "
            + "1 only in the baseline; 1 only in this run; 5 of 5 candidates changed; "
            + "to see what moved: certsim compare \(baseline) out/x")

        let withoutOut = BaselineCheck.explain(outcomes, candidates: Self.rowsB, baseline: baseline, outDirectory: nil)
        #expect(withoutOut[1].failure?.hasSuffix("run again with --out DIR, then certsim compare \(baseline) DIR") == true)

        let passing = [Self.digestOutcome(passed: true)]
        #expect(BaselineCheck.explain(passing, candidates: Self.rowsB, baseline: root + "/none.csv", outDirectory: nil) == passing)

        let missing = BaselineCheck.explain(outcomes, candidates: Self.rowsB, baseline: root + "/none.csv", outDirectory: nil)
        #expect(missing[1].failure?.contains("The baseline cannot be compared (REPORT_MISSING_FILE: ") == true)

        let same = BaselineCheck.explain(outcomes, candidates: Self.rowsA, baseline: baseline, outDirectory: nil)
        #expect(same[1].failure?.contains("The run equals the baseline \(baseline) (digest \(CandidateRow.digest(Self.rowsA)))") == true)
    }

    /// A scenario file naming a baseline, run for real: the path is resolved against the scenario's
    /// folder, and the broken digest's sentence names the command and what moved.
    @Test(.timeLimit(.minutes(5))) func aScenarioBaselineExplainsItsBrokenDigest() async throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let scenarioPath = root + "/scenarios/tiny.yaml"
        try FileManager.default.createDirectory(atPath: root + "/scenarios/baselines", withIntermediateDirectories: true)
        try """
        name: compare-baseline-test
        seed: 11
        bank: {generate: {challenges: 600, seed: 3}}
        day: {centres: 1, sessions_per_centre: 1, waves: 1, candidates_per_session: 4}
        durability: relaxed
        thresholds:
          digest: "\(String(repeating: "0", count: 64))"
          baseline: baselines/tiny.candidates.csv
        """.write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        let scenario = try Scenario.load(path: scenarioPath)
        let baseline = root + "/scenarios/baselines/tiny.candidates.csv"
        #expect(scenario.thresholds.baseline == baseline)

        var options = RunnerFixtures.quietOptions()
        let first = try await ScenarioRunner.run(scenario: scenario, options: options)
        let noBaseline = try #require(first.failures.first { $0.hasPrefix("digest") })
        #expect(noBaseline.contains("The baseline cannot be compared (REPORT_MISSING_FILE: "))

        // The baseline: the same run with one score 7 points lower.
        var rows = first.candidates
        let index = try #require(rows.firstIndex { $0.score != nil })
        rows[index].score! -= 7
        try CandidateRow.csv(rows).write(toFile: baseline, atomically: true, encoding: .utf8)
        let scored = rows.filter { $0.score != nil }.count

        options.outDirectory = root + "/out"
        let second = try await ScenarioRunner.run(scenario: scenario, options: options)
        #expect(second.candidates == first.candidates)
        let explained = try #require(second.failures.first { $0.hasPrefix("digest") })
        #expect(explained.contains("no status changed; 1 of \(scored) scores moved, "
            + String(format: "mean |Δscore| %.2f (max 7)", 7 / Double(scored))))
        #expect(explained.hasSuffix("to see what moved: certsim compare \(baseline) \(root)/out"))
        // The sentence is the summary's too.
        let written = try RunFiles.read(from: root + "/out")
        #expect(written.summary.thresholds.contains { $0.failure == explained })
    }
}
