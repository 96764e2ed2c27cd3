import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small keep-alive HTTP/1.1 client for the candidate API of a daemon on this machine.
///
/// Owned by the runner's HTTP transport (`HTTPCandidateTransport`). It keeps up to
/// `connectionsMax` connections to one host and port, each carrying one request at a time
/// (no pipelining), and hands idle connections back for reuse, so a run of thousands of
/// simulated candidates opens a handful of sockets. It is built on NIOHTTP1's codec and a
/// callback handler (`HTTPResponseCollector`) rather than a general-purpose client, because the
/// runner measures the daemon, not the client: a request costs one write and one read.
///
/// ```swift
/// let pool = HTTPConnectionPool(host: "127.0.0.1", port: 8080, group: .singleton)
/// let response = try await pool.send(HTTPClientRequest(method: .GET, path: "/healthz"))
/// await pool.close()
/// ```
public final class HTTPConnectionPool: @unchecked Sendable {
    /// Default bound on open connections to the daemon. Each connection carries one request at a
    /// time, so this bounds the requests in flight: it must cover throughput × latency (10,000
    /// requests/s × a few ms of durable answers is tens to a hundred), or candidates queue for a
    /// connection and the queue shows as latency.
    public static let defaultConnectionsMax = 256
    /// Largest response body accepted; a bigger one fails the request (the candidate API sends small JSON).
    public static let responseBodyBytesMax = 1 << 20
    /// Default time a request may take before its connection is closed and the request fails.
    public static let defaultRequestTimeoutSeconds: Int64 = 30

    private let host: String
    private let port: Int
    private let group: any EventLoopGroup
    private let connectionsMax: Int
    private let requestTimeout: TimeAmount

    // The pool's state, behind `lock` (held only for a few instructions, never across an await):
    // a request takes a connection and gives it back without hopping to another executor.
    private let lock = NSLock()
    private var idle: [any Channel] = []
    private var openCount = 0
    private var waiters = CircularBuffer<CheckedContinuation<any Channel, any Error>>()
    private var closed = false

    public init(host: String, port: Int, connectionsMax: Int = defaultConnectionsMax,
                requestTimeoutSeconds: Int64 = defaultRequestTimeoutSeconds,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        precondition(connectionsMax > 0, "connectionsMax must be positive")
        self.requestTimeout = .seconds(requestTimeoutSeconds)
        self.host = host
        self.port = port
        self.connectionsMax = connectionsMax
        self.group = group
    }

    /// Sends one request on a pooled connection and returns the whole response.
    public func send(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let channel = try await checkOut()
        let promise = channel.eventLoop.makePromise(of: HTTPClientResponse.self)
        // A request that outlives the timeout closes its connection, which fails its promise (the
        // connection's `HTTPResponseCollector` keeps one timer, not one per request). A write that
        // never reaches the socket (the connection closed meanwhile) fails the request instead of
        // leaving it waiting for a response that cannot come.
        channel.writeAndFlush(HTTPRequestWithPromise(request: request, host: host, promise: promise), promise: nil)
        do {
            let response = try await promise.futureResult.get()
            checkIn(channel, reusable: response.keepAlive && channel.isActive)
            return response
        } catch {
            checkIn(channel, reusable: false)
            throw error
        }
    }

    /// Closes every connection; requests waiting for one fail.
    public func close() async {
        let (channels, waiting) = lock.withLock {
            closed = true
            let channels = idle
            idle.removeAll()
            openCount -= channels.count
            let waiting = waiters
            waiters.removeAll()
            return (channels, waiting)
        }
        for waiter in waiting { waiter.resume(throwing: HTTPClientError.poolClosed) }
        for channel in channels { try? await channel.close() }
    }

    private enum Decision {
        case use(any Channel)
        case connect
        case refuse
        case wait
    }

    /// Under the lock: an idle live connection, or a free slot to open one.
    private func decideLocked() -> Decision {
        if closed { return .refuse }
        while let channel = idle.popLast() {
            if channel.isActive { return .use(channel) }
            openCount -= 1
        }
        if openCount < connectionsMax {
            openCount += 1
            return .connect
        }
        return .wait
    }

    private func checkOut() async throws -> any Channel {
        let decision = lock.withLock { decideLocked() }
        switch decision {
        case .use(let channel): return channel
        case .refuse: throw HTTPClientError.poolClosed
        case .connect: return try await connectForSlot()
        case .wait: break
        }
        return try await withCheckedThrowingContinuation { continuation in
            let decision = lock.withLock {
                let decision = decideLocked()
                if case .wait = decision { waiters.append(continuation) }
                return decision
            }
            switch decision {
            case .use(let channel): continuation.resume(returning: channel)
            case .refuse: continuation.resume(throwing: HTTPClientError.poolClosed)
            case .connect:
                Task {
                    do { continuation.resume(returning: try await self.connectForSlot()) } catch { continuation.resume(throwing: error) }
                }
            case .wait: break
            }
        }
    }

