import ArgumentParser
import CertLoad
import Foundation

/// `certsim compare RUN_A RUN_B`: what moved between two runs of the same scenario, candidate by
/// candidate, after a change of certification version or bank.
///
/// Owned by CertLoad's comparison half (the verb only parses arguments and calls `RunComparison`).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two runs of the same scenario candidate by candidate: what moved, and by how much.",
        discussion: """
            RUN_A and RUN_B are each a run folder (the --out DIR of certsim run) or a bare candidates.csv \
            (a committed baseline). Candidates are joined on their key: the same scenario and seed give the \
            same candidates. Consistency figures come from summary.json, or are recomputed from \
            candidates.csv when there is none.

            Prints the counts, the status changes, the mesh-level confusion matrix, mean and max |Δscore| \
            and |Δθ̂|, the biggest movers and both runs' consistency figures and digests. With --html FILE \
            it also writes them as one self-contained page with a Δscore histogram and a heat map of the \
            confusion matrix (e.g. --html out/compare.html); without it nothing is written, so comparing \
            never touches a run folder or a baseline.

            Exit status: 0 after a comparison (changes or not); 3 with --fail-on-change when anything \
            changed (a result of a candidate in both runs, or a candidate in one run only); 1 when the \
            runs cannot be compared (error: CODE: message on stderr).
            """
    )

    /// Exit status with --fail-on-change when the runs differ.
    static let changedExitCode: Int32 = 3

    @Argument(help: ArgumentHelp("The first run (before): a run folder or a candidates.csv.", valueName: "run-a"))
    var runA: String

    @Argument(help: ArgumentHelp("The second run (after): a run folder or a candidates.csv.", valueName: "run-b"))
    var runB: String

    @Option(name: .long, help: ArgumentHelp("Movers listed (0 to \(RunComparison.topMax)).", valueName: "n"))
    var top: Int = RunComparison.topDefault

    @Option(name: .long, help: ArgumentHelp("Also write the comparison as a self-contained HTML page to FILE.", valueName: "file"))
    var html: String?

    @Flag(name: .customLong("fail-on-change"), help: "Exit \(CompareCommand.changedExitCode) when anything changed.")
    var failOnChange = false

    func run() throws {
        let comparison: RunComparison
        do {
            guard (0...RunComparison.topMax).contains(top) else {
                throw CommandFailure(.compareBadOption, "--top must be in 0...\(RunComparison.topMax), got \(top)")
            }
            comparison = try RunComparison(try ComparedRun.load(path: runA), try ComparedRun.load(path: runB), top: top)
            if let html {
                do {
                    try Data(CompareReport.render(comparison).utf8).write(to: URL(fileURLWithPath: html))
                } catch {
                    throw CommandFailure(.compareWriteFailed, "cannot write '\(html)': \(error.localizedDescription)")
                }
            }
        } catch let failure as CommandFailure {
            failure.exit()
        }
        FileHandleOutput.standardOutput(CompareText.render(comparison))
        if let html { FileHandleOutput.standardOutput("comparison written to \(html)\n") }
        if failOnChange && comparison.hasChanges {
            Certsim.exit(withError: ExitCode(Self.changedExitCode))
        }
    }
}
