import ArgumentParser
import CertLoad
import Foundation

/// `certsim run SCENARIO`: the main job. Plays a scenario's certification day through an embedded
/// daemon (or an external `certsim serve` with `--daemon`), prints a summary on stdout, writes the
/// run's files with `--out DIR`, and exits non-zero naming every broken threshold.
///
/// Owned by the runner (the verb only parses arguments and calls `ScenarioRunner`).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario: simulated candidates and proctors through a daemon, with a summary and a digest.",
        discussion: """
            Without --daemon the daemon is embedded in this process (a temporary store unless --db). \
            Flags override the scenario's own settings.

            Exit status: 0 when every threshold holds, 1 when one breaks (each is named on stderr), \
            2 when the run cannot be carried out.

            --find-capacity (or `mode: capacity` in the scenario) searches the daemon's capacity instead: \
            steps of rising concurrency (the scenario's `capacity` block: start_concurrency, growth, \
            max_concurrency, step_candidates or step_seconds, slo) until a step breaks the objective; it \
            prints the step table, the knee, the headroom over the scenario's peak and how many centres \
            one daemon holds, and exits 0 when a knee was found, 1 when the first step already broke.
            """
    )

    /// Exit status when a threshold broke.
    static let thresholdsBrokenExitCode: Int32 = 1
    /// Exit status when the run could not be carried out.
    static let runFailedExitCode: Int32 = 2

    @Argument(help: "The scenario file (YAML or JSON).")
    var scenario: String

    @Option(name: .long, help: ArgumentHelp("Write summary.json, candidates.csv, timeline.csv and report.html to DIR.", valueName: "dir"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("The embedded daemon's store (kept); with --daemon, that daemon's store, read for results.", valueName: "path"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp(
        "Drive an external certsim serve: unix:PATH or http://127.0.0.1:PORT. Repeat for daemons sharing one PostgreSQL store (sessions are spread over them).",
        valueName: "address"))
    var daemon: [String] = []

    @Option(name: .long, help: ArgumentHelp("The external daemon's control socket (with --daemon http://…); repeat in the order of --daemon.", valueName: "path"))
    var control: [String] = []

    @Option(name: .long, help: ArgumentHelp("inproc or http (overrides the scenario).", valueName: "transport"))
    var transport: String?

    @Option(name: .long, help: ArgumentHelp("Most candidates in flight with time scale 0 (overrides the scenario).", valueName: "n"))
    var concurrency: Int?

    @Option(name: .customLong("time-scale"), help: ArgumentHelp("0 = as fast as possible; k = k simulated seconds per real second.", valueName: "k"))
    var timeScale: Double?

    @Option(name: .long, help: ArgumentHelp("Seed of every draw (overrides the scenario).", valueName: "n"))
    var seed: UInt64?

    @Option(name: .long, help: ArgumentHelp("Certification version file (overrides the scenario's `version`).", valueName: "file"))
    var certificationVersion: String?

    @Flag(name: .long, help: "No progress line on stderr.")
    var quiet = false

    @Flag(name: .customLong("find-capacity"), help: "Search the daemon's capacity (steps of rising concurrency) instead of playing the day once.")
    var findCapacity = false

    func run() async throws {
        let outcome: RunOutcome
        do {
            let loaded: Scenario
            do {
                loaded = try Scenario.load(path: scenario)
            } catch {
                throw CommandFailure(error.code, error.message)
            }
            var options = RunOptions()
            options.outDirectory = out
            options.databasePath = db
            options.controlSocketPath = control.first
            options.concurrency = concurrency
            options.timeScale = timeScale
            options.seed = seed
            options.versionPath = certificationVersion
            options.progress = quiet ? .off : .automatic
            do throws(RunError) {
                if let first = daemon.first { options.daemon = try DaemonAddress.parse(first) }
                if daemon.count > 1 {
                    guard control.count == daemon.count else {
                        throw RunError(.runBadOption, "--control: give one --control per --daemon, in the same order (\(daemon.count) daemons, \(control.count) control sockets)")
                    }
                    for (address, socket) in zip(daemon.dropFirst(), control.dropFirst()) {
                        options.otherDaemons.append(ExternalDaemon(address: try DaemonAddress.parse(address), controlSocketPath: socket))
                    }
                }
                if let transport {
                    guard let parsed = Scenario.Transport(rawValue: transport) else {
                        throw RunError(.runBadOption, "--transport: expected inproc or http, got \(transport)")
                    }
                    options.transport = parsed
                }
                if findCapacity || loaded.mode == .capacity {
                    let quiet = self.quiet
                    let search = try await CapacitySearch.run(scenario: loaded, options: options, report: { line in
                        if !quiet { FileHandleOutput.standardError(line + "\n") }
                    })
                    Self.finish(search)
                    return
                }
                outcome = try await ScenarioRunner.run(scenario: loaded, options: options)
            } catch {
                throw CommandFailure(error.code, error.message)
            }
        } catch let failure as CommandFailure {
            FileHandleOutput.standardError("error: \(failure.description)\n")
            Certsim.exit(withError: ExitCode(Self.runFailedExitCode))
        }
        FileHandleOutput.standardOutput(SummaryText.render(outcome.summary))
        if !outcome.retries.isEmpty {
            let retried = outcome.retries.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            FileHandleOutput.standardOutput("retried: \(retried)\n")
        }
        if let directory = outcome.outDirectory {
            FileHandleOutput.standardOutput("files written to \(directory)\n")
        }
        if !outcome.passed {
            for failure in outcome.failures { FileHandleOutput.standardError("threshold broken: \(failure)\n") }
            Certsim.exit(withError: ExitCode(Self.thresholdsBrokenExitCode))
        }
    }

    /// Prints a capacity search's table and knee; exits 1 when no knee was found.
    static func finish(_ search: CapacitySearchOutcome) {
        FileHandleOutput.standardOutput(CapacityText.render(search.summary))
        if let directory = search.outDirectory {
            FileHandleOutput.standardOutput("files written to \(directory)\n")
        }
        if !search.found {
            for failure in search.failures { FileHandleOutput.standardError("threshold broken: \(failure)\n") }
            Certsim.exit(withError: ExitCode(thresholdsBrokenExitCode))
        }
    }
}
