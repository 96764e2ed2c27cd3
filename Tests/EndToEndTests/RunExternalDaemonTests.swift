import CertCore
import Foundation
import Testing
import CertLoad

/// `certsim run --daemon http://127.0.0.1:PORT --control SOCKET` against a separate
/// `certsim serve` process started with the scenario's bank and seed: the per-candidate results
/// are those of the embedded daemon.
@Suite(.serialized, .timeLimit(.minutes(5))) struct RunExternalDaemonTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// Longest wait for the daemon to say where it listens, and to stop.
    static let daemonWaitSeconds = 60.0

    /// The `certsim` executable built beside the test bundle.
    static var certsimBinary: URL {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("certsim")
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        return repositoryRoot.appendingPathComponent(".build/debug/certsim")
    }

    /// Whether the built binary has the verb (`certsim VERB --help` exits 0). The root command
    /// lists its verbs; until `serve` is among them there is no external daemon to drive.
    static func binaryHasVerb(_ verb: String) -> Bool {
        let process = Process()
        process.executableURL = certsimBinary
        process.arguments = [verb, "--help"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Runs the smoke scenario against a fresh `certsim serve` (the scenario's bank and seed);
    /// `readsStore` passes the daemon's store file to the runner.
    static func runAgainstServe(readsStore: Bool) async throws -> (external: RunOutcome, scenario: Scenario) {
        let scenario = try Scenario.load(path: repositoryRoot.appendingPathComponent("Scenarios/smoke.yaml").path)
        guard case .file(let bankPath) = scenario.bank else {
            throw ExternalDaemonFailure(description: "smoke.yaml is expected to name a bank file")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("certsim-ext-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = (directory as NSString).appendingPathComponent("serve.sqlite")
        let socket = (directory as NSString).appendingPathComponent("c.sock")

        let serve = Process()
        serve.executableURL = certsimBinary
        serve.arguments = [
            "serve", "--db", database, "--socket", socket, "--http", "127.0.0.1:0", "--bank", bankPath,
            "--seed", String(scenario.seed), "--durability", scenario.durability.rawValue, "--log-level", "warning",
        ]
        let output = Pipe()
        serve.standardOutput = output
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer {
            if serve.isRunning { serve.terminate() }
            serve.waitUntilExit()
        }
        let port = try await announcedPort(output.fileHandleForReading, of: serve)

        var options = RunOptions()
        options.progress = .off
        options.daemon = .http(host: "127.0.0.1", port: port)
        options.controlSocketPath = socket
        options.databasePath = readsStore ? database : nil
        return (try await ScenarioRunner.run(scenario: scenario, options: options), scenario)
    }

    static func embeddedRun(_ scenario: Scenario) async throws -> RunOutcome {
        var options = RunOptions()
        options.progress = .off
        return try await ScenarioRunner.run(scenario: scenario, options: options)
    }

    @Test(.enabled(if: binaryHasVerb("serve"), "the certsim binary has no serve verb yet"))
    func anExternalServeGivesTheEmbeddedDigest() async throws {
        let (external, scenario) = try await Self.runAgainstServe(readsStore: true)
        let embedded = try await Self.embeddedRun(scenario)
        #expect(external.summary.errors.isEmpty, "external: \(external.summary.errors)")
        #expect(external.summary.transport == "http (external)")
        #expect(external.digest == embedded.digest)
    }

    @Test(.enabled(if: binaryHasVerb("serve"), "the certsim binary has no serve verb yet"))
    func withoutTheStoreTheResultsComeThroughTheDaemon() async throws {
        let (external, scenario) = try await Self.runAgainstServe(readsStore: false)
        let embedded = try await Self.embeddedRun(scenario)
        #expect(external.summary.errors.isEmpty, "external: \(external.summary.errors)")
        #expect(external.candidates.count == embedded.candidates.count)
        for (outside, inside) in zip(external.candidates, embedded.candidates) {
            #expect(outside.candidateKey == inside.candidateKey)
            #expect(outside.score == inside.score)
            #expect(outside.meshLevel == inside.meshLevel)
            #expect(outside.competenceLevels == inside.competenceLevels)
            #expect(outside.status == inside.status)
            // Read through the control socket (`session.results`), θ̂ included.
            #expect(outside.estimatedTheta == inside.estimatedTheta)
        }
        #expect(external.digest == embedded.digest)
    }

    /// Reads the daemon's stdout until it prints `candidate API on http://HOST:PORT`.
    /// Past `daemonWaitSeconds` the daemon is stopped, which ends the read.
    static func announcedPort(_ handle: FileHandle, of process: Process) async throws -> Int {
        let reader = Task.detached { () -> Int? in
            var text = ""
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { return nil }
                text += String(decoding: chunk, as: UTF8.self)
                if let range = text.range(of: "candidate API on http://") {
                    let rest = text[range.upperBound...]
                    guard let end = rest.firstIndex(where: { $0 == "\n" || $0 == " " }) else { continue }
                    return rest[..<end].split(separator: ":").last.flatMap { Int($0) }
                }
            }
        }
        let deadline = Task {
            try await Task.sleep(nanoseconds: UInt64(daemonWaitSeconds * 1e9))
            if process.isRunning { process.terminate() }
        }
        defer { deadline.cancel() }
        guard let port = await reader.value else {
            throw ExternalDaemonFailure(description: "certsim serve did not announce its HTTP port")
        }
        return port
    }

    struct ExternalDaemonFailure: Error, CustomStringConvertible { let description: String }
}
