import CertCore
import CertDaemon
import CertStore
import Foundation
import Logging
import Testing

// Helpers of the reliability suites (fuzz, access, overload, store faults): a core or a whole
// daemon on a fresh store, a raw HTTP connection that sends any bytes, a seeded generator and
// the process's resident memory. Named `Reliability…` to stay apart from the other suites'
// helpers in this module.

enum Reliability {
    static let bank = BankGenerator.generate(challenges: 640, seed: 11)

    /// A fresh short directory under /tmp (Unix socket paths are limited to ~100 bytes).
    static func directory() throws -> String {
        var template = Array("/tmp/certsim-r-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw ReliabilityFailure("mkdtemp failed")
        }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func remove(_ directory: String) { try? FileManager.default.removeItem(atPath: directory) }

    static func configuration(
        databasePath: String, limits: DaemonLimits = DaemonLimits(), engines: Int = 2, durability: Durability = .durable
    ) -> DaemonConfiguration {
        DaemonConfiguration(
            bank: bank, seed: 42, engines: engines, durability: durability, databasePath: databasePath, limits: limits)
    }

    static let logger: Logger = {
        var logger = Logger(label: "certsim.reliability")
        logger.logLevel = .critical
        return logger
    }()

    /// A whole daemon (HTTP on a free loopback port, control socket in `directory`).
    static func daemon(
        in directory: String, limits: DaemonLimits = DaemonLimits(), httpLimits: HTTPLimits = HTTPLimits(),
        controlLimits: ControlLimits = ControlLimits(), logger: Logger = Reliability.logger
    ) async throws -> Daemon {
        try await Daemon.start(
            DaemonOptions(
                core: configuration(databasePath: directory + "/store.sqlite", limits: limits),
                socketPath: directory + "/c.sock", httpPort: 0, httpLimits: httpLimits, controlLimits: controlLimits),
            logger: logger)
    }

    /// Creates a session with `candidates` enrolled (not authorised).
    static func session(_ proctors: ProctorService, id: String, candidates: [String]) async throws -> SessionCreated {
        let created = try await proctors.createSession(CreateSessionRequest(sessionId: id, name: "Room", centre: "Centre"))
        for candidate in candidates {
            try await proctors.enrol(sessionId: id, candidateId: candidate, needsAccessibility: false, locale: "fr-fr")
        }
        return created
    }

    /// Authorises and starts one candidate.
    static func start(_ core: DaemonCore, _ created: SessionCreated, _ candidateId: String) async throws -> StartResponse {
        try await core.proctors.authorize(sessionId: created.sessionId, candidateId: candidateId)
        return try await core.candidates.start(
            sessionId: created.sessionId, candidateId: candidateId, accessCode: created.accessCode)
    }

    /// A deterministic answer for a challenge.
    static func answer(for challengeId: String) -> AnswerResult {
        SeededRandom.key(challengeId) % 3 == 0 ? .ko : .ok
    }

    /// Serves and answers one question; nil when the test is over.
    static func answerOne(_ core: DaemonCore, _ started: StartResponse) async throws(DaemonError) -> AnswerResponse? {
        guard let challenge = try await core.candidates.next(assessmentId: started.assessmentId, token: started.token) else {
            return nil
        }
        return try await core.candidates.answer(
            assessmentId: started.assessmentId, token: started.token,
            AnswerRequest(challengeId: challenge.challengeId, result: answer(for: challenge.challengeId)))
    }

    /// Resident memory of this process, from /proc/self/status (kB).
    static func residentKilobytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    /// The error of `body`, or nil when it succeeded.
    static func refusal(_ body: () async throws(DaemonError) -> Void) async -> DaemonError? {
        do throws(DaemonError) {
            try await body()
            return nil
        } catch {
            return error
        }
    }
}

struct ReliabilityFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// SplitMix64: the fuzz loops replay from their seed.
struct ReliabilityRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }
}

/// One blocking HTTP/1.1 connection to 127.0.0.1 that sends any bytes (malformed requests
/// included) and reads one response at a time. Reads time out, so a test never hangs.
final class RawHTTPConnection: @unchecked Sendable {
    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data
        var json: JSONValue? { try? JSONValue.parse(body) }
        /// `error.code` of a JSON error body.
        var errorCode: String? { json?["error"]?["code"]?.stringValue }
        var errorMessage: String? { json?["error"]?["message"]?.stringValue }
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private let queue = DispatchQueue(label: "certsim.reliability.http")

    init(port: Int, timeoutSeconds: Int = 15) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw ReliabilityFailure("cannot connect to 127.0.0.1:\(port)")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    static func request(
        _ method: String, _ path: String, body: Data? = nil, token: String? = nil, extraHeaders: String = ""
    ) -> Data {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += extraHeaders + "\r\n"
        return Data(head.utf8) + (body ?? Data())
    }

    /// Sends raw bytes (false when the peer has closed).
    @discardableResult
    func send(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return false }
                offset += sent
            }
            return true
        }
    }

    /// Reads one response; nil when the connection closed or timed out first.
    func readReply() -> Reply? {
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if buffer.count >= 4 {
                for index in 0...(buffer.count - 4) where Array(buffer[index..<(index + 4)]) == separator {
                    headEnd = index
                    break
                }
            }
            if headEnd == nil, !fill() { return nil }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = headEnd! + 4
        while buffer.count < bodyStart + length {
            if !fill() { return nil }
        }
        let body = Data(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        return Reply(status: status, headers: headers, body: body)
    }

    /// Sends `data` and reads one reply, off the concurrency pool.
    func exchange(_ data: Data) async -> Reply? {
        await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: self.send(data) ? self.readReply() : self.readReply())
            }
        }
    }
}
