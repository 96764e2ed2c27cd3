import CertCore
import Foundation
import Testing
import CertTestSupport

/// `certsim serve` and `certsim ctl` as a proctor uses them: real processes, a real control
/// socket, tables on stdout, `error: CODE: message` and a non-zero exit on refusals, graceful
/// shutdown on `ctl shutdown` and on SIGINT.
@Suite(.serialized) struct DaemonCLITests {
    @Test(.enabled(if: CLIProcess.binary != nil, "needs the certsim binary with its serve and ctl verbs (swift build)"))
    func aProctorDrivesASessionWithCtl() async throws {
        let serve = try await ServeUnderTest.launch()
        defer { serve.cleanUp() }
        func ctl(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIProcess.Result {
            try serve.ctl(arguments, environment: environment)
        }

        let created = try ctl(["--json", "session", "create", "--id", "S1", "--name", "Salle 1", "--centre", "Lycée A"])
        #expect(created.status == 0)
        let session = try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any]
        let password = try #require(session?["invigilatorPassword"] as? String)
        #expect(session?["sessionId"] as? String == "S1")

        let listed = try ctl(["session", "list"])
        #expect(listed.status == 0)
        #expect(listed.stdout.hasPrefix("SESSION  NAME     CENTRE   STATUS"))
        #expect(listed.stdout.contains("S1       Salle 1  Lycée A  created"))

        let enrolled = try ctl(["enrol", "S1", "alice", "bob", "--password", password])
        #expect(enrolled.stdout == "alice: ok\nbob: ok\n")
        let authorised = try ctl(["authorize", "S1", "alice"], environment: ["CERTSIM_PASSWORD": password])
        #expect(authorised.stdout == "alice: ok\n")

        let shown = try ctl(["session", "show", "S1", "--password", password])
        #expect(shown.stdout.contains("alice      core-v3  authorizedToStart"))
        #expect(shown.stdout.contains("bob        core-v3  enrolled"))

        let wrong = try ctl(["session", "show", "S1", "--password", "nope"])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.hasPrefix("error: INVALID_CREDENTIALS: "))
        let missing = try ctl(["alerts", "S1"])
        #expect(missing.status != 0)
        #expect(missing.stderr.hasPrefix("error: MISSING_PASSWORD: "))
        let badAbort = try ctl(["finalize", "S1", "--abort", "alice=maybe", "--password", password])
        #expect(badAbort.status != 0)
        #expect(badAbort.stderr.hasPrefix("error: INVALID_ABORT: "))
        let unknown = try ctl(["end", "S1", "zoe", "--password", password])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.hasPrefix("error: "))

        let stats = try ctl(["--json", "stats"])
        let numbers = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        #expect(numbers?["candidates"] as? Int == 2)

        let stopped = try ctl(["shutdown"])
        #expect(stopped.stdout == "the daemon is shutting down\n")
        try serve.waitForExit()
        #expect(serve.process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: serve.socketPath))
        #expect(serve.output().contains("certsim serve: stopped"))
    }

    @Test(.enabled(if: CLIProcess.binary != nil, "needs the certsim binary with its serve verb (swift build)"))
    func sigintShutsDownGracefully() async throws {
        let serve = try await ServeUnderTest.launch()
        defer { serve.cleanUp() }
        #expect(FileManager.default.fileExists(atPath: serve.socketPath))
        kill(serve.process.processIdentifier, SIGINT)
        try serve.waitForExit()
        #expect(serve.process.terminationReason == .exit)
        #expect(serve.process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: serve.socketPath))
    }

    @Test(.enabled(if: CLIProcess.binary != nil, "needs the certsim binary with its serve and ctl verbs (swift build)"))
    func refusalsAreOneLineAndNonZero() throws {
        let binary = try #require(CLIProcess.binary)
        let noDaemon = try CLIProcess.run(binary, ["ctl", "--socket", "/tmp/certsim-no-such.sock", "stats"])
        #expect(noDaemon.status != 0)
        #expect(noDaemon.stderr.hasPrefix("error: CONTROL_SOCKET: cannot connect"))

        let badMode = try CLIProcess.run(binary, ["serve", "--socket-mode", "0666", "--bank", "/nonexistent.json"])
        #expect(badMode.status != 0)
        #expect(badMode.stderr.hasPrefix("error: "))
    }
}

