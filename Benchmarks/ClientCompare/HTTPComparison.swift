import AsyncHTTPClient
import CertCore
import CertDaemon
import CertLoad
import Foundation
import NIOCore
import NIOPosix

/// `HTTPConnectionPool` against async-http-client's `HTTPClient` on an embedded daemon (HTTP on
/// 127.0.0.1, a free port): the same requests, the same number in flight, as many connections
/// as requests in flight, HTTP/1.1 without TLS. Two routes: `GET /healthz` (the lightest) and
/// `GET /assessments/{id}/next` of started candidates (the runner's most frequent request; a
/// repeated next serves the same challenge again, so the route does its real work each time).
/// The process CPU counts the daemon too: it is the same for both clients, so the difference
/// between the two figures is the clients'.
enum HTTPComparison {
    /// Per request before a request fails (both clients).
    static let requestTimeoutSeconds: Int64 = 30

    struct Target: Sendable {
        var name: String
        var path: @Sendable (Int) -> String
        var token: @Sendable (Int) -> String?
    }

    struct Figures {
        var requestsPerSecond: Double
        var p50Microseconds: Double
        var p99Microseconds: Double
        var cpuSecondsPer1000: Double
    }

    static func run(requests: Int, inFlight: Int, rounds: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("client-compare-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = DaemonConfiguration(
            bank: DefaultBank.bank, seed: 1, durability: .relaxed,
            databasePath: (directory as NSString).appendingPathComponent("compare.sqlite"))
        let daemon = try await Daemon.start(DaemonOptions(
            core: configuration, socketPath: (directory as NSString).appendingPathComponent("compare.sock"), httpPort: 0))
        do {
            try await compare(daemon: daemon, requests: requests, inFlight: inFlight, rounds: rounds)
        } catch {
            try? await daemon.shutdown()
            throw error
        }
        try await daemon.shutdown()
    }

