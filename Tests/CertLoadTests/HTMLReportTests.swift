import CertCore
import Foundation
import Testing
@testable import CertLoad
import CertTestSupport

@Suite struct HTMLReportTests {
    static func files(name: String = "sample") -> RunFiles {
        var summary = sampleSummary()
        summary.scenario = name
        var thresholds = Thresholds()
        thresholds.latency = [LatencyThreshold(operation: "next", percentile: .p99, limitMilliseconds: 20)]
        summary.thresholds = ThresholdCheck.evaluate(summary, against: thresholds)
        var random = SplitMix64(seed: 11)
        let candidates = (0..<200).map { i -> CandidateRow in
            let theta = Double(Int(random.next() % 600)) / 100 - 3
            let estimate = theta + Double(Int(random.next() % 100)) / 100 - 0.5
            return CandidateRow(candidateKey: String(format: "c%06d", i), personKey: String(format: "p%06d", i), sessionIndex: i / 25,
                                centre: 0, wave: 0, needsAccessibility: false, trueTheta: theta, status: "validated", answers: 32,
                                estimatedTheta: estimate, errorRate: 0.4, score: Int((estimate + 3) * 120),
                                meshLevel: min(7, Int((estimate + 3) * 1.2)), meshLevelFromTrueTheta: min(7, Int((theta + 3) * 1.2)))
        }
        var simulated = Timeline(clock: .simulated, bucketSeconds: 60)
        var real = Timeline(clock: .real, bucketSeconds: 1)
        for t in 0..<600 {
            simulated.recordAnswer(atSeconds: Double(t * 10), latencyMicroseconds: UInt64(500 + t))
            simulated.recordActiveCandidates(t % 50, atSeconds: Double(t * 10))
            real.recordAnswer(atSeconds: Double(t) / 50, latencyMicroseconds: UInt64(700 + t))
        }
        let bank = BankGenerator.generate(challenges: 60, seed: 2)
        let served = (0..<40).map { _ in (0..<12).map { _ in Int32(random.next() % 60) } }
        let security = ItemSecurity.measure(bank: bank, served: served, seed: 4)
        summary.itemSecurity = security.summary
        return RunFiles(summary: summary, candidates: candidates, timeline: simulated.rows + real.rows, exposure: security.rows)
    }

    @Test func containsEverySection() {
        let html = HTMLReport.render(Self.files())
        for id in ["run", "thresholds", "throughput", "latency", "errors", "activity", "consistency", "theta-scatter",
                   "score-distribution", "rmse-bands", "deciles", "item-security", "exposure-rates", "exposure-difficulty",
                   "exposure-competence", "exposure-level", "capacity-search"] {
            #expect(html.contains("id=\"\(id)\""), "section \(id)")
        }
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        // 3 per clock + scatter + scores + bands + deciles + sorted exposure + exposure against difficulty
        #expect(html.components(separatedBy: "<svg").count - 1 == 12)
        #expect(html.contains("p99_next_ms") && html.contains("FAIL"))
        #expect(html.contains("HTTP_503"))
    }

    @Test func isSelfContained() throws {
        let html = HTMLReport.render(Self.files())
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        let attribute = try Regex(#"(src|href)\s*=\s*"([^"]*)""#)
        for match in html.matches(of: attribute) {
            #expect(!String(html[match.range]).lowercased().contains("http"))
        }
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(!html.contains("url("))
    }

    @Test func escapesText() {
        let html = HTMLReport.render(Self.files(name: "<b>&\"x\""))
        #expect(!html.contains("<b>&"))
        #expect(html.contains("&lt;b&gt;&amp;&quot;x&quot;"))
    }

    @Test func emptyRunStillRenders() {
        let summary = Summary(scenario: "empty", seed: 1, transport: "inproc", estimator: "flash", timeScale: 0, concurrency: 1,
                              wallSeconds: 0, simulatedSeconds: 0, cpuSeconds: 0, peakRSSBytes: 0,
                              certifications: .init(started: 0, completed: 0, validated: 0, rejected: 0), answers: 0,
                              answersPerSecond: 0, certificationsPerSecond: 0, peakConcurrentCandidates: 0, latency: [:],
                              errors: [:], consistency: Consistency(samples: []), digest: Digest.hex(of: []))
        let html = HTMLReport.render(RunFiles(summary: summary, candidates: [], timeline: []))
        #expect(html.contains("no data") && html.contains("No errors."))
        #expect(!html.contains("capacity-search"))
    }

    @Test func runFilesWriteAndRebuild() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certsim-report-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var files = Self.files()
        files.summary.digest = CandidateRow.digest(files.candidates)
        try files.write(to: directory)
        for name in ["summary.json", "candidates.csv", "timeline.csv", "exposure.csv", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/" + name))
        }
        let read = try RunFiles.read(from: directory)
        #expect(read.summary == files.summary)
        #expect(read.candidates == files.candidates)
        #expect(read.timeline == files.timeline)
        #expect(read.exposure == files.exposure)
        #expect(read.digestMatchesCandidates)
        let written = try String(contentsOfFile: directory + "/report.html", encoding: .utf8)
        let out = directory + "/again.html"
        #expect(try RunFiles.rebuildReport(directory: directory, output: out) == out)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == written)
    }

    @Test func linesBreakAtMissingPoints() {
        let svg = SVGChart.lines(
            title: "t", series: [.init(name: "s", points: [(0, 1), (1, 2), (2, .nan), (3, .nan), (4, 3), (5, 1), (6, .nan), (7, 2)],
                                       colour: "#000")],
            xLabel: "x", yLabel: "y")
        // Two runs of two points each and one lone point (a dot): no segment across the gaps.
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.components(separatedBy: "<circle").count - 1 == 1)
        #expect(SVGChart.segments([(0, .nan), (1, 1), (2, 2), (3, .infinity)]).map(\.count) == [2])
    }

    @Test func latencyOverTimeShowsTheGapBetweenWaves() throws {
        // Two waves: requests in minutes 0–4 and 10–14, none in between.
        var simulated = Timeline(clock: .simulated, bucketSeconds: 60)
        for minute in Array(0..<5) + Array(10..<15) {
            simulated.recordAnswer(atSeconds: Double(minute * 60 + 30), latencyMicroseconds: 1_000)
        }
        let html = HTMLReport.activitySection(simulated.rows)
        let latencyChart = try #require(html.components(separatedBy: "<svg").last)
        #expect(latencyChart.contains("Latency percentiles"))
        // p50, p90 and p99 each in two pieces, one per wave.
        #expect(latencyChart.components(separatedBy: "<polyline").count - 1 == 6)
    }

    @Test func oldRunFolderWithoutExposureReads() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certsim-old-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var files = Self.files()
        files.summary.itemSecurity = nil
        try files.write(to: directory)
        try FileManager.default.removeItem(atPath: directory + "/exposure.csv")
        let read = try RunFiles.read(from: directory)
        #expect(read.exposure.isEmpty && read.summary.itemSecurity == nil)
        #expect(HTMLReport.render(read).contains("This run measured no item security."))
    }

    @Test func missingDirectoryIsAClearError() {
        #expect(throws: RunFiles.FileError.self) { try RunFiles.read(from: "/nonexistent-certsim-dir") }
    }
}
