import CertCore
import CertDaemon
import Foundation
import NIOCore
import NIOPosix

/// The proctor operations over the daemon's control socket (NDJSON on a Unix domain socket),
/// as a real invigilator's client would send them: `session.create`, `login` with the session's
/// invigilator password, `candidate.enrol`, `candidate.authorize`, `alert.validate`…
///
/// Sessions are spread over a few connections (by a stable hash of the session id); each
/// connection logs in to the sessions it carries and keeps at most `inFlightPerConnectionMax`
/// requests outstanding, below the daemon's pending-request limit. Requests on one connection may
/// overlap; responses are matched by id.
///
/// A connection that closes (the daemon restarted, a request timed out) is opened again by the
/// next request on it, which first logs in again to every session the connection had logged in
/// to: a daemon restarted on the same socket and store is reached again transparently. The
/// request that met the closed connection fails with `TRANSPORT_CONNECTION_FAILED` (it may or
/// may not have been carried out); whether to send it again is the caller's decision.
///
/// Owned by the runner's transport half.
///
/// ```swift
/// let proctors = try await ControlProctorTransport.connect(socketPath: "certsim-data/certsim.sock")
/// let session = try await proctors.createSession(CreateSessionRequest(sessionId: "c001-s01-w1"))
/// try await proctors.login(sessionId: session.sessionId, password: session.invigilatorPassword)
/// ```
public final class ControlProctorTransport: ProctorTransport {
    /// Default number of control connections. The daemon runs one connection's commands one after
    /// the other (each waits for the store in durable mode), so proctor throughput grows with
    /// connections; the daemon accepts 64 by default.
    public static let defaultConnections = 16
    /// Requests outstanding on one connection (the daemon's default pending limit is 64).
    public static let inFlightPerConnectionMax = 16
    /// Longest response line accepted from the daemon.
    public static let responseLineBytesMax = 16 * 1024 * 1024
    /// Default time a request may wait for its response before the connection is given up.
    public static let defaultRequestTimeoutSeconds: Int64 = 60

    private let connections: [ControlSocketConnection]

    private init(connections: [ControlSocketConnection]) { self.connections = connections }

    /// Connects `connections` sockets to the daemon's control socket at `socketPath`.
    public static func connect(
        socketPath: String, connections count: Int = defaultConnections,
        requestTimeoutSeconds: Int64 = defaultRequestTimeoutSeconds,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(DaemonError) -> ControlProctorTransport {
        precondition(count > 0, "at least one control connection")
        var connections: [ControlSocketConnection] = []
        for _ in 0..<count {
            do throws(DaemonError) {
                connections.append(try await ControlSocketConnection.open(
                    socketPath: socketPath, timeout: .seconds(requestTimeoutSeconds), group: group))
            } catch {
                for connection in connections { await connection.close() }
                throw error
            }
        }
        return ControlProctorTransport(connections: connections)
    }

    private func connection(for sessionId: String) -> ControlSocketConnection {
        connections[Int(SeededRandom.key(sessionId) % UInt64(connections.count))]
    }

    public func createSession(_ request: CreateSessionRequest) async throws(DaemonError) -> SessionCreated {
        var arguments: [String: JSONValue] = [:]
        if let sessionId = request.sessionId { arguments["sessionId"] = .string(sessionId) }
        if let name = request.name { arguments["name"] = .string(name) }
        if let centre = request.centre { arguments["centre"] = .string(centre) }
        if let duration = request.nominalDurationSeconds { arguments["nominalDurationSeconds"] = .number(duration) }
        if let version = request.certificationVersion { arguments["certificationVersion"] = .string(version) }
        if let hash = request.certificationVersionHash { arguments["certificationVersionHash"] = .string(hash) }
        // Without a chosen id the session's connection is unknown in advance: use the first.
        let target = request.sessionId.map(connection(for:)) ?? connections[0]
        return try await target.call("session.create", arguments, as: SessionCreated.self)
    }

    public func login(sessionId: String, password: String) async throws(DaemonError) {
        try await connection(for: sessionId).login(sessionId: sessionId, password: password)
    }

    public func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String) async throws(DaemonError) {
        _ = try await connection(for: sessionId).call("candidate.enrol", [
            "sessionId": .string(sessionId), "candidateId": .string(candidateId),
            "needsAccessibility": .bool(needsAccessibility), "locale": .string(locale),
        ])
    }

    public func enrol(sessionId: String, candidateId: String, needsAccessibility: Bool, locale: String,
                      complementaryVersionId: String?) async throws(DaemonError) {
        var fields: [String: JSONValue] = [
            "sessionId": .string(sessionId), "candidateId": .string(candidateId),
            "needsAccessibility": .bool(needsAccessibility), "locale": .string(locale),
        ]
        if let complementaryVersionId { fields["complementary"] = .string(complementaryVersionId) }
        _ = try await connection(for: sessionId).call("candidate.enrol", fields)
    }

    public func authorize(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await candidateCommand("candidate.authorize", sessionId, candidateId)
    }

