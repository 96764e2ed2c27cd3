import ArgumentParser
import CertCore
import CertDaemon
import Foundation

/// `certsim ctl`: the proctor's client of the control socket. Each subcommand sends one
/// command (after a `login` with `--password` for session-scoped ones) and prints a table, or
/// the raw JSON result with `--json`. A refusal prints `error: CODE: message` and exits 1.
struct CtlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctl",
        abstract: "Proctor a running daemon through its control socket.",
        discussion: """
            Session-scoped commands log in first with the invigilator password given by
            --password or the CERTSIM_PASSWORD environment variable (quote it: it may hold ! * ?).
            """,
        subcommands: [
            Session.self, Enrol.self, Authorize.self, End.self, Alerts.self, Validate.self, Dismiss.self,
            CompanionClear.self, Finalize.self, Publish.self, Jury.self, Watch.self, Stats.self, Shutdown.self,
        ]
    )

    @Option(name: .long, help: "Control socket of the daemon.")
    var socket: String = ServeSettings.defaultDataDirectory + "/" + ServeSettings.defaultSocketName

    @Flag(name: .long, help: "Print the daemon's JSON result instead of a table.")
    var json = false

    @Option(name: .long, help: "Seconds to wait for each answer of the daemon.")
    var timeout: Double = 30
}

/// The invigilator password of a session-scoped subcommand.
struct PasswordOption: ParsableArguments {
    @Option(name: .long, help: "Invigilator password of the session (or set CERTSIM_PASSWORD).")
    var password: String?

    func resolved() throws -> String {
        if let password, !password.isEmpty { return password }
        if let password = ProcessInfo.processInfo.environment["CERTSIM_PASSWORD"], !password.isEmpty { return password }
        throw CommandFailure(.missingPassword, "pass --password or set CERTSIM_PASSWORD")
    }
}

/// One connection's worth of calls, with the CLI's error handling and output.
struct CtlRunner {
    let ctl: CtlCommand

    /// Connects, logs in when `login` is given, sends the command and prints its result.
    func run(_ command: String, _ arguments: [String: JSONValue] = [:], login: (sessionId: String, password: PasswordOption)? = nil) {
        do {
            let client = try connect()
            if let login {
                try expect(client.call("login", ["sessionId": .string(login.sessionId), "password": .string(try login.password.resolved())]))
            }
            let result = try expect(client.call(command, arguments))
            print(command: command, result)
        } catch {
            fail(error)
        }
    }

    func connect() throws -> ControlClient {
        try ControlClient(socketPath: ctl.socket, timeoutSeconds: ctl.timeout)
    }

    @discardableResult
    func expect(_ response: ControlResponse) throws -> JSONValue {
        switch response {
        case .success(_, let result): return result
        case .failure(_, let code, let message): throw CommandFailure(code, message)
        case .event: throw CommandFailure(.unexpectedEvent, "the daemon sent an event instead of an answer")
        }
    }

    func print(command: String, _ result: JSONValue) {
        if ctl.json {
            FileHandleOutput.standardOutput(result.jsonText() + "\n")
        } else {
            FileHandleOutput.standardOutput(ControlTables.render(command: command, result: result))
        }
    }

    func fail(_ error: any Error) -> Never {
        switch error {
        case let failure as CommandFailure: failure.exit()
        case let error as ControlClientError: CommandFailure(.controlSocket, error.description).exit()
        default: CommandFailure(.ctlFailed, "\(error)").exit()
        }
    }
}

extension CtlCommand {
    struct Session: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create, list or show sessions.", subcommands: [Create.self, List.self, Show.self])

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a session; prints its access code and invigilator password.")
            @ParentCommand var ctl: CtlCommand
            @Option(name: .customLong("id"), help: "Session id (default: chosen by the daemon).") var sessionId: String?
            @Option(name: .long, help: "Name of the session.") var name: String?
            @Option(name: .long, help: "Certification centre.") var centre: String?
            @Option(name: .long, help: "Id of a certification version the daemon loaded (default: its default).")
            var certificationVersion: String?

