import CertCore
import CertLoad
import Foundation
import Testing

/// `certsim compare` as a developer runs it: the exit statuses (0, 3 with --fail-on-change, 1 with
/// `error: CODE: message`), and the page written only when asked.
@Suite struct CompareCLITests {
    static func rows(scores: [Int], keyPrefix: String = "c") -> [CandidateRow] {
        scores.enumerated().map { index, score in
            CandidateRow(candidateKey: "\(keyPrefix)\(index)", personKey: "p\(index)", sessionIndex: 0, centre: 0, wave: 0,
                         needsAccessibility: false, trueTheta: 0, status: "validated", answers: 32, estimatedTheta: 0,
                         errorRate: 0.3, score: score, meshLevel: score / 128, meshLevelFromTrueTheta: 2)
        }
    }

    @Test(.enabled(if: CLIProcess.binary != nil, "needs the certsim binary (swift build)"))
    func exitStatusesAndRefusals() throws {
        let binary = try #require(CLIProcess.binary)
        let root = NSTemporaryDirectory() + "certsim-compare-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        func write(_ rows: [CandidateRow], _ name: String) throws -> String {
            let path = root + "/" + name
            try CandidateRow.csv(rows).write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let a = try write(Self.rows(scores: [100, 300, 500]), "a.csv")
        let b = try write(Self.rows(scores: [100, 310, 500]), "b.csv")
        let other = try write(Self.rows(scores: [100], keyPrefix: "x"), "other.csv")
        let page = root + "/compare.html"

        let same = try CLIProcess.run(binary, ["compare", a, a, "--fail-on-change"])
        #expect(same.status == 0)
        #expect(same.stdout.hasSuffix("result: no change\n"))
        #expect(!FileManager.default.fileExists(atPath: page))

        let changed = try CLIProcess.run(binary, ["compare", a, b])
        #expect(changed.status == 0)
        #expect(changed.stdout.hasSuffix("result: 1 candidate changed\n"))

        let failing = try CLIProcess.run(binary, ["compare", a, b, "--fail-on-change", "--html", page])
        #expect(failing.status == 3)
        #expect(failing.stdout.contains("comparison written to \(page)\n"))
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)

        for (arguments, code) in [
            (["compare", a, root + "/missing"], "REPORT_MISSING_FILE"),
            (["compare", a, other], "COMPARE_NO_COMMON_CANDIDATES"),
            (["compare", a, b, "--top", "5000"], "COMPARE_BAD_OPTION"),
            (["compare", a, b, "--html", root + "/no-such-folder/compare.html"], "COMPARE_WRITE_FAILED"),
        ] {
            let refused = try CLIProcess.run(binary, arguments)
            #expect(refused.status == 1, "\(arguments)")
            #expect(refused.stderr.hasPrefix("error: \(code): "), "\(arguments): \(refused.stderr)")
            #expect(refused.stdout.isEmpty, "\(arguments)")
        }
    }
}
