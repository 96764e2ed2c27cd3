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

    @Option(name: .long, help: ArgumentHelp(
        "Result store: a SQLite file (default: DATA_DIR/certsim.sqlite) or postgres://USER@HOST:PORT/DATABASE.",
        discussion: "The PostgreSQL password comes from PGPASSWORD or --db-password-file, never from the URL."))
    var db: String?

    @Option(name: .long, help: "File whose first line is the PostgreSQL password (default: PGPASSWORD).")
    var dbPasswordFile: String?

    @Option(name: .long, help: "With a PostgreSQL store: this daemon's name among those sharing it (default: HOST-PORT).")
    var daemonId: String?

    @Option(name: .long, help: "With a PostgreSQL store: the URL candidates reach this daemon at (default: http:// and --http).")
    var advertiseHttp: String?

    @Option(name: .long, help: "With a PostgreSQL store: seconds a session's lease lasts unrenewed; another daemon takes a dead one's sessions after it.")
    var leaseSeconds: Double = 10

    @Option(name: .long, help: "Control socket path (default: DATA_DIR/certsim.sock).")
    var socket: String?

    @Option(name: .long, help: "Control socket file mode, octal: 0600, or 0660 for a group of proctors.")
    var socketMode: String = "0600"

    @Option(name: .long, help: "Candidate API address, HOST:PORT (port 0 picks a free one).")
    var http: String = ServeSettings.defaultHTTPAddress

    @Option(name: .long, help: ArgumentHelp(
        "Item bank file (repeat to load one bank per competence framework: crcn, crcn-edu, droit, pro-sante).",
        discussion: "Each certification version is served from the bank of its framework. Default: the built-in crcn-synthetic-1 (Scenarios/banks/crcn-synthetic-1.json)."))
    var bank: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "Certification version file (repeat to load several; the first is the default of new sessions).",
        discussion: "Default: the built-in core-v3 (Scenarios/versions/core-v3.json)."))
    var certificationVersion: [String] = []

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
                throw CommandFailure(.invalidDurability, "--durability must be durable or relaxed")
            }
            for path in bank { _ = try BankLoading.load(path: path) }  // the CLI's friendly message when one is missing
            var settings = ServeSettings(bankPath: bank.first)
            settings.additionalBankPaths = Array(bank.dropFirst())
            settings.dataDirectory = dataDir
            settings.databasePath = db
            settings.databasePasswordFile = dbPasswordFile
            settings.daemonId = daemonId
            settings.advertisedHTTPURL = advertiseHttp
            settings.leaseSeconds = leaseSeconds
            settings.socketPath = socket
            settings.socketMode = socketMode
            settings.httpAddress = http
            settings.seed = seed
            settings.engines = engines
            settings.durability = durabilityMode
            settings.versionPaths = certificationVersion

            let options = try settings.daemonOptions()
            let daemon = try await Daemon.start(options, logger: DaemonLogging.logger())
            FileHandleOutput.standardOutput(
                """
                certsim serve: candidate API on \(daemon.httpBaseURL)
                certsim serve: control socket \(daemon.socketPath) (mode \(socketMode))
                certsim serve: store \(options.core.store) (\(durabilityMode.rawValue)), seed \(seed), \(options.core.engines) engines\(options.core.cluster.map { "\ncertsim serve: daemon \($0.daemonId), candidates at \($0.httpURL), lease \($0.leaseSeconds) s" } ?? "")
                certsim serve: certification versions \((options.core.versions.map(\.id) + options.core.cleaVersions.map(\.id)).joined(separator: ", ")) (default \(options.core.versions[0].id))
                certsim serve: banks \(options.core.banks.map { "\($0.version) (\($0.competenceFramework ?? "any framework"))" }.joined(separator: ", "))
                certsim serve: stop with Ctrl-C, SIGTERM or `certsim ctl --socket \(daemon.socketPath) shutdown`

                """)
            try await daemon.waitUntilStopped()
            FileHandleOutput.standardOutput("certsim serve: stopped\n")
        } catch let failure as CommandFailure {
            failure.exit()
        } catch let error as DaemonError {
            CommandFailure(error.code, error.message).exit()
        } catch let error as ControlSocketError {
            CommandFailure(.socketUnavailable, error.description).exit()
        } catch let error as DaemonStartError {
            CommandFailure(.httpUnavailable, error.description).exit()
        } catch {
            CommandFailure(.serveFailed, "\(error)").exit()
        }
    }
}
