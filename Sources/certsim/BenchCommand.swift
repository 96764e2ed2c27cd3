import ArgumentParser
import CertCore
import CertLoad
import Foundation

/// `certsim bench`: the engine's own speed, for ratios against peers and against the limit a
/// run's CPU per answer is compared with.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine's own speed (no store, no daemon, no runner).",
        subcommands: [BenchEngineCommand.self]
    )
}

/// `certsim bench engine`: the engine step loop in process — record an answer, pick the next
/// challenge — on a seeded test of the bank, timed in CPU time of one thread. Prints ns per
/// step at questions 1, 16 and 31 and over whole tests (the figure `certsim run` measures at
/// its start), or one JSON object with `--json`.
struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "The engine step (estimate + selection) in process: ns per step at questions 1, 16, 31 and per answer.",
        discussion: """
            Each figure is the median of --rounds rounds; a round times --examinees whole tests \
            (every question's pick and answer) and --examinees steps at each of questions 1, 16 and 31 \
            (the answer to q and the pick of q + 1). The default engine settings and the flash \
            estimator unless --estimator. Allocations are not counted here: the Benchmarks package's \
            EngineBenchmarks counts them (swift package benchmark, from Benchmarks/).
            """
    )

    /// Examinees a round may time, and rounds a bench may take.
    static let examineesMax = EngineSpeed.testsMax
    static let roundsMax = EngineSpeed.roundsMax

    @Option(name: .long, help: "Item bank file (default: the built-in crcn-synthetic-1).")
    var bank: String?

    @Option(name: .long, help: ArgumentHelp("Whole tests (and steps per question) timed in each round.", valueName: "n"))
    var examinees = 2_000

    @Option(name: .long, help: ArgumentHelp("Rounds; each figure is their median.", valueName: "n"))
    var rounds = 5

    @Option(name: .long, help: ArgumentHelp("flash or eap.", valueName: "name"))
    var estimator = EstimatorKind.flash.rawValue

    @Flag(name: .long, help: "One JSON object on stdout instead of the text lines.")
    var json = false

    func run() throws {
        do {
            guard (1...Self.examineesMax).contains(examinees) else {
                throw CommandFailure(.benchBadOption, "--examinees must be between 1 and \(Self.examineesMax), got \(examinees)")
            }
            guard (1...Self.roundsMax).contains(rounds) else {
                throw CommandFailure(.benchBadOption, "--rounds must be between 1 and \(Self.roundsMax), got \(rounds)")
            }
            guard let kind = EstimatorKind(rawValue: estimator) else {
                throw CommandFailure(.benchBadOption, "--estimator: expected flash or eap, got \(estimator)")
            }
            let itemBank = try BankLoading.load(path: bank)
            var configuration = AlgorithmConfiguration.default
            configuration.estimator = kind
            let speed: EngineSpeed
            do throws(SelectionError) {
                speed = try EngineSpeed.measure(bank: itemBank, configuration: configuration, wholeTests: examinees,
                                                testsPerQuestion: examinees, rounds: rounds)
            } catch {
                throw CommandFailure(error.code, "the bank cannot serve the bench's test: \(error.message)")
            }
            if json {
                let data: Data
                do {
                    data = try Self.json(speed)
                } catch {
                    throw CommandFailure(.internalError, "the bench's figures cannot be written as JSON: \(error)")
                }
                FileHandleOutput.standardOutput(data)
            } else {
                FileHandleOutput.standardOutput(Self.text(speed, bankPath: bank ?? "built-in \(DefaultBank.fileName)", rounds: rounds))
            }
        } catch let failure as CommandFailure {
            failure.exit()
        }
    }

    static func text(_ speed: EngineSpeed, bankPath: String, rounds: Int) -> String {
        var lines = ["engine step (record + next), \((bankPath as NSString).lastPathComponent) (\(speed.bankChallenges) challenges), \(speed.estimator), CPU time of one thread, median of \(rounds) rounds"]
        for question in EngineStepLoop.questions {
            guard let ns = speed.stepNanosecondsByQuestion["q\(question)"] else { continue }
            lines.append(String(format: "  q%-3d %8.0f ns per step", question, ns))
        }
        lines.append(String(format: "  whole test, per answer %8.0f ns per step (%d steps timed)", speed.stepNanoseconds, speed.steps))
        lines.append(String(format: "  examinees of %d answers per CPU-second: %.0f", Self.testLength,
                            speed.examineesPerCPUSecond(length: Self.testLength)))
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ speed: EngineSpeed) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(speed) + Data("\n".utf8)
    }

    /// The default maximum assessment length, for the examinees-per-second line.
    static let testLength = AlgorithmConfiguration.default.maximumAssessmentLength
}
