import ArgumentParser
import CertCore
import Foundation

/// `certsim versions check FILE…`: decodes and validates certification version files (DESIGN
/// §3.7), CléA ones included, and prints a summary of each; `certsim versions list` prints the
/// built-in ones.
struct VersionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "versions",
        abstract: "Check certification version files.",
        subcommands: [Check.self, List.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate certification version files and print what each sets.",
            discussion: "Exits non-zero at the first file refused, with its error code and the key at fault.")

        @Argument(help: "Certification version files (JSON).")
        var files: [String]

        @Option(name: .long, help: "Also check each version that runs a test against this item bank (framework, competences).")
        var bank: String?

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("give at least one version file") }
        }

        func run() throws {
            do {
                let itemBank = try bank.map { try BankLoading.load(path: $0) }
                for file in files {
                    let version = try VersionDocument.load(path: file)
                    if let itemBank, case .test(let testVersion) = version { try testVersion.check(bank: itemBank) }
                    FileHandleOutput.standardOutput("\(file): ok\n" + version.summaryText)
                }
            } catch let failure as CommandFailure {
                failure.exit()
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the versions built into this binary.")

        func run() throws {
            for id in BuiltInVersions.documents.keys.sorted() {
                guard let version = BuiltInVersions.documents[id] else { continue }
                FileHandleOutput.standardOutput(version.summaryText)
            }
        }
    }
}
