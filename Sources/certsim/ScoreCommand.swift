import ArgumentParser
import CertCore
import Foundation

/// `certsim score`: re-scores one recorded test without a daemon, for developers chasing a
/// regression. Prints one sorted-keys JSON object.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Re-score one recorded answer sequence (no daemon needed).",
        discussion: """
            INPUT is a JSON file, or - for standard input:
              {"answers":[{"challengeId":"c0001","result":"ok"}], "abortReason":null,
               "validatedAlertChallengeIds":[], "algorithm":{...}, "estimator":"flash"}
            """
    )

    @Option(name: .long, help: "Item bank file (default: the built-in crcn-synthetic-1, the shipped Scenarios/banks/crcn-synthetic-1.json).")
    var bank: String?

    @Option(name: .long, help: "Certification version file (default: the built-in core-v3).")
    var certificationVersion: String?

    @Argument(help: "Recorded test (JSON), or - for standard input.")
    var input: String

    func run() throws {
        do {
            let itemBank = try BankLoading.load(path: bank)
            let version = try certificationVersion.map { path throws(CertError) in try CertificationVersion.load(path: path) }
                ?? BuiltInVersions.coreV3
            try version.check(bank: itemBank)
            let data = try readInput()
            let request: ScoreRequest
            do {
                request = try ScoreRequest.parse(data, bank: itemBank, version: version)
            } catch {
                throw CommandFailure(error.code, error.message)
            }
            let result: CertificationResult
            do {
                result = try request.score(bank: itemBank)
            } catch {
                throw CommandFailure(error.code, error.message)
            }
            FileHandleOutput.standardOutput(result.jsonData() + Data("\n".utf8))
        } catch let failure as CommandFailure {
            failure.exit()
        }
    }

    private func readInput() throws -> Data {
        if input == "-" {
            return FileHandle.standardInput.readDataToEndOfFile()
        }
        guard let data = FileManager.default.contents(atPath: input) else {
            throw CommandFailure(.scoreInputUnreadable, "cannot read input file \(input)")
        }
        return data
    }
}

/// Bank loading with the CLI's error shape: no `--bank` is the bank built into the binary; a
/// named file that is not there is BANK_NOT_FOUND, naming the places tried.
enum BankLoading {
    static func load(path: String?) throws -> ItemBank {
        guard let path else { return DefaultBank.bank }
        let tried = URL(fileURLWithPath: path).standardizedFileURL.path
        if !FileManager.default.fileExists(atPath: path) {
            throw CommandFailure(
                .bankNotFound,
                "bank file \(path) does not exist (tried \(tried)); without --bank the built-in "
                    + "\(DefaultBank.fileName) is used")
        }
        do {
            return try ItemBank.load(path: path)
        } catch {
            throw CommandFailure(error.code, "\(path): \(error.message)")
        }
    }
}
