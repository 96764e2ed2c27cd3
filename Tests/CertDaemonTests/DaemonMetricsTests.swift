import CertTestSupport
import Synchronization
import Testing
@testable import CertDaemon

/// `/metrics` through swift-metrics and swift-prometheus: the series' names and values, one
/// registry per daemon, bounded label sets.
@Suite("Daemon metrics")
struct DaemonMetricsTests {
    @Test func requestsAndCollectedSamplesRenderAsPrometheusText() throws {
        let metrics = DaemonMetrics()
        metrics.recordRequest(route: "GET /healthz", status: 200, latencyMicroseconds: 80)
        metrics.recordRequest(route: "GET /healthz", status: 200, latencyMicroseconds: 3_000)
        metrics.recordRequest(route: "GET /healthz", status: 503, latencyMicroseconds: 20)
        let total = Mutex(7.0)
        metrics.addCollector {
            [
                .init(name: "certsim_answers_total", help: "Answers.", type: "counter", value: total.withLock { $0 }),
                .init(name: "certsim_engine_busy_seconds_total", help: "Busy.", type: "counter",
                      labels: [("engine", "0")], value: 0.25),
                .init(name: "certsim_writer_healthy", help: "Healthy.", value: 1),
            ]
        }
        let first = metrics.renderPrometheus()
        let samples = try #require(PrometheusText.samples(in: first), "every line is a comment or a sample")
        #expect(!samples.isEmpty)
        #expect(PrometheusText.value(of: "certsim_requests_total{route=\"GET /healthz\",status=\"200\"}", in: first) == 2)
        #expect(PrometheusText.value(of: "certsim_requests_total{route=\"GET /healthz\",status=\"503\"}", in: first) == 1)
        // Histogram buckets are cumulative: 20 and 80 µs are at or below 100, 3,000 µs is not.
        #expect(PrometheusText.value(of: "certsim_request_latency_microseconds_bucket{route=\"GET /healthz\",le=\"100.0\"}", in: first) == 2)
        #expect(PrometheusText.value(of: "certsim_request_latency_microseconds_bucket{route=\"GET /healthz\",le=\"+Inf\"}", in: first) == 3)
        #expect(PrometheusText.value(of: "certsim_request_latency_microseconds_count{route=\"GET /healthz\"}", in: first) == 3)
        #expect(PrometheusText.value(of: "certsim_request_latency_microseconds_sum{route=\"GET /healthz\"}", in: first) == 3_100)
        #expect(PrometheusText.value(of: "certsim_answers_total", in: first) == 7)
        #expect(PrometheusText.value(of: "certsim_engine_busy_seconds_total{engine=\"0\"}", in: first) == 0.25)
        #expect(PrometheusText.value(of: "certsim_writer_healthy", in: first) == 1)
        #expect(first.contains("# TYPE certsim_answers_total counter"))
        #expect(first.contains("# TYPE certsim_writer_healthy gauge"))
        #expect(first.contains("# TYPE certsim_request_latency_microseconds histogram"))

        // A component's total is counted once: a second scrape shows the new total, not the sum.
        total.withLock { $0 = 12 }
        let second = metrics.renderPrometheus()
        #expect(PrometheusText.value(of: "certsim_answers_total", in: second) == 12)
        #expect(PrometheusText.value(of: "certsim_engine_busy_seconds_total{engine=\"0\"}", in: second) == 0.25)
    }

    @Test func eachDaemonHasItsOwnRegistry() {
        let one = DaemonMetrics()
        let two = DaemonMetrics()
        one.recordRequest(route: "GET /healthz", status: 200, latencyMicroseconds: 10)
        let route = "certsim_requests_total{route=\"GET /healthz\",status=\"200\"}"
        #expect(PrometheusText.value(of: route, in: one.renderPrometheus()) == 1)
        #expect(PrometheusText.value(of: route, in: two.renderPrometheus()) == nil)
    }

    @Test func routesPastTheLimitFoldIntoOneOverflowSeries() throws {
        let metrics = DaemonMetrics()
        let routes = DaemonMetrics.seriesPerMetricMax + 40
        for index in 0..<routes {
            metrics.recordRequest(route: "GET /odd/\(index)", status: 404, latencyMicroseconds: 10)
        }
        let text = metrics.renderPrometheus()
        let samples = try #require(PrometheusText.samples(in: text))
        let counters = samples.filter { $0.series.hasPrefix("certsim_requests_total{") }
        #expect(counters.count == DaemonMetrics.seriesPerMetricMax)
        #expect(counters.reduce(0) { $0 + $1.value } == Double(routes))
        #expect(PrometheusText.value(of: "certsim_requests_total{overflow=\"other\"}", in: text) == 41)
    }
}