/// The verbs away from the repository: the default bank is built in, an explicit `--bank` wins,
/// and a missing one names the place tried.
@Suite(.serialized) struct AnyDirectoryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func scratchDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "certsim-anywhere-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Runs a blocking call on a thread of its own, so that waiting for a child process does not
    /// hold one of the few threads the other tests' tasks run on.
    func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    @Test(.enabled(if: CLIProcess.binary != nil, "needs the certsim binary (swift build)"))
    func scoreAndServeWorkOutsideTheRepository() async throws {
        let binary = try #require(CLIProcess.binary)
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = Self.root.appendingPathComponent("Scenarios/examples/answers-32.json").path
        let shipped = Self.root.appendingPathComponent("Scenarios/banks/crcn-synthetic-1.json").path

        let builtIn = try await offThePool { try CLIProcess.run(binary, ["score", input], directory: directory) }
        #expect(builtIn.status == 0, "\(builtIn.stderr)")
        let explicit = try await offThePool { try CLIProcess.run(binary, ["score", "--bank", shipped, input], directory: directory) }
        #expect(explicit.status == 0 && !explicit.stdout.isEmpty)
        #expect(builtIn.stdout == explicit.stdout)

        let missing = try await offThePool {
            try CLIProcess.run(binary, ["score", "--bank", "banks/none.json", input], directory: directory)
        }
        #expect(missing.status != 0)
        #expect(missing.stderr.hasPrefix("error: BANK_NOT_FOUND: "))
        #expect(missing.stderr.contains("tried \(URL(fileURLWithPath: directory + "/banks/none.json").standardizedFileURL.path)"))

        // serve, with every default, from the scratch directory.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--http", "127.0.0.1:0", "--log-level", "error"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let outputPath = directory + "/serve.out"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = process.standardOutput
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let deadline = ContinuousClock.now + .seconds(60)
        func output() -> String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
        while !output().contains("control socket"), process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(output().contains("control socket"), "\(output())")
        kill(process.processIdentifier, SIGINT)
        let stopDeadline = ContinuousClock.now + .seconds(60)
        while process.isRunning, ContinuousClock.now < stopDeadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!process.isRunning)
        if !process.isRunning { #expect(process.terminationStatus == 0) }
    }
}

/// A `certsim serve` process in a fresh directory, on a free loopback port.
final class ServeUnderTest: Sendable {
    let process: Process
    let directory: String
    let socketPath: String
    let outputPath: String

    private init(process: Process, directory: String, socketPath: String, outputPath: String) {
        self.process = process
        self.directory = directory
        self.socketPath = socketPath
        self.outputPath = outputPath
    }

    static func launch() async throws -> ServeUnderTest {
        let binary = try #require(CLIProcess.binary)
        var template = Array("/tmp/certsim-e-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw CLIFailure("mkdtemp failed")
        }
        let directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let bankPath = directory + "/bank.json"
        try BankGenerator.generate(challenges: 400, seed: 3).encoded().write(to: URL(fileURLWithPath: bankPath))
        let outputPath = directory + "/serve.out"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "serve", "--data-dir", directory + "/data", "--http", "127.0.0.1:0", "--bank", bankPath, "--log-level", "error",
        ]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = FileHandle.nullDevice
        try process.run()
        let serve = ServeUnderTest(
            process: process, directory: directory, socketPath: directory + "/data/certsim.sock", outputPath: outputPath)
        let deadline = ContinuousClock.now + .seconds(60)
        while !serve.output().contains("control socket") {
            guard process.isRunning, ContinuousClock.now < deadline else {
                serve.cleanUp()
                throw CLIFailure("certsim serve did not start: \(serve.output())")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return serve
    }

    /// `certsim ctl --socket <this daemon's socket> ARGS`.
    func ctl(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIProcess.Result {
        try CLIProcess.run(try #require(CLIProcess.binary), ["ctl", "--socket", socketPath] + arguments, environment: environment)
    }

    func output() -> String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    func waitForExit(seconds: Double = 60) throws {
        guard process.waitForExit(seconds: seconds) else { throw CLIFailure("certsim serve did not stop within \(seconds) s") }
    }

    func cleanUp() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            try? waitForExit(seconds: 10)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Running the `certsim` binary as a user does.
enum CLIProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Longest run of one command.
    static let timeoutSeconds = 60.0

    /// The built `certsim` binary, if it has the serve and ctl verbs (CERTSIM_TEST_BINARY may
    /// point at another build).
    static let binary: String? = {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("certsim").path
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = (ProcessInfo.processInfo.environment["CERTSIM_TEST_BINARY"].map { [$0] } ?? [])
            + [besideTests, root.appendingPathComponent(".build/debug/certsim").path]
        for path in candidates where FileManager.default.isExecutableFile(atPath: path) {
            // Without the verbs the root usage is printed instead of the verbs' own help.
            guard let serve = try? run(path, ["serve", "--help"]), serve.stdout.contains("--socket-mode"),
                let ctl = try? run(path, ["ctl", "--help"]), ctl.stdout.contains("watch")
            else { continue }
            return path
        }
        return nil
    }()

    static func run(_ binary: String, _ arguments: [String], environment: [String: String] = [:],
                    directory: String? = nil) throws -> Result {
        let scratch = NSTemporaryDirectory() + "certsim-cli-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: scratch + ".out", contents: nil)
        FileManager.default.createFile(atPath: scratch + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: scratch + ".out")
            try? FileManager.default.removeItem(atPath: scratch + ".err")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var variables = ProcessInfo.processInfo.environment
        variables["CERTSIM_PASSWORD"] = nil
        for (name, value) in environment { variables[name] = value }
        process.environment = variables
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + ".out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + ".err"))
        try process.run()
        guard process.waitForExit(seconds: timeoutSeconds) else {
            throw CLIFailure("certsim \(arguments.joined(separator: " ")) did not finish within \(timeoutSeconds) s")
        }
        return Result(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: scratch + ".out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: scratch + ".err", encoding: .utf8)) ?? "")
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
