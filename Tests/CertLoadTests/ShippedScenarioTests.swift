import Foundation
import Testing
@testable import CertLoad
import CertTestSupport

/// Every scenario the project ships parses with the strict parser, and its bank file (and baseline,
/// when it names one) exists.
@Suite struct ShippedScenarioTests {
    static let scenariosDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scenarios")

    static var shippedFiles: [String] {
        // Every scenario file shipped at the top level, so a new one is checked without a list to keep.
        let top = ((try? FileManager.default.contentsOfDirectory(atPath: scenariosDirectory.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }.sorted()
        let regression = (try? FileManager.default.contentsOfDirectory(
            atPath: scenariosDirectory.appendingPathComponent("regression").path)) ?? []
        return top + regression.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }.sorted().map { "regression/\($0)" }
    }

    @Test func mainScenariosAreShipped() {
        #expect(Set(["smoke.yaml", "academy-day.yaml", "academy-year.yaml", "capacity.yaml"]).isSubset(of: Set(Self.shippedFiles)))
    }

    @Test func regressionScenariosAreShipped() {
        #expect(Self.shippedFiles.filter { $0.hasPrefix("regression/") }.count >= 3)
    }

    @Test(arguments: shippedFiles)
    func shippedScenarioParses(file: String) throws {
        let path = Self.scenariosDirectory.appendingPathComponent(file).path
        let scenario = try Scenario.load(path: path)
        #expect(!scenario.name.isEmpty)
        if case .file(let bank) = scenario.bank {
            #expect(FileManager.default.fileExists(atPath: bank), "bank \(bank) of \(file)")
        }
        if let baseline = scenario.thresholds.baseline {
            #expect(FileManager.default.fileExists(atPath: baseline), "baseline \(baseline) of \(file)")
        }
    }

    @Test func academyScenariosHaveTheirStatedSize() throws {
        let day = try Scenario.load(path: Self.scenariosDirectory.appendingPathComponent("academy-day.yaml").path)
        #expect(day.day.sessionsPerWave * day.day.waves == 480)
        let year = try Scenario.load(path: Self.scenariosDirectory.appendingPathComponent("academy-year.yaml").path)
        #expect(year.day.candidates == 150_000 && year.timeScale == 0)
        var random = SplitMix64(seed: 7)
        let sessions = year.day.plan(using: &random)
        #expect(sessions.reduce(0) { $0 + $1.candidates } == 150_000)
        let smoke = try Scenario.load(path: Self.scenariosDirectory.appendingPathComponent("smoke.yaml").path)
        #expect((60...100).contains(smoke.day.plannedCandidatesMax))
    }
}
