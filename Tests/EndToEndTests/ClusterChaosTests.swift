import CertCore
import CertLoad
import CertStore
import CertTestSupport
import Foundation
import Testing

/// Chaos across daemons (DESIGN §4): two `certsim serve` processes share one PostgreSQL store; a
/// multi-session scenario runs through both (`ScenarioRunner` with two daemons); the test sends
/// SIGKILL to one daemon at K seeded moments (once the store holds a seeded number of answers),
/// restarting the killed daemon each time but the last, which stays dead: its sessions are taken
/// over by the survivor once their leases expire. At the end every acknowledged answer is stored
/// exactly once (each journal holds questions 1…n once), every certification is scored, and the
/// digest is that of the same scenario run uninterrupted on one embedded daemon.
@Suite(.serialized, .enabled(if: PostgresTestServer.isConfigured, Comment(rawValue: PostgresTestServer.skipReason)))
struct ClusterChaosTests {
    /// Kills per run: 2 by default (one restarted, one not); `CERTSIM_CLUSTER_KILLS=N` for more.
    static let kills = max(1, Int(ProcessInfo.processInfo.environment["CERTSIM_CLUSTER_KILLS"] ?? "") ?? 2)
    static let chaosSeed: UInt64 = 20_261_206
    /// Seconds a lease lasts: the takeover of a killed daemon's sessions waits for it.
    static let leaseSeconds = 2.0
    static let runSecondsMax = 600.0
    static let pollMilliseconds = 20

    @Test(.enabled(if: ServeChild.binary != nil, "needs the certsim binary (swift build)"), .timeLimit(.minutes(15)))
    func twoDaemonsSurviveKSigkillsWithTheDigestOfOneUninterruptedDaemon() async throws {
        let binary = try #require(ServeChild.binary)
        let directory = try ServeChild.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bankPath = directory + "/bank.json"
        try ServeChild.bank.encoded().write(to: URL(fileURLWithPath: bankPath))
        let scenario = ChaosRunnerTests.scenario(bankPath: bankPath)

        // The uninterrupted reference: one embedded daemon, in process.
        var alone = RunOptions()
        alone.progress = .off
        let reference = try await ScenarioRunner.run(scenario: scenario, options: alone)
        let totalAnswers = reference.summary.answers
        #expect(reference.summary.errors.isEmpty)

        let location = try await PostgresTestServer.makeDatabase(prefix: "chaos")
        let url = location.description
        var daemons: [FixedPortServe] = []
        var ports: [Int] = []
        for index in 0..<2 {
            let daemonDirectory = directory + "/d\(index)"
            try FileManager.default.createDirectory(atPath: daemonDirectory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: bankPath, toPath: daemonDirectory + "/bank.json")
            let port = try FixedPortServe.freePort()
            ports.append(port)
            daemons.append(try await Self.launch(binary, daemonDirectory, port: port, index: index, url: url, seed: scenario.seed))
        }
        defer { for daemon in daemons { daemon.signal(SIGKILL); daemon.waitForExit(seconds: 30) } }

        var options = RunOptions()
        options.progress = .off
        options.daemon = .http(host: "127.0.0.1", port: ports[0])
        options.controlSocketPath = daemons[0].socketPath
        options.otherDaemons = [ExternalDaemon(address: .http(host: "127.0.0.1", port: ports[1]), controlSocketPath: daemons[1].socketPath)]
        let (runner, finished) = RunFinished.start(scenario, options)

        // K kill points over the run, alternating between the daemons; the last victim stays dead.
        var random = SeededRandom(seed: Self.chaosSeed, 2)
        var pending = (0..<Self.kills).map { index in
            Int(Double(totalAnswers) * (0.1 + 0.6 * (Double(index) + random.nextUnitInterval()) / Double(Self.kills)))
        }
        var landed: [Int] = []
        let deadline = ContinuousClock.now + .seconds(Self.runSecondsMax)
        while !finished.value {
            guard ContinuousClock.now < deadline else {
                for daemon in daemons { daemon.signal(SIGKILL) }
                _ = await runner.value
                throw ChaosFailure("the run did not finish within \(Self.runSecondsMax) s")
            }
            if let threshold = pending.first,
               let stored = try? await PostgresTestServer.integer("SELECT count(*) FROM answer_journal", on: location),
               stored >= threshold {
                pending.removeFirst()
                landed.append(stored)
                let victim = (landed.count - 1) % 2
                daemons[victim].signal(SIGKILL)
                daemons[victim].waitForExit(seconds: 30)
                if !pending.isEmpty {
                    let daemonDirectory = directory + "/d\(victim)"
                    daemons[victim] = try await Self.launch(binary, daemonDirectory, port: ports[victim], index: victim,
                                                            url: url, seed: scenario.seed)
                }
            }
            try await Task.sleep(for: .milliseconds(Self.pollMilliseconds))
        }
        let outcome: RunOutcome
        switch await runner.value {
        case .success(let value): outcome = value
        case .failure(let error): throw ChaosFailure("the run failed: \(error); logs: \(daemons.map { $0.log().suffix(600) })")
        }
        print("ClusterChaosTests: K=\(landed.count) SIGKILLs after \(landed) stored answers (planned \(Self.kills)); retries \(outcome.retries.sorted { $0.key < $1.key }); errors \(outcome.summary.errors); digests \(outcome.digest == reference.digest ? "equal" : "DIFFER") (\(outcome.digest.prefix(8)) vs \(reference.digest.prefix(8)))")

        #expect(landed.count == Self.kills, "every planned kill happened")
        #expect(outcome.summary.errors.isEmpty, "no candidate failed: \(outcome.summary.errors)")
        #expect(outcome.candidates.count == reference.candidates.count)
        for row in outcome.candidates {
            #expect(row.status == "validated" || row.status == "rejected", "\(row.candidateKey): \(row.status)")
        }
        // Each journal holds questions 1…n once; every test has its result.
        #expect(try await PostgresTestServer.integer("""
            SELECT count(*) FROM (SELECT assessment_seq FROM answer_journal GROUP BY assessment_seq
                                  HAVING max(question_number) <> count(*) OR min(question_number) <> 1) gaps
            """, on: location) == 0)
        #expect(try await PostgresTestServer.integer("SELECT count(*) FROM answer_journal", on: location) == totalAnswers)
        #expect(try await PostgresTestServer.integer("SELECT count(*) FROM results", on: location) == reference.candidates.count)
        #expect(try await PostgresTestServer.integer(
            "SELECT count(*) FROM assessments a WHERE NOT EXISTS (SELECT 1 FROM results r WHERE r.assessment_id = a.id)",
            on: location) == 0)
        #expect(outcome.digest == reference.digest)
    }

    static func launch(_ binary: String, _ directory: String, port: Int, index: Int, url: String,
                       seed: UInt64) async throws -> FixedPortServe {
        try await FixedPortServe.launch(
            binary: binary, directory: directory, port: port, seed: seed,
            store: ["--db", url, "--daemon-id", "d\(index)", "--lease-seconds", String(leaseSeconds)])
    }
}
