import ArgumentParser
import CertLoad
import Foundation

/// `certsim report DIR [--out FILE]`: rebuilds a run's report.html from the summary.json,
/// candidates.csv and timeline.csv that `certsim run --out DIR` wrote, and prints the run's summary.
///
/// Owned by CertLoad's report half (the verb only parses arguments and calls `RunFiles`).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild a run's HTML report from its summary.json, candidates.csv and timeline.csv."
    )

    @Argument(help: "The run directory (the --out DIR of certsim run).")
    var directory: String

    @Option(name: .long, help: "Where to write the HTML (default: DIR/report.html).")
    var out: String?

    func run() throws {
        do {
            let files: RunFiles
            let path: String
            do {
                files = try RunFiles.read(from: directory)
                path = try RunFiles.rebuildReport(directory: directory, output: out)
            } catch {
                throw CommandFailure(error.code, error.message)
            }
            FileHandleOutput.standardOutput(SummaryText.render(files.summary))
            if !files.digestMatchesCandidates {
                FileHandleOutput.standardError("warning: the digest recomputed from candidates.csv differs from the one in summary.json\n")
            }
            FileHandleOutput.standardOutput("report written to \(path)\n")
        } catch let failure as CommandFailure {
            failure.exit()
        }
    }
}
