import CertCore
/// How to run a scenario, beyond the scenario file itself: where results go, which daemon, and
/// the command-line overrides of the scenario's own settings (`certsim run` flags).
///
/// Owned by the runner. Every override is optional: nil keeps the scenario's value.
///
/// ```swift
/// var options = RunOptions()
/// options.concurrency = 64
/// options.outDirectory = "out/smoke"
/// let outcome = try await ScenarioRunner.run(scenario: scenario, options: options)
/// ```
public struct RunOptions: Sendable, Equatable {
    /// Directory for summary.json, candidates.csv, timeline.csv and report.html; nil writes none.
    public var outDirectory: String?
    /// Result store of the embedded daemon (kept after the run); nil uses a temporary file that is
    /// removed at the end. With an external daemon: that daemon's store file, read (read-only) at
    /// the end for the capacities and error rates its APIs do not return.
    public var databasePath: String?
    /// An external `certsim serve` to drive instead of an embedded daemon.
    public var daemon: DaemonAddress?
    /// The external daemon's control socket (needed with `daemon`; a `unix:` address is one).
    public var controlSocketPath: String?
    /// Further daemons sharing the first one's PostgreSQL store: sessions are spread over all of
    /// them (round-robin), and a session held by another daemon is followed there.
    public var otherDaemons: [ExternalDaemon] = []
    public var transport: Scenario.Transport?
    public var concurrency: Int?
    public var timeScale: Double?
    public var seed: UInt64?
    /// A certification version file run instead of the scenario's `version`.
    public var versionPath: String?
    /// Live progress line on stderr: `.automatic` shows it when stderr is a terminal.
    public var progress: ProgressMode = .automatic
    /// HTTP connections to the daemon (HTTP transport).
    public var httpConnections: Int = HTTPConnectionPool.defaultConnectionsMax
    /// Control-socket connections of the simulated proctors (HTTP transport).
    public var controlConnections: Int = ControlProctorTransport.defaultConnections

    public init() {}

    /// Whether the live progress line is drawn.
    public enum ProgressMode: String, Sendable, Equatable {
        /// When stderr is a terminal.
        case automatic
        /// Never (`--quiet`, tests).
        case off
        /// Always, even when stderr is not a terminal (one line per update).
        case always
    }
}

/// Where an external daemon listens, as given to `certsim run --daemon`.
///
/// Owned by the runner.
public enum DaemonAddress: Sendable, Equatable, CustomStringConvertible {
    /// `unix:PATH`: the daemon's control socket. Proctors use it; candidates need an HTTP
    /// address too, so this form alone supports only a daemon reachable at its default port —
    /// give `http://127.0.0.1:PORT` with `--control PATH` instead.
    case unix(path: String)
    /// `http://127.0.0.1:PORT`: the candidate API (host must be on this machine).
    case http(host: String, port: Int)

    /// Parses `unix:PATH` or `http://HOST:PORT` (HOST must be a loopback address or `localhost`).
    public static func parse(_ text: String) throws(RunError) -> DaemonAddress {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard !path.isEmpty else { throw RunError.badOption("--daemon", "unix: needs a socket path") }
            return .unix(path: path)
        }
        if text.hasPrefix("http://") {
            var rest = Substring(text.dropFirst("http://".count))
            if rest.hasSuffix("/") { rest = rest.dropLast() }
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
                  (1...65_535).contains(port)
            else { throw RunError.badOption("--daemon", "expected http://127.0.0.1:PORT, got \(text)") }
            let host = String(rest[..<colon])
            guard host == "localhost" || host.hasPrefix("127.") || host == "[::1]" else {
                throw RunError.badOption("--daemon", "the daemon must be on this machine (127.0.0.1, localhost or [::1]), got \(host)")
            }
            return .http(host: host == "[::1]" ? "::1" : host, port: port)
        }
        throw RunError.badOption("--daemon", "expected unix:PATH or http://127.0.0.1:PORT, got \(text)")
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .http(let host, let port): "http://\(host):\(port)"
        }
    }
}

/// Why a run could not be carried out (as opposed to a run that broke its thresholds, which is a
/// `RunOutcome` with failures).
///
/// Owned by the runner. Codes: `RUN_BAD_OPTION`, `RUN_BANK`, `RUN_DAEMON`, `RUN_SETUP`,
/// `RUN_OUTPUT`, `RUN_RESULTS`.
public typealias RunError = CertError

extension RunError {
    static func badOption(_ option: String, _ why: String) -> RunError {
        RunError(.runBadOption, "\(option): \(why)")
    }
}

/// A further daemon of a run over several daemons: its candidate API and its control socket.
public struct ExternalDaemon: Sendable, Equatable {
    public var address: DaemonAddress
    public var controlSocketPath: String

    public init(address: DaemonAddress, controlSocketPath: String) {
        self.address = address
        self.controlSocketPath = controlSocketPath
    }
}
