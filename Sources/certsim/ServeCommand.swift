import ArgumentParser
import CertDaemon
import CertStore
import Foundation

/// `certsim serve`: the daemon — candidate API over HTTP, proctors' control socket, result
/// store — until SIGTERM/SIGINT or `certsim ctl shutdown`, then a graceful shutdown.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the certification daemon (candidate API, control socket, result store).",
        discussion: """
            Everything defaults to the data directory (./certsim-data): the store certsim.sqlite
            and the control socket certsim.sock (mode 0600). Restarting on the same store resumes
            every test in progress; candidates need a fresh authorisation to resume.
            """
    )

    @Option(name: .long, help: "Data directory for the default store and socket paths.")
    var dataDir: String = ServeSettings.defaultDataDirectory

    @Option(name: .long, help: "SQLite result store (default: DATA_DIR/certsim.sqlite).")
    var db: String?

    @Option(name: .long, help: "Control socket path (default: DATA_DIR/certsim.sock).")
    var socket: String?

    @Option(name: .long, help: "Control socket file mode, octal: 0600, or 0660 for a group of proctors.")
    var socketMode: String = "0600"

    @Option(name: .long, help: "Candidate API address, HOST:PORT (port 0 picks a free one).")
    var http: String = ServeSettings.defaultHTTPAddress

    @Option(name: .long, help: "Item bank file (default: the built-in crcn-synthetic-1, the shipped Scenarios/banks/crcn-synthetic-1.json).")
    var bank: String?

    @Option(name: .long, help: "Seed of every draw of the daemon (challenge picks, codes).")
    var seed: UInt64 = ServeSettings.defaultSeed

    @Option(name: .long, help: "Adaptive engines (default: one per processor).")
    var engines: Int?

    @Option(name: .long, help: "durable: acknowledge an answer once committed; relaxed: once queued.")
    var durability: String = Durability.durable.rawValue

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func run() async throws {
        do {
            try DaemonLogging.bootstrap(level: logLevel)
            guard let durabilityMode = Durability(rawValue: durability) else {
                throw CommandFailure(code: "INVALID_DURABILITY", message: "--durability must be durable or relaxed")
            }
            _ = try BankLoading.load(path: bank)  // the CLI's friendly message when it is missing
            var settings = ServeSettings(bankPath: bank)
            settings.dataDirectory = dataDir
            settings.databasePath = db
            settings.socketPath = socket
            settings.socketMode = socketMode
            settings.httpAddress = http
            settings.seed = seed
            settings.engines = engines
            settings.durability = durabilityMode

            let options = try settings.daemonOptions()
            let daemon = try await Daemon.start(options, logger: DaemonLogging.logger())
            FileHandleOutput.standardOutput(
                """
                certsim serve: candidate API on \(daemon.httpBaseURL)
                certsim serve: control socket \(daemon.socketPath) (mode \(socketMode))
                certsim serve: store \(options.core.databasePath) (\(durabilityMode.rawValue)), seed \(seed), \(options.core.engines) engines
                certsim serve: stop with Ctrl-C, SIGTERM or `certsim ctl --socket \(daemon.socketPath) shutdown`

                """)
            try await daemon.waitUntilStopped()
            FileHandleOutput.standardOutput("certsim serve: stopped\n")
        } catch let failure as CommandFailure {
            failure.exit()
        } catch let error as DaemonError {
            CommandFailure(code: error.code, message: error.message).exit()
        } catch let error as ControlSocketError {
            CommandFailure(code: "SOCKET_UNAVAILABLE", message: error.description).exit()
        } catch let error as StoreError {
            CommandFailure(code: error.code, message: error.message).exit()
        } catch let error as DaemonStartError {
            CommandFailure(code: "HTTP_UNAVAILABLE", message: error.description).exit()
        } catch {
            CommandFailure(code: "SERVE_FAILED", message: "\(error)").exit()
        }
    }
}
