import CoreMetrics
import Prometheus
import Synchronization

/// The daemon's metrics: request counters and latency histograms recorded through swift-metrics,
/// gauges and counters read from components (engines, writer, sessions) at each scrape, all
/// rendered by swift-prometheus in the Prometheus text format for `GET /metrics`. Owned by the
/// daemon core; the transports call `recordRequest(route:status:latencyMicroseconds:)` once per
/// request.
///
/// Each instance has its own `PrometheusCollectorRegistry` and factory, handed to every metric it
/// makes: nothing is bootstrapped process-wide, so tests and the runner embed several daemons
/// in one process, each with its own series. The recording path looks up a cached handler (no
/// allocation once a (route, status) pair has been seen); the label sets are bounded: past
/// `seriesPerMetricMax` combinations, new ones fold into `overflow="other"`.
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

    static let requestsName = "certsim_requests_total"
    static let latencyName = "certsim_request_latency_microseconds"
    static let overflowLabels = [("overflow", "other")]

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

    private struct RequestKey: Hashable {
        var route: String
        var status: Int
    }

    /// A collector's series: its handler and, for a counter, the value already counted (a
    /// component reports totals; swift-metrics counters take increments).
    private struct CollectedSeries {
        var gauge: CoreMetrics.Gauge?
        var counter: CoreMetrics.Counter?
        var fractionalCounter: CoreMetrics.FloatingPointCounter?
        var counted: Double = 0
    }

    private struct State {
        var requests: [RequestKey: CoreMetrics.Counter] = [:]
        var latencies: [String: CoreMetrics.Recorder] = [:]
        var collected: [String: CollectedSeries] = [:]
        var collectedPerName: [String: Int] = [:]
        var collectors: [@Sendable () -> [Sample]] = []
    }

    private let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let state = Mutex(State())

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets = [Self.latencyName: Self.latencyBucketsMicroseconds]
        self.factory = factory
    }

    // MARK: Recording

    /// One request of a transport: counted by route and status, timed by route.
    public func recordRequest(route: String, status: Int, latencyMicroseconds: Double) {
        let (counter, recorder) = state.withLock { state in
            (requestCounter(route: route, status: status, in: &state), latencyRecorder(route: route, in: &state))
        }
        counter.increment()
        recorder.record(latencyMicroseconds)
    }

    private func requestCounter(route: String, status: Int, in state: inout State) -> CoreMetrics.Counter {
        let key = RequestKey(route: route, status: status)
        if let known = state.requests[key] { return known }
        let overflow = RequestKey(route: "", status: 0)
        if state.requests.count >= Self.seriesPerMetricMax, let folded = state.requests[overflow] { return folded }
        let full = state.requests.count >= Self.seriesPerMetricMax - 1
        let counter = CoreMetrics.Counter(
            label: Self.requestsName,
            dimensions: full ? Self.overflowLabels : [("route", route), ("status", String(status))], factory: factory)
        state.requests[full ? overflow : key] = counter
        return counter
    }

    private func latencyRecorder(route: String, in state: inout State) -> CoreMetrics.Recorder {
        if let known = state.latencies[route] { return known }
        let overflow = ""
        if state.latencies.count >= Self.seriesPerMetricMax, let folded = state.latencies[overflow] { return folded }
        let full = state.latencies.count >= Self.seriesPerMetricMax - 1
        let recorder = CoreMetrics.Recorder(
            label: Self.latencyName, dimensions: full ? Self.overflowLabels : [("route", route)], aggregate: true,
            factory: factory)
        state.latencies[full ? overflow : route] = recorder
        return recorder
    }

    /// Registers a source of samples read at each render (gauges of engines, the writer, sessions).
    public func addCollector(_ collector: @escaping @Sendable () -> [Sample]) {
        state.withLock { $0.collectors.append(collector) }
    }

    // MARK: Rendering

    /// The Prometheus text exposition format (version 0.0.4), as swift-prometheus writes it,
    /// after the collectors' samples have been read into their series.
    public func renderPrometheus() -> String {
        let collectors = state.withLock { $0.collectors }
        let samples = collectors.flatMap { $0() }
        state.withLock { state in
            for sample in samples { collect(sample, into: &state) }
        }
        return registry.emitToString()
    }

    private func collect(_ sample: Sample, into state: inout State) {
        let key = sample.name + Self.labelKey(sample.labels)
        var series: CollectedSeries
        if let known = state.collected[key] {
            series = known
        } else {
            guard state.collectedPerName[sample.name, default: 0] < Self.seriesPerMetricMax else { return }
            state.collectedPerName[sample.name, default: 0] += 1
            series = CollectedSeries()
            if sample.type == "counter" {
                series.counter = CoreMetrics.Counter(label: sample.name, dimensions: sample.labels, factory: factory)
                series.fractionalCounter = CoreMetrics.FloatingPointCounter(
                    label: sample.name, dimensions: sample.labels, factory: factory)
            } else {
                series.gauge = CoreMetrics.Gauge(label: sample.name, dimensions: sample.labels, factory: factory)
            }
        }
        if let gauge = series.gauge {
            gauge.record(sample.value)
        } else if sample.value > series.counted {
            // A total only grows; the increment since the last scrape is counted, as an integer
            // while it is one (the series then renders as an integer).
            let increment = sample.value - series.counted
            if increment == increment.rounded(), increment < 1e15 {
                series.counter?.increment(by: Int64(increment))
            } else {
                series.fractionalCounter?.increment(by: increment)
            }
            series.counted = sample.value
        }
        state.collected[key] = series
    }

    static func labelKey(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",") + "}"
    }
}
