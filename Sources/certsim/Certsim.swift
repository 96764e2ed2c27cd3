import ArgumentParser
import CertCore

/// The one binary: each verb is a subcommand in its own file (DESIGN §1).
@main
struct Certsim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certsim",
        abstract: "Adaptive certification daemon, scenario runner and scoring tools.",
        subcommands: [
            RunCommand.self, ServeCommand.self, CtlCommand.self, ScoreCommand.self, VersionsCommand.self, ReportCommand.self,
            CompareCommand.self,
            BankCommand.self, BenchCommand.self,
        ]
    )
}


/// A refusal the CLI prints as one `error: CODE: message` line on stderr, then exits non-zero:
/// the catalogue's error value, whichever module refused.
typealias CommandFailure = CertError

extension CommandFailure {
    static let exitCode: Int32 = 1

    /// Prints the one-line error and exits; ArgumentParser would otherwise add usage text.
    func exit() -> Never {
        FileHandleOutput.standardError("error: \(description)\n")
        Certsim.exit(withError: ExitCode(Self.exitCode))
    }
}