            func run() {
                var arguments: [String: JSONValue] = [:]
                if let certificationVersion { arguments["certificationVersion"] = .string(certificationVersion) }
                if let sessionId { arguments["sessionId"] = .string(sessionId) }
                if let name { arguments["name"] = .string(name) }
                if let centre { arguments["centre"] = .string(centre) }
                CtlRunner(ctl: ctl).run("session.create", arguments)
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the sessions.")
            @ParentCommand var ctl: CtlCommand
            func run() { CtlRunner(ctl: ctl).run("session.list") }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a session's candidates and alerts.")
            @ParentCommand var ctl: CtlCommand
            @Argument var session: String
            @OptionGroup var password: PasswordOption
            func run() {
                CtlRunner(ctl: ctl).run("session.show", ["sessionId": .string(session)], login: (session, password))
            }
        }
    }

    struct Enrol: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enrol candidates in a session.")
        @ParentCommand var ctl: CtlCommand
        @Argument var session: String
        @Argument(help: "Candidate ids.") var candidates: [String]
        @Flag(name: .long, help: "The candidates need accessible challenges.") var accessibility = false
        @Option(name: .long, help: "Locale of the challenges.") var locale = "fr-fr"
        @Option(name: .long, help: "Extra time in percent of the version's duration (33: a third more), 0 to 300.")
        var extraTime: Double = 0
        @Option(name: .long, help: ArgumentHelp(
            "Also enrol them in a complementary certification, by its version id (edu-2nd-degre-v3, droit-v3, clea-v3, …): a second test after the core one (CléA: none).",
            valueName: "VERSION"))
        var complementary: String?
        @OptionGroup var password: PasswordOption

        func run() {
            var extra: [String: JSONValue] = [
                "needsAccessibility": .bool(accessibility), "locale": .string(locale), "extraTimePercent": .number(extraTime),
            ]
            if let complementary { extra["complementary"] = .string(complementary) }
            CtlRunner(ctl: ctl).runForEach(
                "candidate.enrol", session: session, candidates: candidates, password: password, extra: extra)
        }
    }

    struct Jury: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record an external jury's level for a published Pix+ Édu certification.",
            discussion: "The logged-in invigilator of the session records the jury's decision; once per certification.")
        @ParentCommand var ctl: CtlCommand
        @Argument var session: String
        @Argument var candidate: String
        @Option(name: .long, help: ArgumentHelp("The jury's level: advanced (Avancé) or expert (Expert).", valueName: "LEVEL"))
        var level: String
        @OptionGroup var password: PasswordOption

        func validate() throws {
            guard Self.labels[level.lowercased()] != nil else {
                throw ValidationError("--level must be advanced or expert, not \"\(level)\"")
            }
        }

        static let labels = ["advanced": "LEVEL_ADVANCED", "expert": "LEVEL_EXPERT"]

        func run() {
            CtlRunner(ctl: ctl).run(
                "candidate.jury",
                ["sessionId": .string(session), "candidateId": .string(candidate),
                 "level": .string(Self.labels[level.lowercased()] ?? level)],
                login: (session, password))
        }
    }

    struct Authorize: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Authorise candidates to start or resume (15 minutes, one start).")
        @ParentCommand var ctl: CtlCommand
        @Argument var session: String
        @Argument(help: "Candidate ids.") var candidates: [String]
        @OptionGroup var password: PasswordOption
        func run() {
            CtlRunner(ctl: ctl).runForEach("candidate.authorize", session: session, candidates: candidates, password: password)
        }
    }

    struct End: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a candidate's test (ended by the invigilator; scored).")
        @ParentCommand var ctl: CtlCommand
        @Argument var session: String
        @Argument var candidate: String
        @OptionGroup var password: PasswordOption
        func run() {
            CtlRunner(ctl: ctl).runForEach("candidate.end", session: session, candidates: [candidate], password: password)
        }
    }

    struct Alerts: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a session's live and companion alerts.")
        @ParentCommand var ctl: CtlCommand
        @Argument var session: String
        @OptionGroup var password: PasswordOption
        func run() {
            CtlRunner(ctl: ctl).run("alert.list", ["sessionId": .string(session)], login: (session, password))
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a candidate's live alert with a reason (a new challenge is served; an issue report is stored).")
        @ParentCommand var ctl: CtlCommand
        @Argument var session: String
        @Argument var candidate: String
        @Option(name: .long, help: ArgumentHelp(
            "Why: \(LiveAlertReason.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "REASON"))
        var reason: String
        @OptionGroup var password: PasswordOption
        func run() {
            CtlRunner(ctl: ctl).runForEach("alert.validate", session: session, candidates: [candidate], password: password,
                                           extra: ["reason": .string(reason)])
        }
    }

    struct Dismiss: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dismiss a candidate's live alert (same challenge again).")
        @ParentCommand var ctl: CtlCommand
        @Argument var session: String
        @Argument var candidate: String
        @OptionGroup var password: PasswordOption
        func run() {
            CtlRunner(ctl: ctl).runForEach("alert.dismiss", session: session, candidates: [candidate], password: password)
        }
    }

    struct CompanionClear: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "companion-clear", abstract: "Clear a candidate's companion alert.")
        @ParentCommand var ctl: CtlCommand
        @Argument var session: String
        @Argument var candidate: String
        @OptionGroup var password: PasswordOption
        func run() {
            CtlRunner(ctl: ctl).runForEach("companion.clear", session: session, candidates: [candidate], password: password)
        }
    }

    struct Finalize: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Finalise a session; every unfinished candidate needs --abort CANDIDATE=candidate|technical.")
        @ParentCommand var ctl: CtlCommand
        @Argument var session: String
        @Option(name: .customLong("abort"), help: "CANDIDATE=candidate or CANDIDATE=technical (repeatable).")
        var aborts: [String] = []
        @OptionGroup var password: PasswordOption

        func run() {
            var reasons: [String: JSONValue] = [:]
            for abort in aborts {
                let parts = abort.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, ["candidate", "technical"].contains(parts[1]) else {
                    CommandFailure(.invalidAbort, "--abort takes CANDIDATE=candidate or CANDIDATE=technical, not \(abort)").exit()
                }
                reasons[parts[0]] = .string(parts[1])
            }
            CtlRunner(ctl: ctl).run(
                "session.finalize", ["sessionId": .string(session), "abortReasons": .object(reasons)], login: (session, password))
        }
    }

    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish a finalised session; prints the verification codes.")
        @ParentCommand var ctl: CtlCommand
        @Argument var session: String
        @OptionGroup var password: PasswordOption
        func run() {
            CtlRunner(ctl: ctl).run("session.publish", ["sessionId": .string(session)], login: (session, password))
        }
    }

    struct Watch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a session's events as they happen, until interrupted.")
        @ParentCommand var ctl: CtlCommand
        @Argument var session: String
        @OptionGroup var password: PasswordOption

        func run() {
            let runner = CtlRunner(ctl: ctl)
            do {
                let client = try runner.connect()
                try runner.expect(client.call("login", ["sessionId": .string(session), "password": .string(try password.resolved())]))
                try runner.expect(client.call("watch", ["sessionId": .string(session)]))
                if !ctl.json { FileHandleOutput.standardError("watching session \(session); Ctrl-C to stop\n") }
                while true {
                    let line: Data?
                    do {
                        line = try client.readLine()
                    } catch ControlClientError.timeout {
                        continue  // a quiet session: keep waiting
                    }
                    guard let line else { throw CommandFailure(.disconnected, "the daemon closed the connection") }
                    guard case .event(let event) = try ControlResponse.parse(line: line) else { continue }
                    FileHandleOutput.standardOutput(ctl.json ? event.jsonText() + "\n" : ControlTables.renderEvent(event))
                }
            } catch {
                runner.fail(error)
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the daemon's activity.")
        @ParentCommand var ctl: CtlCommand
        func run() { CtlRunner(ctl: ctl).run("stats") }
    }

    struct Shutdown: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Shut the daemon down gracefully.")
        @ParentCommand var ctl: CtlCommand
        func run() { CtlRunner(ctl: ctl).run("shutdown") }
    }
}

extension CtlRunner {
    /// Logs in once, then sends `command` for each candidate, printing one line per candidate.
    func runForEach(
        _ command: String, session: String, candidates: [String], password: PasswordOption,
        extra: [String: JSONValue] = [:]
    ) {
        do {
            let client = try connect()
            try expect(client.call("login", ["sessionId": .string(session), "password": .string(try password.resolved())]))
            for candidate in candidates {
                var arguments = extra
                arguments["sessionId"] = .string(session)
                arguments["candidateId"] = .string(candidate)
                let result = try expect(client.call(command, arguments))
                if ctl.json {
                    FileHandleOutput.standardOutput(
                        JSONValue.object(["candidateId": .string(candidate), "result": result]).jsonText() + "\n")
                } else {
                    FileHandleOutput.standardOutput("\(candidate): ok\n")
                }
            }
        } catch {
            fail(error)
        }
    }
}
