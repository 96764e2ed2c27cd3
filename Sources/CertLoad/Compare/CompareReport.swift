import Foundation

/// compare.html: one self-contained page (inline CSS and SVG, no script, no network) with the tables
/// `certsim compare` prints, a histogram of Δscore and a heat map of the mesh-level confusion matrix.
///
/// ```swift
/// try CompareReport.render(comparison).write(toFile: "compare.html", atomically: true, encoding: .utf8)
/// ```
///
/// Owned by CertLoad's comparison half.
public enum CompareReport {
    /// Most bars of the Δscore histogram; wider bins beyond.
    public static let deltaBinsMax = 40

    public static func render(_ c: RunComparison) -> String {
        var body = "<h1>certsim compare</h1>\n"
        let verdict = CompareText.resultLine(c).replacingOccurrences(of: "result: ", with: "")
        body += "<p class=\"verdict \(c.hasChanges ? "fail" : "pass")\">\(HTML.escape(verdict))</p>\n"
        body += "<h2 id=\"runs\">Runs</h2>\n" + table(CompareTables.runs(c))
        body += "<p>Digest A <code>\(HTML.escape(c.a.digest))</code><br>Digest B <code>\(HTML.escape(c.b.digest))</code>"
            + " (\(c.a.digest == c.b.digest ? "equal" : "differ"))</p>\n"
        body += "<h2 id=\"counts\">Candidates</h2>\n" + table(CompareTables.counts(c))
        for (letter, keys) in [("A", c.onlyInA), ("B", c.onlyInB)] where !keys.isEmpty {
            body += "<p class=\"note\">Only in \(letter): \(HTML.escape(CompareText.listed(keys)))</p>\n"
        }
        body += table(CompareTables.fieldChanges(c))
        body += "<h2 id=\"statuses\">Status, A → B</h2>\n" + table(CompareTables.statuses(c))
        body += "<h2 id=\"mesh-levels\">Mesh level, A → B</h2>\n"
        body += SVGChart.heatMap(title: "Mesh-level confusion matrix", rows: c.meshLevels.levels.map(MeshLevelMatrix.label),
                                 columns: c.meshLevels.levels.map(MeshLevelMatrix.label), cells: c.meshLevels.cells,
                                 rowTitle: "A's mesh level", columnTitle: "B's mesh level")
        body += table(CompareTables.meshLevels(c))
        body += "<h2 id=\"score-deltas\">Δscore and Δθ̂ (B − A)</h2>\n" + deltaHistogram(c.scoreDeltas)
        body += table(CompareTables.deltas(c))
        body += "<h2 id=\"movers\">Biggest movers</h2>\n"
        body += c.movers.isEmpty ? "<p class=\"note\">No candidate changed.</p>\n"
            : "<p class=\"note\">By |Δscore|, then |Δθ̂|; a candidate scored in one run only comes after those scored in both.</p>\n"
                + table(CompareTables.movers(c))
        body += "<h2 id=\"consistency\">Scoring consistency</h2>\n" + table(CompareTables.consistency(c))
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>certsim compare</title>
        <style>\(HTMLReport.style)\(style)</style>
        </head>
        <body>
        \(body)</body>
        </html>

        """
    }

    /// Added to the run report's style: words aligned left, and candidate keys kept on one line.
    static let style = "\n.l{text-align:left}th.l{text-align:left}td:first-child{white-space:nowrap}"

    /// A table whose first ``CompareTables/Table/leftColumns`` columns are aligned left.
    static func table(_ table: CompareTables.Table) -> String {
        func cells(_ row: [String], tag: String) -> String {
            row.enumerated().map { column, text in
                column < table.leftColumns ? "<\(tag) class=\"l\">\(HTML.escape(text))</\(tag)>" : "<\(tag)>\(HTML.escape(text))</\(tag)>"
            }.joined()
        }
        var html = "<table><thead><tr>" + cells(table.header, tag: "th") + "</tr></thead><tbody>\n"
        for row in table.rows { html += "<tr>" + cells(row, tag: "td") + "</tr>\n" }
        return html + "</tbody></table>\n"
    }

    /// Bars of the nonzero Δscores (the unchanged ones would dwarf them), in bins of 1, 2, 5, 10…
    /// points, as narrow as ``deltaBinsMax`` bars allow. A bin never mixes falls and rises.
    static func deltaHistogram(_ deltas: [Int]) -> String {
        let moved = deltas.filter { $0 != 0 }
        let unchanged = deltas.count - moved.count
        guard let low = moved.min(), let high = moved.max() else {
            return "<p class=\"note\">No score moved.</p>\n"
        }
        let width = binWidth(low: low, high: high)
        let first = floorDivision(low, width), last = floorDivision(high, width)
        var counts = [Int](repeating: 0, count: last - first + 1)
        for delta in moved { counts[floorDivision(delta, width) - first] += 1 }
        let bars = counts.enumerated().map { index, count -> SVGChart.Bar in
            let start = (first + index) * width
            // The bin [0, width) holds rises of 1 and more: zero is left out.
            let lower = start == 0 ? 1 : start, upper = start + width - 1
            let label = width == 1 ? String(start) : lower == upper ? String(lower) : "\(lower)..\(upper)"
            return SVGChart.Bar(label: label, value: Double(count), colour: start < 0 ? SVGChart.palette[3] : SVGChart.palette[0])
        }
        var html = "<p class=\"note\">\(moved.count) scores moved; \(unchanged) unchanged (not drawn)."
            + (width > 1 ? " Bins of \(width) points." : "") + "</p>\n"
        html += SVGChart.bars(title: "Δscore histogram", bars: bars, yLabel: "candidates", xLabel: "Δscore (B − A)",
                              legend: [("B lower", SVGChart.palette[3]), ("B higher", SVGChart.palette[0])],
                              labelEvery: labelEvery(bars.map(\.label)))
        return html
    }

    /// Every how many bars a label fits under its bar without touching the next one shown.
    static func labelEvery(_ labels: [String]) -> Int {
        let slot = (SVGChart.width - SVGChart.left - SVGChart.right) / Double(max(labels.count, 1))
        let widest = Double(labels.map(\.count).max() ?? 1) * SVGChart.tickCharacterWidth + 8
        return max(1, Int((widest / slot).rounded(.up)))
    }

    /// The narrowest of 1, 2, 5, 10, 20, 50… that fits [low, high] in ``deltaBinsMax`` bins.
    static func binWidth(low: Int, high: Int) -> Int {
        var magnitude = 1
        while true {
            for factor in [1, 2, 5] {
                let width = factor * magnitude
                if floorDivision(high, width) - floorDivision(low, width) + 1 <= deltaBinsMax { return width }
            }
            magnitude *= 10
        }
    }

    static func floorDivision(_ value: Int, _ divisor: Int) -> Int {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