    /// Opens a connection for a slot already counted in `openCount`; a failure gives the slot back.
    private func connectForSlot() async throws -> any Channel {
        do {
            return try await connect()
        } catch {
            let waiter = lock.withLock {
                openCount -= 1
                return takeWaiterForNewConnectionLocked()
            }
            if let waiter { openForWaiter(waiter) }
            throw HTTPClientError.connectFailed("\(host):\(port): \(error)")
        }
    }

    private func checkIn(_ channel: any Channel, reusable: Bool) {
        enum Outcome {
            case closeIt(CheckedContinuation<any Channel, any Error>?)
            case handTo(CheckedContinuation<any Channel, any Error>)
            case keptIdle
        }
        let outcome: Outcome = lock.withLock {
            if !reusable || closed {
                openCount -= 1
                return .closeIt(takeWaiterForNewConnectionLocked())
            }
            if let waiter = waiters.popFirst() { return .handTo(waiter) }
            idle.append(channel)
            return .keptIdle
        }
        switch outcome {
        case .closeIt(let waiter):
            channel.close(promise: nil)
            if let waiter { openForWaiter(waiter) }
        case .handTo(let waiter):
            waiter.resume(returning: channel)
        case .keptIdle:
            break
        }
    }

    /// Under the lock: a connection slot came free; the longest waiter, if any, gets it.
    private func takeWaiterForNewConnectionLocked() -> CheckedContinuation<any Channel, any Error>? {
        guard !waiters.isEmpty, openCount < connectionsMax, !closed else { return nil }
        openCount += 1
        return waiters.popFirst()
    }

    private func openForWaiter(_ waiter: CheckedContinuation<any Channel, any Error>) {
        Task {
            do { waiter.resume(returning: try await self.connectForSlot()) } catch { waiter.resume(throwing: error) }
        }
    }

    private func connect() async throws -> any Channel {
        let requestTimeout = self.requestTimeout
        return try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HTTPRequestBytesWriter())
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
                    try channel.pipeline.syncOperations.addHandler(HTTPResponseCollector(requestTimeout: requestTimeout))
                }
            }
            .connect(host: host, port: port)
            .get()
    }
}

/// One request of the runner's HTTP client: method, path (with query) and an optional JSON body.
public struct HTTPClientRequest: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var headers: [(String, String)]
    public var body: [UInt8]?

    public init(method: HTTPMethod, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// One whole response read by the runner's HTTP client.
public struct HTTPClientResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// False when the server asked to close the connection after this response.
    public var keepAlive: Bool
}

/// Failures of the runner's HTTP client (the daemon's own refusals arrive as responses, not as these).
public enum HTTPClientError: Error, Sendable, CustomStringConvertible {
    case connectFailed(String)
    case connectionClosed
    case responseTooLarge(Int)
    case poolClosed
    /// The request cannot be framed as HTTP/1.1 (a control character in its path or a header).
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .connectFailed(let detail): "cannot connect to the daemon: \(detail)"
        case .connectionClosed: "the daemon closed the connection before answering"
        case .responseTooLarge(let bytes): "response body over \(bytes) bytes"
        case .poolClosed: "the HTTP client is closed"
        case .invalidRequest(let detail): "the request cannot be sent as HTTP/1.1: \(detail)"
        }
    }
}

/// The bottom of a connection's pipeline: writes the bytes `HTTPResponseCollector` serialised and
/// drops the request heads, which only the response decoder above needs (to pair each response
/// with its request's method).
final class HTTPRequestBytesWriter: ChannelOutboundHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = ByteBuffer

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head:
            promise?.succeed(())
        case .body(.byteBuffer(let buffer)):
            context.write(wrapOutboundOut(buffer), promise: promise)
        case .body(.fileRegion):
            promise?.fail(HTTPClientError.invalidRequest("file bodies are not supported"))
        case .end:
            promise?.succeed(())
        }
    }
}

struct HTTPRequestWithPromise: Sendable {
    var request: HTTPClientRequest
    var host: String
    var promise: EventLoopPromise<HTTPClientResponse>
}

