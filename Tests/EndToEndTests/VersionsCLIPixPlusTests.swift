import Foundation
import Testing

/// The Pix+ data as a developer meets it on the command line, from a directory other than the
/// repository's: `versions check` and `versions list` read CléA files, `score` refuses a CléA
/// version with a clear code, and `bank generate --framework` writes the shipped banks.
@Suite struct VersionsCLIPixPlusTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    @Test(.enabled(if: CLIProcess.binary != nil, "needs the certsim binary (swift build)"))
    func versionsCheckAndListReadCleaFiles() throws {
        let binary = try #require(CLIProcess.binary)
        let clea = Self.repository + "/Scenarios/versions/clea-v3.json"
        let check = try CLIProcess.run(binary, ["versions", "check", clea, Self.repository + "/Scenarios/versions/edu-cpe-v3.json"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("version clea-v3: framework CLEA, active"))
        #expect(check.stdout.contains("at least 70"))
        #expect(check.stdout.contains("version edu-cpe-v3: framework EDU_CPE"))
        #expect(check.stdout.contains("0 LEVEL_ADMISSIBLE [1, 8)"))

        // With a bank: the CléA file has no test to check against it; the Édu one is checked.
        let eduBank = Self.repository + "/Scenarios/banks/crcn-edu-synthetic-1.json"
        let withBank = try CLIProcess.run(binary, ["versions", "check", "--bank", eduBank, clea,
                                                   Self.repository + "/Scenarios/versions/edu-1er-degre-v3.json"])
        #expect(withBank.status == 0, "\(withBank.stderr)")
        let mismatch = try CLIProcess.run(binary, ["versions", "check", "--bank", eduBank,
                                                   Self.repository + "/Scenarios/versions/droit-v3.json"])
        #expect(mismatch.status == 1 && mismatch.stderr.hasPrefix("error: VERSION_BANK_MISMATCH: "), "\(mismatch.stderr)")

        let list = try CLIProcess.run(binary, ["versions", "list"])
        #expect(list.status == 0)
        for id in ["clea-v3", "core-v3", "core-v3-2023", "droit-v3", "edu-1er-degre-v3", "edu-2nd-degre-v3",
                   "edu-cpe-v3", "pro-sante-v3"] {
            #expect(list.stdout.contains("version \(id): framework"), "\(id)")
        }

        let root = NSTemporaryDirectory() + "certsim-pixplus-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let broken = root + "/clea-broken.json"
        try #"{"id": "clea-x", "framework": "CLEA", "coreVersion": "core-v3", "minimumEarnedPix": -5}"#
            .write(toFile: broken, atomically: true, encoding: .utf8)
        let unknownKey = root + "/clea-unknown.json"
        try #"{"id": "clea-x", "framework": "CLEA", "coreVersion": "core-v3", "minimumEarnedPix": 70, "bounds": 1}"#
            .write(toFile: unknownKey, atomically: true, encoding: .utf8)
        let input = root + "/empty.json"
        try #"{"answers": [], "abortReason": null}"#.write(toFile: input, atomically: true, encoding: .utf8)
        let crcnBank = Self.repository + "/Scenarios/banks/crcn-synthetic-1.json"
        for (arguments, code, names) in [
            (["versions", "check", broken], "VERSION_BAD_VALUE", "minimumEarnedPix"),
            (["versions", "check", unknownKey], "VERSION_UNKNOWN_KEY", "bounds"),
            (["score", "--bank", crcnBank, input, "--certification-version", clea], "VERSION_BAD_VALUE", "runs no test"),
        ] {
            let refused = try CLIProcess.run(binary, arguments)
            #expect(refused.status == 1, "\(arguments)")
            #expect(refused.stderr.hasPrefix("error: \(code): "), "\(arguments): \(refused.stderr)")
            #expect(refused.stderr.contains(names), "\(arguments): \(refused.stderr)")
        }
    }

    @Test(.enabled(if: CLIProcess.binary != nil, "needs the certsim binary (swift build)"))
    func bankGenerateWritesTheShippedBanksAndRefusesAnUnknownFramework() throws {
        let binary = try #require(CLIProcess.binary)
        let root = NSTemporaryDirectory() + "certsim-bank-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (framework, file) in [("droit", "droit-synthetic-1.json"), ("crcn-edu", "crcn-edu-synthetic-1.json")] {
            let out = root + "/" + file
            let run = try CLIProcess.run(binary, ["bank", "generate", "--framework", framework, "--seed", "1",
                                                  "--challenges", "1200", "--out", out])
            #expect(run.status == 0, "\(run.stderr)")
            let written = try Data(contentsOf: URL(fileURLWithPath: out))
            let shipped = try Data(contentsOf: URL(fileURLWithPath: Self.repository + "/Scenarios/banks/" + file))
            #expect(written == shipped, "\(file)")
        }
        let unknown = try CLIProcess.run(binary, ["bank", "generate", "--framework", "crcn-pro", "--out", root + "/x.json"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("error: BANK_UNKNOWN_FRAMEWORK: "), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("crcn-pro") && unknown.stderr.contains("pro-sante"))
        #expect(!FileManager.default.fileExists(atPath: root + "/x.json"))
        // Fewer challenges than the framework has competences.
        let small = try CLIProcess.run(binary, ["bank", "generate", "--framework", "crcn-edu", "--challenges", "16"])
        #expect(small.status == 1 && small.stderr.hasPrefix("error: BANK_BAD_SIZE: "), "\(small.stderr)")
    }
}