    public func validateLiveAlert(sessionId: String, candidateId: String, reason: LiveAlertReason) async throws(DaemonError) {
        _ = try await connection(for: sessionId).call(
            "alert.validate",
            ["sessionId": .string(sessionId), "candidateId": .string(candidateId), "reason": .string(reason.rawValue)])
    }

    public func dismissLiveAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await candidateCommand("alert.dismiss", sessionId, candidateId)
    }

    public func raiseCompanionAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await candidateCommand("companion.raise", sessionId, candidateId)
    }

    public func clearCompanionAlert(sessionId: String, candidateId: String) async throws(DaemonError) {
        try await candidateCommand("companion.clear", sessionId, candidateId)
    }

    public func showSession(_ sessionId: String) async throws(DaemonError) -> SessionDetail {
        try await connection(for: sessionId).call("session.show", ["sessionId": .string(sessionId)], as: SessionDetail.self)
    }

    public func finalize(sessionId: String, abortReasons: [String: AbortReason]) async throws(DaemonError) -> FinalizationSummary {
        let reasons = JSONValue.object(abortReasons.mapValues { .string($0.rawValue) })
        return try await connection(for: sessionId).call(
            "session.finalize", ["sessionId": .string(sessionId), "abortReasons": reasons], as: FinalizationSummary.self)
    }

    public func publish(sessionId: String) async throws(DaemonError) -> [PublishedCertificate] {
        try await connection(for: sessionId).call(
            "session.publish", ["sessionId": .string(sessionId)], as: [PublishedCertificate].self)
    }

    public func results(sessionId: String) async throws(DaemonError) -> [ResultRecord] {
        try await connection(for: sessionId).call(
            "session.results", ["sessionId": .string(sessionId)], as: [ResultRecord].self)
    }

    public func closeSession(_ sessionId: String) async {
        await connection(for: sessionId).forget(sessionId: sessionId)
    }

    public func close() async {
        for connection in connections { await connection.close() }
    }

    private func candidateCommand(_ command: String, _ sessionId: String, _ candidateId: String) async throws(DaemonError) {
        _ = try await connection(for: sessionId).call(
            command, ["sessionId": .string(sessionId), "candidateId": .string(candidateId)])
    }
}