/// Writes a request and completes its promise when the matching response has been read.
///
/// Requests on one connection are answered in order, so a FIFO of promises is enough. A request
/// unanswered after `requestTimeout` closes the connection (failing every pending request); one
/// timer per connection checks it, re-armed at most once per timeout rather than per request.
final class HTTPResponseCollector: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPRequestWithPromise
    typealias OutboundOut = HTTPClientRequestPart

    private let requestTimeout: TimeAmount
    private var pending: CircularBuffer<EventLoopPromise<HTTPClientResponse>> = []
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    /// When the oldest unanswered request was written; nil when none is pending.
    private var oldestPendingSince: NIODeadline?
    private var timer: Scheduled<Void>?

    init(requestTimeout: TimeAmount) {
        self.requestTimeout = requestTimeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let item = unwrapOutboundIn(data)
        let request = item.request
        // The request is written as bytes in one buffer (one write, no header table to build); the
        // response decoder still gets a head, to pair each response with its request's method.
        guard let bytes = Self.serialize(request, host: item.host, allocator: context.channel.allocator) else {
            let error = HTTPClientError.invalidRequest("\(request.method) \(request.path)")
            item.promise.fail(error)
            promise?.fail(error)
            return
        }
        pending.append(item.promise)
        if oldestPendingSince == nil {
            let now = NIODeadline.now()
            oldestPendingSince = now
            if timer == nil { armTimer(context: context, at: now + requestTimeout) }
        }
        // A write that fails (the connection closed meanwhile) fails the request.
        let written = promise ?? context.eventLoop.makePromise(of: Void.self)
        let requestPromise = item.promise
        written.futureResult.whenFailure { requestPromise.fail($0) }
        context.write(wrapOutboundOut(.head(Self.head(for: request.method))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: written)
    }

    private static let getHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
    private static let postHead = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")

    private static func head(for method: HTTPMethod) -> HTTPRequestHead {
        switch method {
        case .GET: getHead
        case .POST: postHead
        default: HTTPRequestHead(version: .http1_1, method: method, uri: "/")
        }
    }

    /// The request line, headers and body; nil when the path or a header would break the framing
    /// (a control character, a space in the path, a header name that is not a token).
    static func serialize(_ request: HTTPClientRequest, host: String, allocator: ByteBufferAllocator) -> ByteBuffer? {
        func isFieldValue(_ text: String) -> Bool { !text.utf8.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F } }
        func isToken(_ text: String) -> Bool {
            !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && !"()<>@,;:\\\"/[]?={}".utf8.contains($0) }
        }
        guard !request.path.isEmpty, request.path.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }), isFieldValue(host),
              request.headers.allSatisfy({ isToken($0.0) && isFieldValue($0.1) })
        else { return nil }
        var buffer = allocator.buffer(capacity: 160 + request.path.utf8.count + (request.body?.count ?? 0))
        buffer.writeString(request.method.rawValue)
        buffer.writeStaticString(" ")
        buffer.writeString(request.path)
        buffer.writeStaticString(" HTTP/1.1\r\nHost: ")
        buffer.writeString(host)
        buffer.writeStaticString("\r\n")
        for (name, value) in request.headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        if let body = request.body {
            buffer.writeStaticString("Content-Type: application/json\r\nContent-Length: ")
            buffer.writeString(String(body.count))
            buffer.writeStaticString("\r\n\r\n")
            buffer.writeBytes(body)
        } else if request.method == .POST || request.method == .PUT {
            buffer.writeStaticString("Content-Length: 0\r\n\r\n")
        } else {
            buffer.writeStaticString("\r\n")
        }
        return buffer
    }

    private func armTimer(context: ChannelHandlerContext, at deadline: NIODeadline) {
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) {
            self.timerFired(context: loopBoundContext.value)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        guard let since = oldestPendingSince else { return }
        let due = since + requestTimeout
        if NIODeadline.now() >= due {
            context.close(promise: nil)
        } else {
            armTimer(context: context, at: due)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            head = responseHead
            body.removeAll(keepingCapacity: true)
        case .body(var buffer):
            if body.count + buffer.readableBytes > HTTPConnectionPool.responseBodyBytesMax {
                failAll(HTTPClientError.responseTooLarge(HTTPConnectionPool.responseBodyBytesMax))
                context.close(promise: nil)
                return
            }
            buffer.withUnsafeReadableBytes { body.append(contentsOf: $0) }
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        case .end:
            guard let responseHead = head, let promise = pending.popFirst() else { return }
            head = nil
            oldestPendingSince = pending.isEmpty ? nil : NIODeadline.now()
            promise.succeed(HTTPClientResponse(status: responseHead.status, headers: responseHead.headers,
                                               body: body, keepAlive: responseHead.isKeepAlive))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        failAll(HTTPClientError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        oldestPendingSince = nil
        while let promise = pending.popFirst() { promise.fail(error) }
    }
}
