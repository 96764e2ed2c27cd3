import Foundation

/// Minimal inline-SVG charts for the HTML reports, drawn without any script or external resource:
/// line charts, a scatter plot, and bar charts, each with axes, ticks, and a legend; and a heat map
/// of counts (a confusion matrix).
///
/// Owned by CertLoad's report half.
enum SVGChart {
    static let width = 720.0
    static let height = 300.0
    static let left = 64.0, right = 16.0, top = 30.0, bottom = 44.0

    /// Width of one character of a tick label (11 px), roughly, to space labels.
    static let tickCharacterWidth = 6.5

    /// With `dots`, lines with at most this many points get a dot at each point (step charts).
    static let pointMarkersMax = 64

    /// Colour-blind-safe palette (Okabe–Ito).
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var colour: String
        /// Drawn dashed (a limit rather than a measure).
        var dashed = false
    }

    struct Bar {
        var label: String
        var value: Double
        var colour: String
    }

    /// Ticks at 1, 2 or 5 × 10^k covering [low, high].
    static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        guard high > low, low.isFinite, high.isFinite else { return [low] }
        let raw = (high - low) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var values: [Double] = []
        var value = ceil(low / step) * step
        while value <= high + step * 1e-9 {
            values.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return values
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e12 { return String(Int(value)) }
        if abs(value) >= 100 { return String(format: "%.0f", value) }
        if abs(value) >= 1 { return String(format: "%.1f", value) }
        return String(format: "%.2f", value)
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    struct Frame {
        var xLow: Double, xHigh: Double, yLow: Double, yHigh: Double
        var plotWidth: Double { SVGChart.width - SVGChart.left - SVGChart.right }
        var plotHeight: Double { SVGChart.height - SVGChart.top - SVGChart.bottom }
        func x(_ value: Double) -> Double {
            SVGChart.left + (xHigh == xLow ? 0.5 : (value - xLow) / (xHigh - xLow)) * plotWidth
        }
        func y(_ value: Double) -> Double {
            SVGChart.top + plotHeight - (yHigh == yLow ? 0.5 : (value - yLow) / (yHigh - yLow)) * plotHeight
        }
    }

    static func open(_ title: String, height: Double = SVGChart.height) -> String {
        "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\">\n"
    }

    static func axes(_ frame: Frame, xLabel: String, yLabel: String, xTicks: [Double]? = nil) -> String {
        var svg = ""
        let x0 = left, x1 = width - right, y0 = top, y1 = height - bottom
        for tick in ticks(frame.yLow, frame.yHigh) {
            let y = frame.y(tick)
            svg += "<line class=\"grid\" x1=\"\(number(x0))\" y1=\"\(number(y))\" x2=\"\(number(x1))\" y2=\"\(number(y))\"/>"
            svg += "<text class=\"tick\" x=\"\(number(x0 - 6))\" y=\"\(number(y + 4))\" text-anchor=\"end\">\(format(tick))</text>\n"
        }
        for tick in xTicks ?? ticks(frame.xLow, frame.xHigh, count: 8) {
            let x = frame.x(tick)
            svg += "<line class=\"axis\" x1=\"\(number(x))\" y1=\"\(number(y1))\" x2=\"\(number(x))\" y2=\"\(number(y1 + 4))\"/>"
            svg += "<text class=\"tick\" x=\"\(number(x))\" y=\"\(number(y1 + 16))\" text-anchor=\"middle\">\(format(tick))</text>\n"
        }
        svg += "<line class=\"axis\" x1=\"\(number(x0))\" y1=\"\(number(y1))\" x2=\"\(number(x1))\" y2=\"\(number(y1))\"/>"
        svg += "<line class=\"axis\" x1=\"\(number(x0))\" y1=\"\(number(y0))\" x2=\"\(number(x0))\" y2=\"\(number(y1))\"/>\n"
        svg += "<text class=\"label\" x=\"\(number((x0 + x1) / 2))\" y=\"\(number(height - 6))\" text-anchor=\"middle\">\(HTML.escape(xLabel))</text>"
        svg += "<text class=\"label\" transform=\"translate(14 \(number((y0 + y1) / 2))) rotate(-90)\" text-anchor=\"middle\">\(HTML.escape(yLabel))</text>\n"
        return svg
    }

    static func legend(_ entries: [(name: String, colour: String)]) -> String {
        var svg = ""
        var x = left + 8
        for entry in entries {
            // Above the plot area, so it never hides data.
            svg += "<rect x=\"\(number(x))\" y=\"6\" width=\"10\" height=\"10\" fill=\"\(entry.colour)\"/>"
            svg += "<text class=\"tick\" x=\"\(number(x + 14))\" y=\"15\">\(HTML.escape(entry.name))</text>\n"
            x += 24 + Double(entry.name.count) * tickCharacterWidth
        }
        return svg
    }

    static func empty(_ title: String) -> String {
        open(title) + "<text class=\"label\" x=\"\(number(width / 2))\" y=\"\(number(height / 2))\" text-anchor=\"middle\">no data</text></svg>\n"
    }

    /// Lines over a shared x axis. A point whose y is not finite (NaN: a bucket with no data) is a
    /// gap: the line stops before it and starts again after it, and a lone point between two gaps
    /// is drawn as a dot.
    /// `marker`: a labelled vertical line at an x value (e.g. a capacity search's knee); `dots`: a dot
    /// at each point of a short line.
    static func lines(title: String, series: [Series], xLabel: String, yLabel: String, yFromZero: Bool = true,
                      marker: (x: Double, label: String)? = nil, dots: Bool = false) -> String {
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        guard let first = all.first else { return empty(title) }
        var frame = Frame(xLow: first.x, xHigh: first.x, yLow: yFromZero ? 0 : first.y, yHigh: first.y)
        for point in all {
            frame.xLow = min(frame.xLow, point.x); frame.xHigh = max(frame.xHigh, point.x)
            frame.yLow = min(frame.yLow, point.y); frame.yHigh = max(frame.yHigh, point.y)
        }
        if frame.yHigh == frame.yLow { frame.yHigh = frame.yLow + 1 }
        var svg = open(title) + axes(frame, xLabel: xLabel, yLabel: yLabel)
        for line in series where !line.points.isEmpty {
            let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
            for run in segments(line.points) {
                if run.count == 1 {
                    svg += "<circle cx=\"\(number(frame.x(run[0].x)))\" cy=\"\(number(frame.y(run[0].y)))\" r=\"1.5\" fill=\"\(line.colour)\"/>\n"
                    continue
                }
                let points = run.map { "\(number(frame.x($0.x))),\(number(frame.y($0.y)))" }.joined(separator: " ")
                svg += "<polyline fill=\"none\" stroke=\"\(line.colour)\" stroke-width=\"1.5\"\(dash) points=\"\(points)\"/>\n"
            }
            if dots && line.points.count <= pointMarkersMax {
                for point in line.points where point.x.isFinite && point.y.isFinite && !line.dashed {
                    svg += "<circle cx=\"\(number(frame.x(point.x)))\" cy=\"\(number(frame.y(point.y)))\" r=\"2.5\" fill=\"\(line.colour)\"/>"
                }
            }
        }
        if let marker, marker.x.isFinite, marker.x >= frame.xLow, marker.x <= frame.xHigh {
            let x = number(frame.x(marker.x))
            svg += "<line class=\"diagonal\" x1=\"\(x)\" y1=\"\(number(top))\" x2=\"\(x)\" y2=\"\(number(height - bottom))\"/>"
            svg += "<text class=\"tick\" x=\"\(x)\" y=\"\(number(top + 12))\" text-anchor=\"middle\">\(HTML.escape(marker.label))</text>\n"
        }
        svg += legend(series.map { ($0.name, $0.colour) })
        return svg + "</svg>\n"
    }

    /// The runs of consecutive drawable points: a point with a non-finite coordinate ends a run.
    static func segments(_ points: [(x: Double, y: Double)]) -> [[(x: Double, y: Double)]] {
        var runs: [[(x: Double, y: Double)]] = []
        var current: [(x: Double, y: Double)] = []
        for point in points {
            if point.x.isFinite && point.y.isFinite {
                current.append(point)
            } else if !current.isEmpty {
                runs.append(current)
                current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    /// Points on independent axes (y from zero), with an optional dashed horizontal reference line
    /// (e.g. a threshold).
    static func points(title: String, points: [(x: Double, y: Double)], xLabel: String, yLabel: String, colour: String,
                       reference: (y: Double, label: String)? = nil) -> String {
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard let first = finite.first else { return empty(title) }
        var frame = Frame(xLow: first.x, xHigh: first.x, yLow: 0, yHigh: max(first.y, reference?.y ?? 0))
        for point in finite {
            frame.xLow = min(frame.xLow, point.x); frame.xHigh = max(frame.xHigh, point.x)
            frame.yLow = min(frame.yLow, point.y); frame.yHigh = max(frame.yHigh, point.y)
        }
        if frame.xHigh == frame.xLow { frame.xHigh = frame.xLow + 1 }
        if frame.yHigh == frame.yLow { frame.yHigh = frame.yLow + 1 }
        var svg = open(title) + axes(frame, xLabel: xLabel, yLabel: yLabel)
        if let reference, reference.y.isFinite {
            let y = number(frame.y(reference.y))
            svg += "<line class=\"diagonal\" x1=\"\(number(left))\" y1=\"\(y)\" x2=\"\(number(width - right))\" y2=\"\(y)\"/>"
            svg += "<text class=\"tick\" x=\"\(number(width - right - 4))\" y=\"\(number(frame.y(reference.y) - 4))\" "
                + "text-anchor=\"end\">\(HTML.escape(reference.label))</text>\n"
        }
        svg += "<g fill=\"\(colour)\" fill-opacity=\"0.55\">"
        for point in finite {
            svg += "<circle cx=\"\(number(frame.x(point.x)))\" cy=\"\(number(frame.y(point.y)))\" r=\"2\"/>"
        }
        return svg + "</g>\n</svg>\n"
    }

    /// Points with the y = x diagonal.
    static func scatter(title: String, points: [(x: Double, y: Double)], xLabel: String, yLabel: String, colour: String) -> String {
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard !finite.isEmpty else { return empty(title) }
        let values = finite.flatMap { [$0.x, $0.y] }
        let low = floor(values.min()!), high = ceil(values.max()!)
        let frame = Frame(xLow: low, xHigh: max(high, low + 1), yLow: low, yHigh: max(high, low + 1))
        var svg = open(title) + axes(frame, xLabel: xLabel, yLabel: yLabel)
        svg += "<line class=\"diagonal\" x1=\"\(number(frame.x(frame.xLow)))\" y1=\"\(number(frame.y(frame.yLow)))\" "
            + "x2=\"\(number(frame.x(frame.xHigh)))\" y2=\"\(number(frame.y(frame.yHigh)))\"/>\n"
        svg += "<g fill=\"\(colour)\" fill-opacity=\"0.45\">"
        for point in finite {
            svg += "<circle cx=\"\(number(frame.x(point.x)))\" cy=\"\(number(frame.y(point.y)))\" r=\"2\"/>"
        }
        return svg + "</g>\n</svg>\n"
    }

    /// Vertical bars, one per category, labelled underneath.
    static func bars(title: String, bars: [Bar], yLabel: String, xLabel: String, legend entries: [(name: String, colour: String)] = [],
                     labelEvery: Int = 1) -> String {
        guard !bars.isEmpty else { return empty(title) }
        let high = max(bars.map(\.value).filter(\.isFinite).max() ?? 1, 1e-9)
        let frame = Frame(xLow: 0, xHigh: Double(bars.count), yLow: 0, yHigh: high)
        var svg = open(title) + axes(frame, xLabel: xLabel, yLabel: yLabel, xTicks: [])
        let slot = frame.plotWidth / Double(bars.count)
        for (index, bar) in bars.enumerated() {
            let x = left + Double(index) * slot
            if bar.value.isFinite && bar.value > 0 {
                let y = frame.y(bar.value)
                svg += "<rect x=\"\(number(x + slot * 0.1))\" y=\"\(number(y))\" width=\"\(number(slot * 0.8))\" "
                    + "height=\"\(number(frame.y(0) - y))\" fill=\"\(bar.colour)\"><title>\(HTML.escape(bar.label)): \(format(bar.value))</title></rect>"
            }
            if index % max(1, labelEvery) == 0 {
                svg += "<text class=\"tick\" x=\"\(number(x + slot / 2))\" y=\"\(number(height - bottom + 16))\" text-anchor=\"middle\">\(HTML.escape(bar.label))</text>\n"
            }
        }
        svg += legend(entries)
        return svg + "</svg>\n"
    }

    /// Largest side of a heat-map cell.
    static let heatCellMax = 48.0

    /// A matrix of counts as shaded cells, each with its count written in it: `rows` down the left,
    /// `columns` along the top, `cells[row][column]`. A cell whose row and column have the same label
    /// (the diagonal of a confusion matrix: nothing moved) is green, the others vermilion; the shade
    /// grows with the square root of the count, so a cell of a few still shows beside one of hundreds.
    static func heatMap(title: String, rows: [String], columns: [String], cells: [[Int]], rowTitle: String,
                        columnTitle: String) -> String {
        guard !rows.isEmpty, !columns.isEmpty, cells.count == rows.count, cells.allSatisfy({ $0.count == columns.count }) else {
            return empty(title)
        }
        let labelWidth = 56.0, labelHeight = 40.0
        let cell = min(heatCellMax, (width - left - right - labelWidth) / Double(columns.count))
        let x0 = left + labelWidth, y0 = top + labelHeight
        let chartHeight = y0 + cell * Double(rows.count) + 16
        let largest = max(cells.flatMap { $0 }.max() ?? 0, 1)
        var svg = open(title, height: chartHeight)
        svg += "<text class=\"label\" x=\"\(number(x0 + cell * Double(columns.count) / 2))\" y=\"\(number(top))\" "
            + "text-anchor=\"middle\">\(HTML.escape(columnTitle))</text>\n"
        svg += "<text class=\"label\" transform=\"translate(\(number(left)) \(number(y0 + cell * Double(rows.count) / 2))) rotate(-90)\" "
            + "text-anchor=\"middle\">\(HTML.escape(rowTitle))</text>\n"
        for (c, label) in columns.enumerated() {
            svg += "<text class=\"tick\" x=\"\(number(x0 + cell * (Double(c) + 0.5)))\" y=\"\(number(y0 - 8))\" "
                + "text-anchor=\"middle\">\(HTML.escape(label))</text>"
        }
        svg += "\n"
        for (r, label) in rows.enumerated() {
            let y = y0 + cell * Double(r)
            svg += "<text class=\"tick\" x=\"\(number(x0 - 8))\" y=\"\(number(y + cell / 2 + 4))\" text-anchor=\"end\">\(HTML.escape(label))</text>"
            for (c, count) in cells[r].enumerated() {
                let x = x0 + cell * Double(c)
                let shade = count == 0 ? 0 : 0.12 + 0.88 * (Double(count) / Double(largest)).squareRoot()
                let colour = label == columns[c] ? palette[2] : palette[3]
                svg += "<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(cell))\" height=\"\(number(cell))\" "
                    + "fill=\"\(colour)\" fill-opacity=\"\(String(format: "%.2f", shade))\" stroke=\"#ddd\">"
                    + "<title>\(HTML.escape(rowTitle)) \(HTML.escape(label)), \(HTML.escape(columnTitle)) \(HTML.escape(columns[c])): \(count)</title></rect>"
                if count > 0 {
                    let ink = shade > 0.6 ? "#fff" : "#222"
                    svg += "<text class=\"tick\" x=\"\(number(x + cell / 2))\" y=\"\(number(y + cell / 2 + 4))\" "
                        + "text-anchor=\"middle\" style=\"fill:\(ink)\">\(count)</text>"
                }
            }
            svg += "\n"
        }
        return svg + "</svg>\n"
    }
}

/// HTML text escaping.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
