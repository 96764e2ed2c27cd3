import CertCore
import Foundation

#if canImport(Glibc)
import Glibc
private let streamSocketType = Int32(SOCK_STREAM.rawValue)
#elseif canImport(Darwin)
import Darwin
private let streamSocketType = SOCK_STREAM
#endif

// The client has methods named `send`: these reach the system calls.
private func systemSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    send(fd, bytes, count, flags)
}

private func systemClose(_ fd: Int32) {
    _ = close(fd)
}

/// A small blocking client of the control socket, for `certsim ctl`, scripts and tests:
/// one request line out, response lines in, every read bounded by `timeoutSeconds`.
///
/// Owned by the daemon transports. Calls must not overlap (one caller at a time); the `async`
/// variants run the blocking I/O on the client's own queue, off the concurrency pool.
///
/// ```swift
/// let client = try ControlClient(socketPath: "certsim-data/certsim.sock")
/// let sessions = try client.call("session.list")        // ControlResponse
/// ```
public final class ControlClient: @unchecked Sendable {
    public let socketPath: String
    public let timeoutSeconds: Double
    private let fd: Int32
    private var framer = ControlLineFramer(lineBytesMax: ControlClient.lineBytesMax)
    private var nextId = 1
    private let queue = DispatchQueue(label: "certsim.control-client")
    /// Longest line accepted from the daemon (a large `session.show` fits well within it).
    public static let lineBytesMax = 16 * 1024 * 1024

    public init(socketPath: String, timeoutSeconds: Double = 30) throws {
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
        self.fd = try Self.connectSocket(path: socketPath)
        var timeout = timeval(tv_sec: Int(timeoutSeconds), tv_usec: .init((timeoutSeconds.truncatingRemainder(dividingBy: 1)) * 1_000_000))
        _ = withUnsafePointer(to: &timeout) {
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, $0, socklen_t(MemoryLayout<timeval>.size))
        }
        _ = withUnsafePointer(to: &timeout) {
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, $0, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    deinit { systemClose(fd) }

    /// Sends `cmd` with `arguments` and returns its response (event lines of a running `watch`
    /// are skipped).
    public func call(_ command: String, _ arguments: [String: JSONValue] = [:]) throws -> ControlResponse {
        let id = nextId
        nextId += 1
        try send(ControlRequest(id: .number(Double(id)), command: command, arguments: arguments))
        while true {
            guard let line = try readLine() else { throw ControlClientError.closed }
            let response = try ControlResponse.parse(line: line)
            switch response {
            case .event: continue
            case .success(let responseId, _), .failure(let responseId, _, _):
                if responseId == .number(Double(id)) || responseId == .null { return response }
            }
        }
    }

    public func call(_ command: String, _ arguments: [String: JSONValue] = [:]) async throws -> ControlResponse {
        try await onQueue { try self.call(command, arguments) }
    }

    /// Sends one request line.
    public func send(_ request: ControlRequest) throws {
        try sendRaw(Data((request.jsonLine() + "\n").utf8))
    }

    /// Sends bytes as they are (tests use it for malformed and over-long lines).
    public func sendRaw(_ data: Data) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let written = systemSend(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ControlClientError.io("write failed: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }

    public func sendRaw(_ data: Data) async throws {
        try await onQueue { try self.sendRaw(data) }
    }

    /// The next line from the daemon, without its newline; nil when the daemon closed the
    /// connection. Throws `ControlClientError.timeout` after `timeoutSeconds` of silence.
    public func readLine() throws -> Data? {
        while true {
            switch framer.next() {
            case .line(let line)?: return Data(line)
            case .tooLong?: throw ControlClientError.io("a response line is too long")
            case nil: break
            }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 {
                switch framer.finish() {
                case .line(let line)?: return Data(line)
                case .tooLong?: throw ControlClientError.io("a response line is too long")
                case nil: return nil
                }
            }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw ControlClientError.timeout(seconds: timeoutSeconds) }
                throw ControlClientError.io("read failed: \(String(cString: strerror(errno)))")
            }
            framer.append(chunk[..<count])
        }
    }

    public func readLine() async throws -> Data? {
        try await onQueue { try self.readLine() }
    }

    /// Closes the sending side (the daemon answers what it has, then closes).
    public func closeWriting() {
        shutdown(fd, Int32(SHUT_WR))
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Connects a stream socket to `path`; throws when nothing accepts there.
    static func connectSocket(path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, streamSocketType, 0)
        guard fd >= 0 else { throw ControlClientError.io("socket() failed: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else {
            systemClose(fd)
            throw ControlClientError.io("socket path is longer than \(capacity - 1) bytes: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            systemClose(fd)
            throw ControlClientError.cannotConnect(path: path, reason: reason)
        }
        return fd
    }
}

/// Failures of `ControlClient` (the daemon's refusals arrive as `ControlResponse.failure`).
public enum ControlClientError: Error, CustomStringConvertible, Equatable {
    case cannotConnect(path: String, reason: String)
    case timeout(seconds: Double)
    case closed
    case io(String)

    public var description: String {
        switch self {
        case .cannotConnect(let path, let reason): "cannot connect to the control socket \(path): \(reason)"
        case .timeout(let seconds): "the daemon did not answer within \(seconds) s"
        case .closed: "the daemon closed the connection"
        case .io(let message): message
        }
    }
}
