import CertCore
import CertDaemon
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One blocking HTTP/1.1 keep-alive connection to 127.0.0.1 for tests that must send any
/// bytes (malformed requests included) or survive a daemon killed under them: it reads one
/// response at a time, reads and writes time out so a test never hangs, and a nil reply means
/// the connection failed (refused, reset, closed, timed out). Shared by the reliability tests
/// of CertDaemonTests and the crash and shutdown tests of EndToEndTests.
public final class LoopbackHTTPConnection: @unchecked Sendable {
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data
        public var json: JSONValue? { try? JSONValue.parse(body) }
        /// `error.code` of a JSON error body.
        /// The catalogued code of an error reply (UNRECOGNIZED for a code the catalogue lacks).
        public var errorCode: ErrorCode? { json?["error"]?["code"]?.stringValue.map(ErrorCode.init(wire:)) }
        public var errorMessage: String? { json?["error"]?["message"]?.stringValue }
    }

    /// The connection could not be opened.
    public struct ConnectFailure: Error, CustomStringConvertible {
        public let description: String
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private let queue = DispatchQueue(label: "certsim.test.loopback-http")

    public init(port: Int, timeoutSeconds: Int = 15) throws {
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
            throw ConnectFailure(description: "cannot connect to 127.0.0.1:\(port)")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// The bytes of one request; a body comes with its JSON content type and length.
    public static func request(
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
    public func send(_ data: Data) -> Bool {
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
    public func readReply() -> Reply? {
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

    /// Sends `data` and reads one reply, off the concurrency pool. The reply is read even when
    /// the send failed part-way: a server may answer a request it refused to read in full.
    public func exchange(_ data: Data) async -> Reply? {
        await withCheckedContinuation { continuation in
            queue.async {
                self.send(data)
                continuation.resume(returning: self.readReply())
            }
        }
    }

    /// One request with a JSON body given as text.
    public func exchange(_ method: String, _ path: String, body: String? = nil, token: String? = nil) async -> Reply? {
        await exchange(Self.request(method, path, body: body.map { Data($0.utf8) }, token: token))
    }

    /// Sends a request and does not read its reply (a request left in flight on purpose).
    public func sendOnly(_ method: String, _ path: String, body: String, token: String) {
        send(Self.request(method, path, body: Data(body.utf8), token: token))
    }
}
