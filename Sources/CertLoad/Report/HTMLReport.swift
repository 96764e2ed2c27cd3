import Foundation

/// The run's report.html: one self-contained page (inline CSS and SVG, no script, no network) with the
/// summary tables and the charts — activity and latency over time, θ̂ against θ, the score
/// distribution by mesh level, RMSE by ability band and by decile, item exposure (sorted rates
/// against the threshold, rate against difficulty), and the capacity-search steps when present.
///
/// ```swift
/// let html = HTMLReport.render(RunFiles(summary: summary, candidates: rows, timeline: timeline))
/// ```
///
/// Owned by CertLoad's report half.
public enum HTMLReport {
    /// Most points drawn in the θ̂-against-θ scatter; larger runs are thinned evenly.
    public static let scatterPointsMax = 4_000
    /// Score-histogram bin width; divides every mesh band (64, 128), so each bin has one level.
    public static let scoreBinWidth = 32
    /// Lower score bound of mesh levels 0–7 (DESIGN §3.5).
    static let meshBandStarts = [0, 64, 128, 256, 384, 512, 640, 768]

    public static func render(_ files: RunFiles) -> String {
        let summary = files.summary
        var body = ""
        body += "<h1>certsim run — \(HTML.escape(summary.scenario))</h1>\n"
        body += "<p class=\"verdict \(summary.passed ? "pass" : "fail")\">\(summary.passed ? "All thresholds passed" : "Thresholds broken")"
            + " · digest <code>\(HTML.escape(summary.digest))</code></p>\n"
        body += runSection(summary)
        body += thresholdsSection(summary)
        body += throughputSection(summary)
        body += latencySection(summary)
        body += errorsSection(summary)
        body += activitySection(files.timeline)
        body += consistencySection(summary, candidates: files.candidates)
        if let versions = summary.byVersion, !versions.isEmpty { body += versionsSection(versions) }
        body += itemSecuritySection(summary, exposure: files.exposure)
        if let steps = summary.capacitySearch, !steps.isEmpty { body += capacitySection(steps, result: summary.capacity) }
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>certsim — \(HTML.escape(summary.scenario))</title>
        <style>\(style)</style>
        </head>
        <body>
        \(body)</body>
        </html>

        """
    }

    static let style = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;max-width:1000px;margin:2em auto;padding:0 1em}
    h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
    h3{font-size:1em;margin:1.2em 0 .3em}
    table{border-collapse:collapse;margin:.5em 0}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
    th:first-child,td:first-child{text-align:left}th{background:#f6f6f6;font-weight:600}
    .pass{color:#1a7f37}.fail{color:#b42318;font-weight:600}.verdict{font-size:1.05em}
    code{font-size:.9em;word-break:break-all}
    svg.chart{width:100%;height:auto;max-width:720px;display:block;margin:.5em 0 1em}
    .grid{stroke:#eee}.axis{stroke:#888}.diagonal{stroke:#999;stroke-dasharray:4 3}
    .tick{font-size:11px;fill:#555}.label{font-size:12px;fill:#333}
    .note{color:#666;font-size:.9em}
    """

    // MARK: tables

    static func table(_ header: [String], _ rows: [[String]], classes: [[String]]? = nil) -> String {
        var html = "<table><thead><tr>" + header.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        for (r, row) in rows.enumerated() {
            html += "<tr>" + row.enumerated().map { c, cell in
                let cls = classes?[r][c] ?? ""
                return cls.isEmpty ? "<td>\(HTML.escape(cell))</td>" : "<td class=\"\(cls)\">\(HTML.escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    static func fixed(_ value: Double?, _ digits: Int = 3) -> String {
        value.map { String(format: "%.\(digits)f", $0) } ?? "–"
    }

    static func ms(_ microseconds: UInt64) -> String { String(format: "%.2f", Double(microseconds) / 1000) }

    static func runSection(_ s: Summary) -> String {
        var rows: [[String]] = [
            ["Scenario", s.scenario], ["Seed", String(s.seed)], ["Transport", s.transport], ["Estimator", s.estimator],
            ["Time scale", s.timeScale == 0 ? "0 (as fast as possible)" : fixed(s.timeScale, 1)],
            ["Concurrency", String(s.concurrency)],
            ["Wall time", fixed(s.wallSeconds, 2) + " s"], ["Simulated time", fixed(s.simulatedSeconds / 60, 1) + " min"],
            ["CPU time", fixed(s.cpuSeconds, 2) + " s"],
            ["CPU per 1,000 answers", s.cpuSecondsPerThousandAnswers.map { fixed($0, 3) + " s" } ?? "–"],
            ["Peak RSS", fixed(Double(s.peakRSSBytes) / 1_048_576, 1) + " MiB"],
        ]
        if let bytes = s.storeBytes {
            rows.append(["Store size", fixed(Double(bytes) / 1_048_576, 2) + " MiB"])
            rows.append(["Store per certification", s.storeBytesPerCertification.map { fixed($0 / 1024, 2) + " KiB" } ?? "–"])
        }
        return "<h2 id=\"run\">Run</h2>\n" + table(["", "value"], rows)
    }

    static func thresholdsSection(_ s: Summary) -> String {
        var html = "<h2 id=\"thresholds\">Thresholds</h2>\n"
        guard !s.thresholds.isEmpty else { return html + "<p class=\"note\">The scenario sets no thresholds.</p>\n" }
        let rows = s.thresholds.map { [$0.name, $0.limit, $0.measured, $0.passed ? "pass" : "FAIL"] }
        let classes = s.thresholds.map { ["", "", "", $0.passed ? "pass" : "fail"] }
        html += table(["threshold", "limit", "measured", "result"], rows, classes: classes)
        let failures = ThresholdCheck.failures(s.thresholds)
        if !failures.isEmpty {
            html += "<ul>" + failures.map { "<li class=\"fail\">\(HTML.escape($0))</li>" }.joined() + "</ul>\n"
        }
        return html
    }

    static func throughputSection(_ s: Summary) -> String {
        let c = s.certifications
        let rows = [
            ["Certifications started", String(c.started)], ["Certifications completed", String(c.completed)],
            ["Validated", String(c.validated)], ["Rejected", String(c.rejected)], ["Answers", String(s.answers)],
            ["Answers per second", fixed(s.answersPerSecond, 1)], ["Certifications per second", fixed(s.certificationsPerSecond, 2)],
            ["Peak concurrent candidates", String(s.peakConcurrentCandidates)],
        ]
        return "<h2 id=\"throughput\">Throughput</h2>\n" + table(["", "value"], rows)
    }

    static func latencySection(_ s: Summary) -> String {
        var html = "<h2 id=\"latency\">Latency</h2>\n<p class=\"note\">Milliseconds, measured from the intended send time "
            + "(HDR histograms, 3 significant digits).</p>\n"
        guard !s.latency.isEmpty else { return html + "<p class=\"note\">No operation was timed.</p>\n" }
        let rows = s.latency.keys.sorted().map { operation -> [String] in
            let p = s.latency[operation]!
            return [operation, String(p.count), fixed(p.meanMicroseconds / 1000, 2), ms(p.p50Microseconds), ms(p.p90Microseconds),
                    ms(p.p99Microseconds), ms(p.p999Microseconds), ms(p.maxMicroseconds)]
        }
        html += table(["operation", "count", "mean", "p50", "p90", "p99", "p99.9", "max"], rows)
        return html
    }

    static func errorsSection(_ s: Summary) -> String {
        var html = "<h2 id=\"errors\">Errors by code</h2>\n"
        guard !s.errors.isEmpty else { return html + "<p class=\"note\">No errors.</p>\n" }
        html += table(["code", "count"], s.errors.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] })
        return html
    }

    static func capacitySection(_ steps: [CapacityStep], result: CapacityResult?) -> String {
        var html = "<h2 id=\"capacity-search\">Capacity search</h2>\n"
        if let result {
            html += "<p class=\"note\">Each step is a closed loop of candidates answering without think time; "
                + "the other sections of this report describe the knee step (or the first step when none passed).</p>\n"
            var rows: [[String]] = [["Objective", CapacityText.objective(result.slo)]]
            if let step = result.kneeStep, let concurrency = result.kneeConcurrency {
                rows.append(["Knee", "step \(step), concurrency \(concurrency)"])
                rows.append(["Answers/s sustained", fixed(result.kneeAnswersPerSecond, 1)])
            } else {
                rows.append(["Knee", "none: the first step broke the objective"])
            }
            rows.append(["Stopped", result.brokenStep.map { "step \($0) broke the objective" } ?? "at max_concurrency, unbroken"])
            rows.append(["Scenario peak", "\(result.peakConcurrentCandidates) candidates at once (\(result.peakConcurrentCandidatesPerCentre) a centre)"])
            rows.append(["Seconds per answer (mean think time)", fixed(result.secondsPerAnswer, 1)])
            rows.append(["Peak answers/s", fixed(result.peakAnswersPerSecond, 1)])
            if let equivalent = result.equivalentCandidates, let headroom = result.headroom, let centres = result.centres {
                rows.append(["Candidates at once one daemon holds", String(equivalent)])
                rows.append(["Headroom over the peak", "×" + fixed(headroom, 2)])
                rows.append(["Centres one daemon holds", String(centres)])
            }
            html += table(["", "value"], rows)
        }
        let x = { (step: CapacityStep) in step.load }
        let unit = steps.first?.loadUnit ?? "load"
        let kneeLoad = result?.kneeConcurrency.map(Double.init)
        // A single step is a point, not a curve: the table says it all.
        if steps.count >= capacityChartStepsMin {
            html += capacityCharts(steps, result: result, x: x, unit: unit, kneeLoad: kneeLoad)
        }
        return html + capacityTable(steps)
    }

    /// Fewest steps drawn as charts.
    static let capacityChartStepsMin = 2

    static func capacityCharts(_ steps: [CapacityStep], result: CapacityResult?, x: (CapacityStep) -> Double, unit: String,
                               kneeLoad: Double?) -> String {
        var html = SVGChart.lines(
            title: "Answers per second by step",
            series: [.init(name: "answers/s", points: steps.map { (x($0), $0.answersPerSecond) }, colour: SVGChart.palette[0])],
            xLabel: unit, yLabel: "answers/s", marker: kneeLoad.map { ($0, "knee") }, dots: true)
        let loads = steps.map(\.load)
        var latency: [SVGChart.Series] = [
            .init(name: "p99 next", points: steps.compactMap { s in s.p99NextMicroseconds.map { (x(s), Double($0) / 1000) } },
                  colour: SVGChart.palette[1]),
            .init(name: "p99 answer", points: steps.compactMap { s in s.p99AnswerMicroseconds.map { (x(s), Double($0) / 1000) } },
                  colour: SVGChart.palette[2]),
        ]
        if let low = loads.min(), let high = loads.max() {
            if let limit = result?.slo.p99NextMilliseconds {
                latency.append(.init(name: "SLO next \(ThresholdCheck.format(limit)) ms", points: [(low, limit), (high, limit)],
                                     colour: SVGChart.palette[3], dashed: true))
            }
            if let limit = result?.slo.p99AnswerMilliseconds, limit != result?.slo.p99NextMilliseconds {
                latency.append(.init(name: "SLO answer \(ThresholdCheck.format(limit)) ms", points: [(low, limit), (high, limit)],
                                     colour: SVGChart.palette[4], dashed: true))
            }
        }
        html += SVGChart.lines(title: "p99 latency by step", series: latency, xLabel: unit, yLabel: "p99 latency (ms)",
                               marker: kneeLoad.map { ($0, "knee") }, dots: true)
        return html
    }

    static func capacityTable(_ steps: [CapacityStep]) -> String {
        let rows = steps.enumerated().map { index, step in
            [String(index + 1), "\(SVGChart.format(step.load)) \(step.loadUnit)", step.candidates.map(String.init) ?? "–",
             fixed(step.answersPerSecond, 1), step.p99NextMicroseconds.map(ms) ?? "–", step.p99AnswerMicroseconds.map(ms) ?? "–",
             String(step.errors), step.passed ? "pass" : "FAIL: " + (step.failures ?? []).joined(separator: "; ")]
        }
        let classes = steps.map { ["", "", "", "", "", "", "", $0.passed ? "pass" : "fail"] }
        return table(["step", "load", "certifications", "answers/s", "p99 next (ms)", "p99 answer (ms)", "errors", "result"],
                     rows, classes: classes)
    }

    // MARK: charts

    static func activitySection(_ timeline: [TimelineRow]) -> String {
        var html = "<h2 id=\"activity\">Activity over time</h2>\n"
        guard !timeline.isEmpty else { return html + "<p class=\"note\">No timeline was recorded.</p>\n" }
        for clock in Timeline.Clock.allCases {
            let rows = timeline.filter { $0.clock == clock }.sorted { $0.startSeconds < $1.startSeconds }
            guard !rows.isEmpty else { continue }
            let (unit, divisor) = clock == .simulated ? ("simulated minutes", 60.0) : ("real seconds", 1.0)
            let x = { (row: TimelineRow) in row.startSeconds / divisor }
            html += "<h3>\(clock == .simulated ? "Per simulated bucket" : "Per real-time bucket") "
                + "(\(SVGChart.format(rows[0].widthSeconds)) s wide)</h3>\n"
            // Two charts rather than one with two scales: thousands of candidates would flatten tens of answers/s.
            html += SVGChart.lines(
                title: "Active candidates (\(clock.rawValue))",
                series: [.init(name: "active candidates (peak in bucket)", points: rows.map { (x($0), Double($0.activeCandidates)) },
                               colour: SVGChart.palette[0])],
                xLabel: unit, yLabel: "candidates")
            html += SVGChart.lines(
                title: "Answers per second (\(clock.rawValue))",
                series: [.init(name: "answers/s", points: rows.map { (x($0), $0.answersPerSecond) }, colour: SVGChart.palette[1])],
                xLabel: unit, yLabel: "answers/s")
            // A bucket without requests (between two waves) is a gap in the lines, not a bridge.
            func milliseconds(_ value: UInt64?) -> Double { value.map { Double($0) / 1000 } ?? .nan }
            html += SVGChart.lines(
                title: "Latency percentiles (\(clock.rawValue))",
                series: [
                    .init(name: "p50", points: rows.map { (x($0), milliseconds($0.p50Microseconds)) }, colour: SVGChart.palette[2]),
                    .init(name: "p90", points: rows.map { (x($0), milliseconds($0.p90Microseconds)) }, colour: SVGChart.palette[1]),
                    .init(name: "p99", points: rows.map { (x($0), milliseconds($0.p99Microseconds)) }, colour: SVGChart.palette[3]),
                ],
                xLabel: unit, yLabel: "latency (ms)")
        }
        return html
    }

    /// A mixed day, version by version: throughput, statuses, θ̂ error, and for each version the
    /// confusion of (level of the true θ → certified level).
    static func versionsSection(_ versions: [VersionBreakdown]) -> String {
        var html = "<h2 id=\"versions\">By certification version</h2>\n"
        html += "<p class=\"note\">Pix+ certifications have no Pix score: they are measured in levels. "
            + "Level agreement is the share of validated or rejected tests certified at the level of the candidate's true θ "
            + "(a rejection counts as “none”). CléA runs no test: its row counts the core results of the candidates enrolled "
            + "in it, “validated” meaning acquired (validated with at least the version's minimum Pix score).</p>\n"
        html += table(
            ["version", "framework", "certifications", "per second", "validated", "rejected", "cancelled", "bias", "RMSE", "level agreement"],
            versions.map { v in
                [v.version, v.framework, String(v.certifications), fixed(v.certificationsPerSecond, 2), String(v.validated),
                 "\(v.rejected) (\(fixed(v.rejectionRate.map { $0 * 100 }, 1)) %)",
                 "\(v.cancelled) (\(fixed(v.cancellationRate.map { $0 * 100 }, 1)) %)",
                 fixed(v.bias), fixed(v.rmse), fixed(v.levelAgreement)]
            })
        for v in versions {
            html += "<h3>\(HTML.escape(v.version)): level of the true θ (rows) → certified level (columns)</h3>\n"
            html += table([""] + v.levels, v.levels.indices.map { t in [v.levels[t]] + v.confusion[t].map(String.init) })
        }
        return html
    }

    static func consistencySection(_ s: Summary, candidates: [CandidateRow]) -> String {
        let k = s.consistency
        var html = "<h2 id=\"consistency\">Scoring consistency</h2>\n"
        var rows: [[String]] = [
            ["Certifications measured", String(k.count)], ["Bias (mean θ̂ − θ)", fixed(k.bias)], ["RMSE", fixed(k.rmse)],
            ["Pearson r (θ̂, θ)", fixed(k.pearson)], ["Mean reported error rate", fixed(k.meanReportedErrorRate)],
            ["Observed error (sd of θ̂ − θ)", fixed(k.observedError)], ["Mesh-level agreement", fixed(k.meshAgreement)],
        ]
        if k.retestPairs > 0 {
            rows.append(["Retest pairs", String(k.retestPairs)])
            rows.append(["Retest mean |Δscore|", fixed(k.retestMeanAbsoluteDeltaScore, 1)])
            rows.append(["Retest same-level share", fixed(k.retestSameLevelShare)])
        }
        html += table(["", "value"], rows)

        let scored = candidates.filter { $0.consistencySample != nil }.sorted { $0.candidateKey < $1.candidateKey }
        html += "<h3 id=\"theta-scatter\">θ̂ against θ</h3>\n"
        let stride = max(1, (scored.count + scatterPointsMax - 1) / scatterPointsMax)
        if stride > 1 { html += "<p class=\"note\">One certification in \(stride) is drawn.</p>\n" }
        let points = Swift.stride(from: 0, to: scored.count, by: stride).map { (scored[$0].trueTheta, scored[$0].estimatedTheta!) }
        html += SVGChart.scatter(title: "Estimated against true ability", points: points.map { (x: $0.0, y: $0.1) },
                                 xLabel: "true θ", yLabel: "estimated θ̂", colour: SVGChart.palette[0])

        html += "<h3 id=\"score-distribution\">Score distribution by mesh level</h3>\n"
        var bins = [Int](repeating: 0, count: 896 / scoreBinWidth + 1)
        for row in scored { bins[min(bins.count - 1, max(0, row.score!) / scoreBinWidth)] += 1 }
        let levelColours = (0..<8).map { SVGChart.palette[$0 % SVGChart.palette.count] }
        let bars = bins.enumerated().map { index, count -> SVGChart.Bar in
            let start = index * scoreBinWidth
            let level = meshBandStarts.lastIndex { $0 <= start } ?? 0
            return SVGChart.Bar(label: String(start), value: Double(count), colour: levelColours[level])
        }
        html += SVGChart.bars(title: "Scores", bars: bars, yLabel: "certifications", xLabel: "score (bin start)",
                              legend: (0..<8).map { ("level \($0)", levelColours[$0]) }, labelEvery: 4)

        html += "<h3 id=\"rmse-bands\">RMSE by true-ability band</h3>\n"
        html += SVGChart.bars(title: "RMSE by band",
                              bars: k.bands.map { SVGChart.Bar(label: $0.label, value: $0.rmse ?? 0, colour: SVGChart.palette[0]) },
                              yLabel: "RMSE (logits)", xLabel: "true θ band")
        html += table(["band", "count", "bias", "RMSE"], k.bands.map { [$0.label, String($0.count), fixed($0.bias), fixed($0.rmse)] })

        if let deciles = k.deciles, !deciles.isEmpty {
            html += "<h3 id=\"deciles\">Conditional consistency by decile of the true θ</h3>\n"
            html += "<p class=\"note\">Certifications sorted by true θ and cut into ten groups of equal size; "
                + "bias and RMSE of θ̂ in each, beside the mean error rate the estimator reported.</p>\n"
            let x = { (band: Consistency.DecileBand) in Double(band.decile) }
            html += SVGChart.lines(
                title: "Bias and RMSE by decile of true θ",
                series: [
                    .init(name: "bias", points: deciles.map { (x($0), $0.bias) }, colour: SVGChart.palette[0]),
                    .init(name: "RMSE", points: deciles.map { (x($0), $0.rmse) }, colour: SVGChart.palette[3]),
                    .init(name: "mean reported error", points: deciles.map { (x($0), $0.meanReportedErrorRate) },
                          colour: SVGChart.palette[2], dashed: true),
                ],
                xLabel: "decile of true θ (1 = lowest)", yLabel: "logits", dots: true)
            html += table(["decile", "true θ from", "to", "count", "bias", "RMSE", "mean reported error"],
                          deciles.map { [String($0.decile), fixed($0.lowestTheta, 2), fixed($0.highestTheta, 2), String($0.count),
                                         fixed($0.bias), fixed($0.rmse), fixed($0.meanReportedErrorRate)] })
        }
        return html
    }

    static func itemSecuritySection(_ s: Summary, exposure: [ExposureRow]) -> String {
        var html = "<h2 id=\"item-security\">Item security</h2>\n"
        guard let security = s.itemSecurity else { return html + "<p class=\"note\">This run measured no item security.</p>\n" }
        html += "<p class=\"note\">A challenge is given when it was served to the candidate (validated-alert challenges "
            + "included, the downgrade's simulated answers not); its exposure rate is times given ÷ certifications. "
            + "The test overlap rate is the share of challenges two certifications have in common, measured over pairs "
            + "and by Barrada's formula (N/Q)·Var(r) + Q/N with Q the mean test length.</p>\n"
        let threshold = ThresholdCheck.format(security.exposureThreshold)
        let overlap = security.overlap
        let rows: [[String]] = [
            ["Certifications", String(security.certifications)], ["Challenges in the bank", String(security.bankChallenges)],
            ["Mean test length (challenges given)", fixed(security.meanTestLength, 2)],
            ["Test length range", security.testLengthMin.map { "\($0)–\(security.testLengthMax ?? $0)" } ?? "–"],
            ["Largest exposure rate", fixed(security.maxExposureRate) + (security.maxExposureChallengeId.map { " (\($0))" } ?? "")],
            ["Mean exposure rate", fixed(security.meanExposureRate)],
            ["Share of the bank never given", fixed(security.neverGivenShare)],
            ["Share above \(threshold)", fixed(security.aboveThresholdShare)],
            ["Test overlap, measured", fixed(overlap.direct)
                + " (\(overlap.pairs) of \(overlap.pairsTotal) pairs\(overlap.sampled ? ", drawn from the seed" : ""))"],
            ["Test overlap, Barrada", fixed(overlap.barrada)],
        ]
        html += table(["", "value"], rows)
        if let banks = s.itemSecurityByBank {
            html += "<h3 id=\"item-security-banks\">By bank</h3>\n<p class=\"note\">The run served several banks: the figures "
                + "above and the charts below are the first bank's; a complementary test counts for its own bank.</p>\n"
            html += table(["bank", "certifications", "challenges", "mean length", "largest rate", "never given",
                           "above \(threshold)", "overlap", "Barrada"],
                          banks.map { [$0.bank ?? "–", String($0.certifications), String($0.bankChallenges),
                                       fixed($0.meanTestLength, 2), fixed($0.maxExposureRate), fixed($0.neverGivenShare),
                                       fixed($0.aboveThresholdShare), fixed($0.overlap.direct), fixed($0.overlap.barrada)] })
        }
        // Exposure rows come bank by bank, the first bank's first.
        let exposure = Array(exposure.prefix(security.bankChallenges))
        if !exposure.isEmpty {
            let sorted = exposure.map(\.rate).sorted(by: >)
            let rank = sorted.enumerated().map { (Double($0.offset + 1), $0.element) }
            html += "<h3 id=\"exposure-rates\">Exposure rates, highest first</h3>\n"
            html += SVGChart.lines(
                title: "Exposure rates sorted",
                series: [
                    .init(name: "exposure rate", points: rank, colour: SVGChart.palette[0]),
                    .init(name: "threshold \(threshold)",
                          points: [(1, security.exposureThreshold), (Double(max(sorted.count, 2)), security.exposureThreshold)],
                          colour: SVGChart.palette[3], dashed: true),
                ],
                xLabel: "challenges, by rank", yLabel: "exposure rate")
            html += "<h3 id=\"exposure-difficulty\">Exposure against difficulty</h3>\n"
            html += SVGChart.points(title: "Exposure rate against difficulty",
                                    points: exposure.map { (x: $0.difficulty, y: $0.rate) },
                                    xLabel: "difficulty b", yLabel: "exposure rate", colour: SVGChart.palette[0],
                                    reference: (security.exposureThreshold, "threshold \(threshold)"))
        }
        func groupRows(_ groups: [ItemSecurity.ExposureGroup]) -> [[String]] {
            groups.map { [$0.key, String($0.challenges), String($0.timesGiven), fixed($0.meanRate), fixed($0.maxRate),
                          fixed($0.neverGivenShare)] }
        }
        let header = ["challenges", "times given", "mean rate", "max rate", "never given"]
        html += "<h3 id=\"exposure-competence\">Exposure by competence</h3>\n"
        html += table(["competence"] + header, groupRows(security.byCompetence))
        html += "<h3 id=\"exposure-level\">Exposure by skill level</h3>\n"
        html += table(["level"] + header, groupRows(security.byLevel))
        return html
    }
}
