import ArgumentParser
import CertCore
import Foundation

/// `certsim bank`: generate a synthetic calibrated bank, or check and summarise a bank file.
struct BankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bank",
        abstract: "Generate or check a calibrated item bank.",
        subcommands: [Generate.self, Check.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a synthetic bank on a competence framework, deterministic for a seed.")

        /// Largest bank the generator writes.
        static let challengesMax = 100_000

        @Option(help: "Number of challenges.")
        var challenges: Int = 1200

        @Option(help: "Seed; the same seed gives the same file.")
        var seed: UInt64 = 1

        @Option(help: "Competence framework: crcn, crcn-edu, droit or pro-sante (droit and pro-sante are made up).")
        var framework: String = CompetenceFramework.crcn.id

        @Option(help: "Output file (default: standard output).")
        var out: String?

        func run() throws {
            let chosen: CompetenceFramework
            do {
                chosen = try Framework.named(framework)
            } catch {
                CommandFailure(error.code, "--framework: \(error.message)").exit()
            }
            let minimum = chosen.competences.count
            guard (minimum...Self.challengesMax).contains(challenges) else {
                CommandFailure(.bankBadSize, "--challenges must be in \(minimum)...\(Self.challengesMax) for the \(chosen.id) framework, got \(challenges)").exit()
            }
            let data = BankGenerator.generate(challenges: challenges, seed: seed, framework: chosen).encoded()
                + Data("\n".utf8)
            if let out {
                do {
                    try data.write(to: URL(fileURLWithPath: out), options: .atomic)
                } catch {
                    CommandFailure(.bankUnwritable, "cannot write \(out): \(error.localizedDescription)").exit()
                }
            } else {
                FileHandleOutput.standardOutput(data)
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a bank file and print challenges per competence and level, and a/b ranges.")

        @Argument(help: "Bank file.")
        var file: String

        func run() throws {
            do {
                let bank = try BankLoading.load(path: file)
                FileHandleOutput.standardOutput(BankSummary(bank: bank).text + "\n")
            } catch let failure as CommandFailure {
                failure.exit()
            }
        }
    }
}