/// One control-socket connection: numbered requests out, responses matched back by id. Opened
/// again, with its logins replayed, by the first request after it closed.
actor ControlSocketConnection {
    private let socketPath: String
    private let group: any EventLoopGroup
    private let timeout: TimeAmount
    private let inFlight = AsyncSemaphore(permits: ControlProctorTransport.inFlightPerConnectionMax)
    private var channel: (any Channel)?
    /// Session id → invigilator password, for every session this connection logged in to.
    private var logins: [String: String] = [:]
    /// Requests waiting for a reconnection in progress (nil: none in progress).
    private var reconnectionWaiters: [CheckedContinuation<Void, Never>]?
    private var nextId = 1
    private var closed = false
    /// Times the connection was opened again (tests).
    private(set) var reconnections = 0

    private init(socketPath: String, timeout: TimeAmount, group: any EventLoopGroup, channel: any Channel) {
        self.socketPath = socketPath
        self.timeout = timeout
        self.group = group
        self.channel = channel
    }

    /// Connects to the control socket; refuses with `TRANSPORT_CONNECTION_FAILED` when nothing listens.
    static func open(socketPath: String, timeout: TimeAmount, group: any EventLoopGroup)
        async throws(DaemonError) -> ControlSocketConnection
    {
        ControlSocketConnection(socketPath: socketPath, timeout: timeout, group: group,
                                channel: try await connectChannel(socketPath: socketPath, group: group))
    }

    private static func connectChannel(socketPath: String, group: any EventLoopGroup) async throws(DaemonError) -> any Channel {
        do {
            return try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(NewlineFrameDecoder(lineBytesMax: ControlProctorTransport.responseLineBytesMax)))
                        try channel.pipeline.syncOperations.addHandler(ControlResponseRouter())
                    }
                }
                .connect(unixDomainSocketPath: socketPath)
                .get()
        } catch {
            throw TransportErrorCode.error(TransportErrorCode.connectionFailed,
                                           "cannot connect to the control socket \(socketPath): \(error)")
        }
    }

    /// Logs in to a session and remembers the password, to log in again after a reconnection.
    func login(sessionId: String, password: String) async throws(DaemonError) {
        _ = try await call("login", ["sessionId": .string(sessionId), "password": .string(password)])
        logins[sessionId] = password
    }

    /// Stops logging in again to a session after a reconnection.
    func forget(sessionId: String) {
        logins[sessionId] = nil
    }

    func call<Result: Decodable>(_ command: String, _ arguments: [String: JSONValue], as: Result.Type)
        async throws(DaemonError) -> Result
    {
        let result = try await call(command, arguments)
        do {
            return try result.decode(as: Result.self)
        } catch {
            throw TransportErrorCode.error(TransportErrorCode.badResponse, "\(command): unreadable result: \(error)")
        }
    }

    func call(_ command: String, _ arguments: [String: JSONValue]) async throws(DaemonError) -> JSONValue {
        let channel = try await openChannel()
        return try await send(command, arguments, on: channel)
    }

    /// The open channel, or a new one (with every login replayed) when it closed. Of the
    /// requests that find it closed, the first reconnects and the others wait for it.
    private func openChannel() async throws(DaemonError) -> any Channel {
        if let channel, channel.isActive { return channel }
        guard !closed else {
            throw TransportErrorCode.error(TransportErrorCode.connectionFailed, "the control connection is closed")
        }
        if reconnectionWaiters != nil {
            await withCheckedContinuation { reconnectionWaiters?.append($0) ?? $0.resume() }
            if let channel, channel.isActive { return channel }
            throw TransportErrorCode.error(TransportErrorCode.connectionFailed,
                                           "the control connection to \(socketPath) could not be opened again")
        }
        reconnectionWaiters = []
        defer {
            let waiters = reconnectionWaiters ?? []
            reconnectionWaiters = nil
            for waiter in waiters { waiter.resume() }
        }
        if let stale = channel {
            channel = nil
            stale.close(promise: nil)
        }
        let fresh = try await Self.connectChannel(socketPath: socketPath, group: group)
        reconnections += 1
        for (sessionId, password) in logins.sorted(by: { $0.key < $1.key }) {
            do throws(DaemonError) {
                _ = try await send("login", ["sessionId": .string(sessionId), "password": .string(password)], on: fresh)
            } catch where TransportErrorCode.connectionLost.contains(error.code) {
                fresh.close(promise: nil)
                throw error
            } catch {
                // The daemon refused the login (e.g. the session is gone): commands on that
                // session will say so with their own refusal.
                continue
            }
        }
        channel = fresh
        return fresh
    }

    private func send(_ command: String, _ arguments: [String: JSONValue], on channel: any Channel)
        async throws(DaemonError) -> JSONValue
    {
        let id = nextId
        nextId += 1
        await inFlight.acquire()
        let response: ControlResponse
        do {
            let promise = channel.eventLoop.makePromise(of: ControlResponse.self)
            let request = ControlRequest(id: .number(Double(id)), command: command, arguments: arguments)
            let deadline = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
            // A write that never reaches the socket (the channel closed meanwhile) fails the request
            // instead of leaving it waiting for a response that cannot come.
            let written = channel.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenFailure { promise.fail($0) }
            channel.writeAndFlush(PendingControlRequest(id: id, line: request.jsonLine(), promise: promise), promise: written)
            defer { deadline.cancel() }
            response = try await promise.futureResult.get()
            await inFlight.release()
        } catch {
            await inFlight.release()
            throw TransportErrorCode.error(TransportErrorCode.connectionFailed, "\(command): \(error)")
        }
        switch response {
        case .success(_, let result):
            return result
        case .failure(_, let code, let message):
            // The failure line carries no Retry-After: a retryable code waits its catalogued time.
            throw DaemonError(code, message)
        case .event:
            throw TransportErrorCode.error(TransportErrorCode.badResponse, "\(command): an event instead of a response")
        }
    }

    func close() async {
        closed = true
        let open = channel
        channel = nil
        logins.removeAll()
        try? await open?.close()
    }
}

struct PendingControlRequest: Sendable {
    var id: Int
    var line: String
    var promise: EventLoopPromise<ControlResponse>
}

/// Writes request lines and completes each request's promise with the response bearing its id.
final class ControlResponseRouter: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = PendingControlRequest
    typealias OutboundOut = ByteBuffer

    private var pending: [Int: EventLoopPromise<ControlResponse>] = [:]

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        pending[request.id] = request.promise
        var buffer = context.channel.allocator.buffer(capacity: request.line.utf8.count + 1)
        buffer.writeString(request.line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard let bytes = buffer.readBytes(length: buffer.readableBytes),
              let response = try? ControlResponse.parse(line: Data(bytes))
        else { return }
        switch response {
        case .event:
            return
        case .success(let id, _), .failure(let id, _, _):
            guard let key = id.intValue, let promise = pending.removeValue(forKey: key) else { return }
            promise.succeed(response)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(ControlTransportFailure.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        let promises = pending.values
        pending.removeAll()
        for promise in promises { promise.fail(error) }
    }
}

enum ControlTransportFailure: Error, CustomStringConvertible {
    case closed
    case lineTooLong(Int)

    var description: String {
        switch self {
        case .closed: "the control connection closed (or a request timed out)"
        case .lineTooLong(let bytes): "a response line is longer than \(bytes) bytes"
        }
    }
}

/// Splits the byte stream into lines (``ControlLineFramer``), refusing lines over a limit.
struct NewlineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    var framer: ControlLineFramer

    init(lineBytesMax: Int) {
        framer = ControlLineFramer(lineBytesMax: lineBytesMax)
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        framer.append(buffer.readableBytesView)
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        while let frame = framer.next() {
            switch frame {
            case .tooLong: throw ControlTransportFailure.lineTooLong(framer.lineBytesMax)
            case .line(let line): context.fireChannelRead(wrapInboundOut(ByteBuffer(bytes: line)))
            }
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        _ = try decode(context: context, buffer: &buffer)
        return .needMoreData
    }
}
