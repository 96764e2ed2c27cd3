import CertCore
import Foundation
import Testing
import CertLoad

/// Every shipped regression scenario replays its pinned digest: a change to selection,
/// estimation, scoring, the bank or the simulation that moves any candidate's result fails here,
/// naming the scenario.
@Suite(.serialized, .timeLimit(.minutes(5))) struct RunRegressionTests {
    static let regressionDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scenarios").appendingPathComponent("regression")

    static func scenarioPaths() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: regressionDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json") }.sorted()
            .map { regressionDirectory.appendingPathComponent($0).path }
    }

    @Test func regressionScenariosExist() {
        #expect(!Self.scenarioPaths().isEmpty)
    }

    @Test(arguments: scenarioPaths())
    func aRegressionScenarioReplaysItsDigest(path: String) async throws {
        let name = (path as NSString).lastPathComponent
        let scenario = try Scenario.load(path: path)
        guard let pinned = scenario.thresholds.digest else {
            Issue.record("\(name): no digest pinned in its thresholds")
            return
        }
        var options = RunOptions()
        options.progress = .off
        let outcome = try await ScenarioRunner.run(scenario: scenario, options: options)
        let digest = outcome.digest
        // With a baseline named, the runner's sentence also says what moved and how to compare.
        let explained = outcome.failures.first { $0.hasPrefix("digest") }
        #expect(digest == pinned, "\(name): \(explained ?? "the digest moved from \(pinned) to \(digest); the per-candidate results changed")")
        let otherFailures = outcome.failures.filter { !$0.hasPrefix("digest") }
        #expect(otherFailures.isEmpty, "\(name): \(otherFailures.joined(separator: "; "))")
    }
}
