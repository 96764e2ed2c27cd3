import CertCore
import Foundation
import Testing

/// `certsim score --certification-version` and `certsim versions check` as a developer runs
/// them, from a directory other than the repository's (the default version is built in).
@Suite struct VersionsCLITests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    @Test(.enabled(if: CLIProcess.binary != nil, "needs the certsim binary (swift build)"))
    func scoreUnderAVersionAndCheckFiles() throws {
        let binary = try #require(CLIProcess.binary)
        let root = NSTemporaryDirectory() + "certsim-versions-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let bank = Self.repository + "/Scenarios/banks/crcn-synthetic-1.json"
        let input = root + "/empty.json"
        // No answers, starting at θ = −3: 2023 bounds give floor(64·(1 − 1.6/6.6)) = 48, core-v3's
        // floor(64·(1 − 1.6/3.27)) = 32 (DESIGN §3.5).
        try #"{"answers": [], "abortReason": null}"#.write(toFile: input, atomically: true, encoding: .utf8)
        func score(_ extra: [String]) throws -> [String: Any] {
            let run = try CLIProcess.run(binary, ["score", "--bank", bank, input] + extra)
            #expect(run.status == 0, "\(run.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        }
        let current = try score([])
        #expect(current["pixScore"] as? Int == 32 && current["version"] as? String == "core-v3")
        #expect(current["level"] as? String == "LEVEL_PRE_BEGINNER" && current["status"] as? String == "validated")
        let earlier = try score(["--certification-version", Self.repository + "/Scenarios/versions/core-v3-2023.json"])
        #expect(earlier["pixScore"] as? Int == 48 && earlier["version"] as? String == "core-v3-2023")

        let check = try CLIProcess.run(binary, ["versions", "check", Self.repository + "/Scenarios/versions/core-v3.json"])
        #expect(check.status == 0)
        #expect(check.stdout.contains("version core-v3: framework CORE"))
        #expect(check.stdout.contains("0 LEVEL_PRE_BEGINNER [-4.67, -1.4)"))

        let broken = root + "/broken.json"
        var text = try String(contentsOfFile: Self.repository + "/Scenarios/versions/core-v3.json", encoding: .utf8)
        text = text.replacingOccurrences(of: "\"max\": -1.4,", with: "\"max\": -1.5,")
        try text.write(toFile: broken, atomically: true, encoding: .utf8)
        for (arguments, code) in [
            (["versions", "check", broken], "VERSION_BAD_VALUE"),
            (["versions", "check", root + "/missing.json"], "VERSION_NOT_FOUND"),
            (["score", "--bank", bank, input, "--certification-version", broken], "VERSION_BAD_VALUE"),
        ] {
            let refused = try CLIProcess.run(binary, arguments)
            #expect(refused.status == 1, "\(arguments)")
            #expect(refused.stderr.hasPrefix("error: \(code): "), "\(arguments): \(refused.stderr)")
        }
        let refused = try CLIProcess.run(binary, ["versions", "check", broken])
        #expect(refused.stderr.contains("globalScoring.intervals[1].min"))
    }
}
