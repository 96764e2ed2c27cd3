import CertCore
import CertDaemon
import Foundation
import Logging
import Testing

// The `serve` settings, and the fixtures shared by the transport tests (temporary
// directories, a generated bank, an in-process daemon, a loopback HTTP client).

@Suite struct ServeSettingsTests {
    @Test func defaultsLiveInTheDataDirectory() throws {
        let settings = ServeSettings(bankPath: "bank.json")
        #expect(settings.resolvedDatabasePath == "certsim-data/certsim.sqlite")
        #expect(settings.resolvedSocketPath == "certsim-data/certsim.sock")
        #expect(settings.httpAddress == "127.0.0.1:8080")
        #expect(settings.socketMode == "0600")
    }

    @Test func explicitPathsWin() {
        var settings = ServeSettings(bankPath: "bank.json")
        settings.dataDirectory = "/var/lib/certsim"
        settings.databasePath = "/data/x.sqlite"
        #expect(settings.resolvedDatabasePath == "/data/x.sqlite")
        #expect(settings.resolvedSocketPath == "/var/lib/certsim/certsim.sock")
    }

    @Test func httpAddressParsing() throws {
        #expect(try ServeSettings.parseHTTPAddress("127.0.0.1:8080") == ("127.0.0.1", 8080))
        #expect(try ServeSettings.parseHTTPAddress("[::1]:0") == ("::1", 0))
        for bad in ["8080", "127.0.0.1:", ":80", "127.0.0.1:70000", "host:port"] {
            #expect(throws: DaemonError.self) { try ServeSettings.parseHTTPAddress(bad) }
        }
    }

    @Test func socketModeMayOnlyWidenToAGroup() throws {
        #expect(try ServeSettings.parseSocketMode("0600") == 0o600)
        #expect(try ServeSettings.parseSocketMode("660") == 0o660)
        for bad in ["0666", "0700", "0400", "0602", "rw", "4600"] {
            #expect(throws: DaemonError.self, "\(bad)") { try ServeSettings.parseSocketMode(bad) }
        }
    }

    @Test func theDataDirectoryIsCreatedOwnerOnly() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let bankPath = directory.path + "/bank.json"
        try TestBank.bank.encoded().write(to: URL(fileURLWithPath: bankPath))
        var settings = ServeSettings(bankPath: bankPath)
        settings.dataDirectory = directory.path + "/data"
        settings.httpAddress = "127.0.0.1:0"
        let options = try settings.daemonOptions()
        #expect(options.core.databasePath == directory.path + "/data/certsim.sqlite")
        #expect(options.socketPath == directory.path + "/data/certsim.sock")
        #expect(options.socketMode == 0o600)
        #expect(options.httpPort == 0)
        #expect(options.handlesSignals)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path + "/data")
        #expect((attributes[.posixPermissions] as! NSNumber).intValue & 0o777 == 0o700)
    }

    @Test func missingBankIsAClearError() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        var settings = ServeSettings(bankPath: directory.path + "/none.json")
        settings.dataDirectory = directory.path + "/data"
        let error = #expect(throws: DaemonError.self) { try settings.daemonOptions() }
        #expect(error?.message.contains("none.json") == true)
    }
}

// MARK: - Fixtures

/// A fresh directory under /tmp (short paths: Unix socket paths are limited to ~100 bytes).
struct TestDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/certsim-t-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw TestFailure("mkdtemp failed")
        }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum TestBank {
    /// A generated bank: no file needed, and the same for every test.
    static let bank = BankGenerator.generate(challenges: 600, seed: 1)
}

/// A deterministic answer policy for tests: about two answers in three are right.
func testAnswer(for challengeId: String) -> AnswerResult {
    switch SeededRandom.key(challengeId) % 6 {
    case 0: .ko
    case 1: .skipped
    default: .ok
    }
}

func testCoreConfiguration(directory: TestDirectory, seed: UInt64 = 7) -> DaemonConfiguration {
    DaemonConfiguration(bank: TestBank.bank, seed: seed, engines: 2, databasePath: directory.path + "/store.sqlite")
}

/// Runs `body` with a core on a fresh store, shut down afterwards.
func withCore<T>(_ body: (DaemonCore) async throws -> T) async throws -> T {
    let directory = try TestDirectory()
    defer { directory.remove() }
    let core = try await DaemonCore.open(testCoreConfiguration(directory: directory))
    do {
        let value = try await body(core)
        await core.shutdown()
        return value
    } catch {
        await core.shutdown()
        throw error
    }
}

