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
public actor HTTPConnectionPool {
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
    private var idle: [any Channel] = []
    private var openCount = 0
    private var waiters: [CheckedContinuation<any Channel, any Error>] = []
    private var waitersHead = 0
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
        closed = true
        let channels = idle
        idle.removeAll()
        openCount -= channels.count
        for waiter in waiters[waitersHead...] { waiter.resume(throwing: HTTPClientError.poolClosed) }
        waiters.removeAll()
        waitersHead = 0
        for channel in channels { try? await channel.close() }
    }

    private func checkOut() async throws -> any Channel {
        if closed { throw HTTPClientError.poolClosed }
        while let channel = idle.popLast() {
            if channel.isActive { return channel }
            openCount -= 1
        }
        if openCount < connectionsMax {
            openCount += 1
            do {
                return try await connect()
            } catch {
                openCount -= 1
                wakeOneWaiterWithNewConnection()
                throw HTTPClientError.connectFailed("\(host):\(port): \(error)")
            }
        }
        return try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    private func checkIn(_ channel: any Channel, reusable: Bool) {
        if !reusable || closed {
            openCount -= 1
            channel.close(promise: nil)
            wakeOneWaiterWithNewConnection()
            return
        }
        if waitersHead < waiters.count {
            let waiter = waiters[waitersHead]
            advanceWaiters()
            waiter.resume(returning: channel)
        } else {
            idle.append(channel)
        }
    }

    /// A connection slot came free: open a fresh connection for the longest waiter, if any.
    private func wakeOneWaiterWithNewConnection() {
        guard waitersHead < waiters.count, openCount < connectionsMax, !closed else { return }
        let waiter = waiters[waitersHead]
        advanceWaiters()
        openCount += 1
        Task {
            do {
                waiter.resume(returning: try await self.connect())
            } catch {
                self.connectionFailed()
                waiter.resume(throwing: HTTPClientError.connectFailed("\(self.host):\(self.port): \(error)"))
            }
        }
    }

    private func connectionFailed() { openCount -= 1 }

    private func advanceWaiters() {
        waitersHead += 1
        if waitersHead > 1024, waitersHead * 2 > waiters.count {
            waiters.removeFirst(waitersHead)
            waitersHead = 0
        }
    }

    private func connect() async throws -> any Channel {
        let requestTimeout = self.requestTimeout
        return try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
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

    public var description: String {
        switch self {
        case .connectFailed(let detail): "cannot connect to the daemon: \(detail)"
        case .connectionClosed: "the daemon closed the connection before answering"
        case .responseTooLarge(let bytes): "response body over \(bytes) bytes"
        case .poolClosed: "the HTTP client is closed"
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
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: item.host)
        for (name, value) in request.headers { headers.add(name: name, value: value) }
        var buffer: ByteBuffer?
        if let bytes = request.body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(bytes.count))
            buffer = context.channel.allocator.buffer(bytes: bytes)
        } else if request.method == .POST || request.method == .PUT {
            headers.add(name: "Content-Length", value: "0")
        }
        let requestHead = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.path, headers: headers)
        context.write(wrapOutboundOut(.head(requestHead)), promise: nil)
        if let buffer { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: written)
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
