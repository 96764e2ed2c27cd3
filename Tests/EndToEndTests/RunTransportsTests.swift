import CertCore
import Foundation
import Testing
import CertLoad

/// `certsim run` end to end: the shipped smoke scenario through the embedded daemon in process and
/// through its real HTTP server and control socket must give the same per-candidate results.
@Suite(.serialized, .timeLimit(.minutes(5))) struct RunTransportsTests {
    static let scenariosDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scenarios")

    static func options(transport: Scenario.Transport, concurrency: Int? = nil) -> RunOptions {
        var options = RunOptions()
        options.progress = .off
        options.transport = transport
        options.concurrency = concurrency
        return options
    }

    @Test func smokeGivesTheSameDigestInProcessAndOverHTTP() async throws {
        let scenario = try Scenario.load(path: Self.scenariosDirectory.appendingPathComponent("smoke.yaml").path)
        let inproc = try await ScenarioRunner.run(scenario: scenario, options: Self.options(transport: .inproc))
        let http = try await ScenarioRunner.run(scenario: scenario, options: Self.options(transport: .http, concurrency: 7))
        #expect(inproc.summary.errors.isEmpty, "in process: \(inproc.summary.errors)")
        #expect(http.summary.errors.isEmpty, "over HTTP: \(http.summary.errors)")
        #expect(inproc.summary.transport == "inproc")
        #expect(http.summary.transport == "http")
        #expect(inproc.candidates.count == 80)
        #expect(inproc.digest == http.digest)
        #expect(inproc.candidates.map(\.digestRecord.canonicalLine) == http.candidates.map(\.digestRecord.canonicalLine))
        // Over HTTP every proctor action went through the control socket.
        #expect((http.summary.latency[LatencyOperation.control]?.count ?? 0) >= 80)
    }
}
