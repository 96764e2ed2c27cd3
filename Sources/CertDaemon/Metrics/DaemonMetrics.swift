import Synchronization

/// The daemon's metrics registry: counters, gauges and fixed-bucket latency histograms,
/// rendered in the Prometheus text format for `GET /metrics`. Owned by the daemon core; the
/// transports call `recordRequest(route:status:latencyMicroseconds:)` once per request.
///
/// Written here rather than taken from a package: a few dozen series, one lock, no allocation
/// on the recording path beyond the first sample of a series.
///
/// ```swift
/// metrics.recordRequest(route: "POST /assessments/:id/answers", status: 200, latencyMicroseconds: 850)
/// let text = metrics.renderPrometheus()
/// ```
public final class DaemonMetrics: Sendable {
    /// Upper bounds of the latency histogram buckets, in microseconds (`+Inf` is implicit).
    public static let latencyBucketsMicroseconds: [Double] = [
        50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 10_000_000,
    ]
    /// Label combinations one metric may hold; past it, new combinations fold into `other`
    /// so that a client sending odd routes cannot grow the registry without bound.
    public static let seriesPerMetricMax = 512

    /// A gauge or counter value read at render time from a component (engines, writer).
    public struct Sample: Sendable {
        public var name: String
        public var help: String
        public var type: String
        public var labels: [(String, String)]
        public var value: Double
        public init(name: String, help: String, type: String = "gauge", labels: [(String, String)] = [], value: Double) {
            self.name = name
            self.help = help
            self.type = type
            self.labels = labels
            self.value = value
        }
    }

    private struct Histogram {
        var bucketCounts: [UInt64] = Array(repeating: 0, count: DaemonMetrics.latencyBucketsMicroseconds.count + 1)
        var sum: Double = 0
        var count: UInt64 = 0

        mutating func observe(_ value: Double) {
            var index = DaemonMetrics.latencyBucketsMicroseconds.count
            for (i, bound) in DaemonMetrics.latencyBucketsMicroseconds.enumerated() where value <= bound {
                index = i
                break
            }
            bucketCounts[index] += 1
            sum += value
            count += 1
        }
    }

    private struct Family<Value> {
        let help: String
        var series: [String: Value] = [:]  // key: rendered label set `{a="x",b="y"}`
    }

    private struct Registry {
        var counters: [String: Family<Double>] = [:]
        var histograms: [String: Family<Histogram>] = [:]
        var collectors: [@Sendable () -> [Sample]] = []
    }

    private let registry = Mutex(Registry())

    public init() {}

    // MARK: Recording

    /// One request of a transport: counted by route and status, timed by route.
    public func recordRequest(route: String, status: Int, latencyMicroseconds: Double) {
        let routeLabel = [("route", route)]
        incrementCounter(
            "certsim_requests_total", help: "Requests handled, by route and HTTP status.",
            labels: routeLabel + [("status", String(status))])
        observe(
            "certsim_request_latency_microseconds", help: "Request latency by route, in microseconds.",
            labels: routeLabel, valueMicroseconds: latencyMicroseconds)
    }

    /// Adds `by` to a counter (created at 0 on first use).
    public func incrementCounter(_ name: String, help: String, labels: [(String, String)] = [], by amount: Double = 1) {
        let key = Self.labelKey(labels)
        registry.withLock { registry in
            var family = registry.counters[name] ?? Family(help: help)
            let seriesKey = Self.boundedKey(key, existing: family.series.keys.contains(key), count: family.series.count)
            family.series[seriesKey, default: 0] += amount
            registry.counters[name] = family
        }
    }

    /// Adds one observation to a latency histogram.
    public func observe(_ name: String, help: String, labels: [(String, String)] = [], valueMicroseconds: Double) {
        let key = Self.labelKey(labels)
        registry.withLock { registry in
            var family = registry.histograms[name] ?? Family(help: help)
            let seriesKey = Self.boundedKey(key, existing: family.series.keys.contains(key), count: family.series.count)
            family.series[seriesKey, default: Histogram()].observe(valueMicroseconds)
            registry.histograms[name] = family
        }
    }

    /// Registers a source of samples read at each render (gauges of engines, the writer, sessions).
    public func addCollector(_ collector: @escaping @Sendable () -> [Sample]) {
        registry.withLock { $0.collectors.append(collector) }
    }

    /// The current value of a counter series (tests and `stats`).
    public func counterValue(_ name: String, labels: [(String, String)] = []) -> Double {
        registry.withLock { $0.counters[name]?.series[Self.labelKey(labels)] ?? 0 }
    }

    // MARK: Rendering

    /// The Prometheus text exposition format (version 0.0.4), metrics sorted by name.
    public func renderPrometheus() -> String {
        let (counters, histograms, collectors) = registry.withLock { ($0.counters, $0.histograms, $0.collectors) }
        var out = ""
        for name in counters.keys.sorted() {
            let family = counters[name]!
            out += "# HELP \(name) \(family.help)\n# TYPE \(name) counter\n"
            for key in family.series.keys.sorted() {
                out += "\(name)\(key) \(Self.format(family.series[key]!))\n"
            }
        }
        for name in histograms.keys.sorted() {
            let family = histograms[name]!
            out += "# HELP \(name) \(family.help)\n# TYPE \(name) histogram\n"
            for key in family.series.keys.sorted() {
                let histogram = family.series[key]!
                var cumulative: UInt64 = 0
                for (i, bound) in Self.latencyBucketsMicroseconds.enumerated() {
                    cumulative += histogram.bucketCounts[i]
                    out += "\(name)_bucket\(Self.adding("le", Self.format(bound), to: key)) \(cumulative)\n"
                }
                cumulative += histogram.bucketCounts[Self.latencyBucketsMicroseconds.count]
                out += "\(name)_bucket\(Self.adding("le", "+Inf", to: key)) \(cumulative)\n"
                out += "\(name)_sum\(key) \(Self.format(histogram.sum))\n"
                out += "\(name)_count\(key) \(histogram.count)\n"
            }
        }
        var samplesByName: [String: [Sample]] = [:]
        for collector in collectors {
            for sample in collector() { samplesByName[sample.name, default: []].append(sample) }
        }
        for name in samplesByName.keys.sorted() {
            let samples = samplesByName[name]!
            out += "# HELP \(name) \(samples[0].help)\n# TYPE \(name) \(samples[0].type)\n"
            for sample in samples {
                out += "\(name)\(Self.labelKey(sample.labels)) \(Self.format(sample.value))\n"
            }
        }
        return out
    }

    // MARK: Helpers

    static func labelKey(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    private static func boundedKey(_ key: String, existing: Bool, count: Int) -> String {
        existing || count < seriesPerMetricMax ? key : "{overflow=\"other\"}"
    }

    private static func adding(_ label: String, _ value: String, to key: String) -> String {
        key.isEmpty ? "{\(label)=\"\(value)\"}" : String(key.dropLast()) + ",\(label)=\"\(value)\"}"
    }

    private static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    private static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