    private static func compare(daemon: Daemon, requests: Int, inFlight: Int, rounds: Int) async throws {
        let port = daemon.httpPort
        let pool = HTTPConnectionPool(host: "127.0.0.1", port: port, connectionsMax: inFlight,
                                      requestTimeoutSeconds: requestTimeoutSeconds)
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.httpVersion = .http1Only
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: inFlight)
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: clientConfiguration)

        let assessments = try await startCandidates(daemon: daemon, pool: pool, count: inFlight)
        let targets = [
            Target(name: "GET /healthz", path: { _ in "/healthz" }, token: { _ in nil }),
            Target(name: "GET /assessments/{id}/next", path: { "/assessments/\(assessments[$0 % assessments.count].id)/next" },
                   token: { assessments[$0 % assessments.count].token }),
        ]
        print("HTTP client: \(requests) requests per client and round, \(inFlight) in flight, \(inFlight) connections, \(rounds) rounds (order alternates), medians")
        do {
            for target in targets {
                // Warm both: connections open, code paths paged in.
                let warmUp = min(requests, 2_000)
                _ = try await drive(requests: warmUp, inFlight: inFlight) { try await sendHand(pool, target, $0) }
                _ = try await drive(requests: warmUp, inFlight: inFlight) { try await sendLibrary(client, port, target, $0) }
                var hand: [Figures] = [], library: [Figures] = []
                for round in 0..<rounds {
                    let handFirst = round % 2 == 0
                    for useHand in handFirst ? [true, false] : [false, true] {
                        if useHand {
                            hand.append(try await drive(requests: requests, inFlight: inFlight) { try await sendHand(pool, target, $0) })
                        } else {
                            library.append(try await drive(requests: requests, inFlight: inFlight) { try await sendLibrary(client, port, target, $0) })
                        }
                    }
                }
                print("  \(target.name)")
                report("HTTPConnectionPool", hand)
                report("HTTPClient (AHC 1.37.0)", library)
            }
        } catch {
            try? await client.shutdown()
            await pool.close()
            throw error
        }
        try await client.shutdown()
        await pool.close()
    }

    private static func report(_ name: String, _ rounds: [Figures]) {
        let rate = Measure.median(rounds.map(\.requestsPerSecond))
        let p50 = Measure.median(rounds.map(\.p50Microseconds))
        let p99 = Measure.median(rounds.map(\.p99Microseconds))
        let cpu = Measure.median(rounds.map(\.cpuSecondsPer1000))
        let perRound = rounds.map { Measure.format($0.requestsPerSecond, decimals: 0) }.joined(separator: ", ")
        print("    \(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(Measure.format(rate, decimals: 0)) requests/s (rounds: \(perRound)), p50 \(Measure.format(p50 / 1000, decimals: 2)) ms, p99 \(Measure.format(p99 / 1000, decimals: 2)) ms, process CPU \(Measure.format(cpu * 1000, decimals: 1)) ms per 1,000 requests")
    }

    /// Sends `requests` requests, `inFlight` at a time (each worker sends its share in turn).
    private static func drive(requests: Int, inFlight: Int, _ send: @escaping @Sendable (Int) async throws -> Void) async throws -> Figures {
        let workers = min(inFlight, requests)
        let cpuStart = Measure.processCPUSeconds()
        let start = Measure.monotonicNanoseconds()
        let latencies = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var mine: [UInt64] = []
                    mine.reserveCapacity(requests / workers + 1)
                    var index = worker
                    while index < requests {
                        let sent = Measure.monotonicNanoseconds()
                        try await send(index)
                        mine.append(Measure.monotonicNanoseconds() - sent)
                        index += workers
                    }
                    return mine
                }
            }
            var all: [UInt64] = []
            all.reserveCapacity(requests)
            for try await mine in group { all += mine }
            return all.sorted()
        }
        let wallSeconds = Double(Measure.monotonicNanoseconds() - start) / 1e9
        let cpuSeconds = Measure.processCPUSeconds() - cpuStart
        precondition(latencies.count == requests)
        return Figures(
            requestsPerSecond: Double(requests) / wallSeconds,
            p50Microseconds: Double(Measure.percentile(latencies, 0.50)) / 1000,
            p99Microseconds: Double(Measure.percentile(latencies, 0.99)) / 1000,
            cpuSecondsPer1000: cpuSeconds / Double(requests) * 1000)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private static func sendHand(_ pool: HTTPConnectionPool, _ target: Target, _ index: Int) async throws {
        var headers: [(String, String)] = []
        if let token = target.token(index) { headers.append(("Authorization", "Bearer \(token)")) }
        let response = try await pool.send(CertLoad.HTTPClientRequest(method: .GET, path: target.path(index), headers: headers))
        guard response.status == .ok, !response.body.isEmpty else {
            throw Failure(description: "\(target.name): \(response.status) from HTTPConnectionPool")
        }
    }

    private static func sendLibrary(_ client: HTTPClient, _ port: Int, _ target: Target, _ index: Int) async throws {
        var request = AsyncHTTPClient.HTTPClientRequest(url: "http://127.0.0.1:\(port)\(target.path(index))")
        if let token = target.token(index) { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await client.execute(request, timeout: .seconds(requestTimeoutSeconds))
        let body = try await response.body.collect(upTo: HTTPConnectionPool.responseBodyBytesMax)
        guard response.status == .ok, body.readableBytes > 0 else {
            throw Failure(description: "\(target.name): \(response.status) from HTTPClient")
        }
    }

    /// `count` candidates of one session, started over HTTP (the proctor's steps over the control socket).
    private static func startCandidates(daemon: Daemon, pool: HTTPConnectionPool, count: Int) async throws -> [(id: String, token: String)] {
        let proctors = try await ControlProctorTransport.connect(socketPath: daemon.socketPath, connections: 1)
        let candidates = HTTPCandidateTransport(pool: pool)
        let session = try await proctors.createSession(CreateSessionRequest(sessionId: "compare"))
        try await proctors.login(sessionId: session.sessionId, password: session.invigilatorPassword)
        var started: [(id: String, token: String)] = []
        for number in 0..<count {
            let candidateId = "k\(number)"
            try await proctors.enrol(sessionId: session.sessionId, candidateId: candidateId, needsAccessibility: false, locale: "fr-fr")
            try await proctors.authorize(sessionId: session.sessionId, candidateId: candidateId)
            let start = try await candidates.start(sessionId: session.sessionId, candidateId: candidateId, accessCode: session.accessCode)
            started.append((start.assessmentId, start.token))
        }
        await proctors.close()
        return started
    }
}