/// Runs `body` with a whole daemon (HTTP on a free loopback port, control socket in a fresh
/// directory), shut down afterwards.
func withDaemon<T>(
    socketMode: UInt32 = 0o600, controlLimits: ControlLimits = ControlLimits(), httpLimits: HTTPLimits = HTTPLimits(),
    _ body: (Daemon, TestDirectory) async throws -> T
) async throws -> T {
    let directory = try TestDirectory()
    defer { directory.remove() }
    let logger = quietLogger
    let options = DaemonOptions(
        core: testCoreConfiguration(directory: directory), socketPath: directory.path + "/c.sock", socketMode: socketMode,
        httpHost: "127.0.0.1", httpPort: 0, httpLimits: httpLimits, controlLimits: controlLimits)
    let daemon = try await Daemon.start(options, logger: logger)
    do {
        let value = try await body(daemon, directory)
        try await daemon.shutdown()
        return value
    } catch {
        try? await daemon.shutdown()
        throw error
    }
}

/// Logs warnings and worse only (expected refusals stay out of the test output).
let quietLogger: Logger = {
    var logger = Logger(label: "certsim.test")
    logger.logLevel = .error
    return logger
}()

/// Creates session `sessionId`, enrols and authorises `candidates`; returns the access code
/// and the password.
func prepareSession(_ proctors: ProctorService, sessionId: String = "S1", candidates: [String] = ["c1"]) async throws
    -> SessionCreated
{
    let created = try await proctors.createSession(CreateSessionRequest(sessionId: sessionId, name: "Room 1", centre: "Lycée A"))
    for candidate in candidates {
        try await proctors.enrol(sessionId: sessionId, candidateId: candidate, needsAccessibility: false, locale: "fr-fr")
        try await proctors.authorize(sessionId: sessionId, candidateId: candidate)
    }
    return created
}

/// A minimal blocking HTTP/1.1 client over one loopback keep-alive connection, with a read
/// timeout; its `async` calls run off the concurrency pool. Also used against a `certsim
/// serve` process.
final class LoopbackHTTPClient: @unchecked Sendable {
    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data
        func json() throws -> JSONValue { try JSONValue.parse(body) }
        var errorCode: ErrorCode? { (try? json())?["error"]?["code"]?.stringValue.map(ErrorCode.init(wire:)) }
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private let queue = DispatchQueue(label: "certsim.test.http")
    let port: Int

    init(port: Int, timeoutSeconds: Int = 20) throws {
        self.port = port
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
            throw TestFailure("cannot connect to 127.0.0.1:\(port)")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func request(_ method: String, _ path: String, body: Data? = nil, token: String? = nil, headers: [String: String] = [:])
        async throws -> Reply
    {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.requestBlocking(method, path, body: body, token: token, headers: headers) })
            }
        }
    }

    func json(_ method: String, _ path: String, _ object: JSONValue, token: String? = nil) async throws -> Reply {
        try await request(method, path, body: Data(object.jsonText().utf8), token: token)
    }

    func sendRaw(_ bytes: Data) async throws {
        try await onQueue { try self.sendAll(Array(bytes)) }
    }

    func readReply() async throws -> Reply {
        try await onQueue { try self.readReplyBlocking() }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    func requestBlocking(_ method: String, _ path: String, body: Data? = nil, token: String? = nil, headers: [String: String] = [:])
        throws -> Reply
    {
        try sendRequest(method, path, body: body, token: token, headers: headers)
        return try readReplyBlocking()
    }

    func sendRequest(_ method: String, _ path: String, body: Data?, token: String?, headers: [String: String]) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if let body { bytes += body }
        try sendAll(bytes)
    }

    private func sendAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw TestFailure("send failed") }
            offset += sent
        }
    }

    private func readReplyBlocking() throws -> Reply {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            headEnd = buffer.firstRange(of: separator)?.lowerBound
            if headEnd == nil { try fill() }
        }
        let headText = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        buffer.removeSubrange(..<(headEnd! + separator.count))
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestFailure("bad status line") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < length { try fill() }
        let body = Data(buffer[..<length])
        buffer.removeSubrange(..<length)
        return Reply(status: status, headers: headers, body: body)
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count == 0 { throw TestFailure("the server closed the connection") }
        if count < 0 { throw TestFailure("read failed or timed out (errno \(errno))") }
        buffer += chunk[..<count]
    }
}
