import CertCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The proctors' control socket: a Unix domain socket speaking newline-delimited JSON
/// (`ControlRequest` in, `ControlResponse` out), one `ControlCommands` call per line.
///
/// - The socket file is created with mode 0600 (or `socketMode`, which may add group
///   read/write, never access for others): it is bound inside a private directory, given its
///   mode, then renamed into place, so it is never reachable with a wider mode.
/// - A socket file left by a crashed daemon is removed at start, but only if nothing answers
///   on it; a file that is not a socket is never removed.
/// - Lines longer than `ControlLimits.lineBytesMax` are discarded with a LINE_TOO_LONG error;
///   malformed lines, unknown commands and missing fields get an error response; in every case
///   the connection stays usable.
/// - Requests on one connection run one after the other, in order; `watch` then streams
///   events on the same connection (as `{"event": …}` lines) until the client closes.
/// - Graceful shutdown: stop accepting, let each connection finish the command it is running,
///   close the connections, remove the socket file.
///
/// Framing and parsing run in a plain callback channel handler on the event loop (no
/// `NIOAsyncChannel` per connection); each connection hands its parsed lines to one task,
/// which runs them in order.
///
/// Owned by the daemon transports.
///
/// ```swift
/// let server = ControlServer(socketPath: "/run/certsim.sock", commands: ControlCommands(proctors: core.proctors, logger: logger), logger: logger)
/// try await server.bind()
/// try await server.run()   // until graceful shutdown
/// ```
public final class ControlServer: Service, Sendable {
    public let socketPath: String
    /// Permission bits of the socket file (0o600 by default).
    public let socketMode: UInt32
    let commands: ControlCommands
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    private let state = Mutex(State())

    private struct State {
        var serverChannel: (any Channel)?
        var connections: [ObjectIdentifier: ControlConnection] = [:]
        var stopping = false
        var stopped = false
        var onShutdownRequest: (@Sendable () -> Void)?
    }

    public init(
        socketPath: String, socketMode: UInt32 = 0o600, commands: ControlCommands, logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.socketPath = socketPath
        self.socketMode = socketMode
        self.commands = commands
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
    }

    /// Called when a client sends `shutdown` (the daemon wires it to its service group).
    public func onShutdownRequest(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.onShutdownRequest = handler }
    }

    /// Number of open connections (for tests and stats).
    public var connectionsCount: Int { state.withLock { $0.connections.count } }

    /// Creates the socket file and starts accepting. Throws `ControlSocketError` when the path
    /// is taken by a live daemon or is not a socket.
    public func bind() async throws {
        guard socketMode & 0o7007 == 0, socketMode & 0o600 == 0o600 else {
            throw ControlSocketError(
                "socket mode \(String(socketMode, radix: 8)) must give the owner read/write and nothing to others")
        }
        try SocketFile.removeStale(at: socketPath)

        // Bind inside a fresh private directory next to the final path, set the mode, then
        // rename: the file never exists at its public path with a wider mode than asked.
        let directory = (socketPath as NSString).deletingLastPathComponent
        let privateDirectory = try SocketFile.makePrivateDirectory(in: directory.isEmpty ? "." : directory)
        defer { rmdir(privateDirectory) }
        let temporaryPath = privateDirectory + "/s"

        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 64)
            // A client may send its last request and close its side: answer it before closing.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.setUpConnection(channel)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(unixDomainSocketPath: temporaryPath).get()
        } catch {
            throw ControlSocketError("cannot bind the control socket at \(socketPath): \(error)")
        }
        guard chmod(temporaryPath, mode_t(socketMode)) == 0, rename(temporaryPath, socketPath) == 0 else {
            let reason = String(cString: strerror(errno))
            try? await channel.close()
            unlink(temporaryPath)
            throw ControlSocketError("cannot place the control socket at \(socketPath): \(reason)")
        }
        state.withLock { $0.serverChannel = channel }
        logger.info("control socket listening", metadata: ["path": "\(socketPath)", "mode": "\(String(socketMode, radix: 8))"])
    }

    /// Serves until graceful shutdown (binding first if `bind()` was not called), then stops.
    public func run() async throws {
        if state.withLock({ $0.serverChannel == nil && !$0.stopped }) {
            try await bind()
        }
        try? await gracefulShutdown()
        await stop()
    }

    /// Stops accepting, lets every connection finish its current command (at most
    /// `shutdownDrainSeconds`), closes them and removes the socket file. Idempotent.
    public func stop() async {
        let (serverChannel, connections) = state.withLock { state in
            let alreadyStopping = state.stopping
            state.stopping = true
            return alreadyStopping ? (nil, []) : (state.serverChannel, Array(state.connections.values))
        }
        guard let serverChannel else { return }
        try? await serverChannel.close()
        unlink(socketPath)
        for connection in connections {
            connection.finishInput()
        }
        let drainDeadline = ContinuousClock.now + .seconds(commands.limits.shutdownDrainSeconds)
        for connection in connections {
            await connection.waitClosed(until: drainDeadline)
        }
        state.withLock { $0.stopped = true }
        logger.info("control socket closed", metadata: ["path": "\(socketPath)"])
    }

    private func setUpConnection(_ channel: any Channel) throws {
        let limits = commands.limits
        let connection = ControlConnection(channel: channel, pendingRequestsMax: limits.pendingRequestsMax)
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping, state.connections.count < limits.connectionsMax else { return false }
            state.connections[ObjectIdentifier(connection)] = connection
            return true
        }
        guard accepted else {
            try channel.pipeline.syncOperations.addHandler(RefusingHandler(error: ControlErrors.tooManyConnections))
            return
        }
        try channel.pipeline.syncOperations.addHandler(
            ControlLineHandler(connection: connection, lineBytesMax: limits.lineBytesMax))
        channel.closeFuture.whenComplete { [self] _ in
            _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
        }
        Task {
            await connection.serve(commands: commands) { [self] in
                state.withLock { $0.onShutdownRequest }?()
            }
        }
    }
}

/// A refusal to start the control socket (path in use, not a socket, cannot bind).
public struct ControlSocketError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Socket-file housekeeping.
enum SocketFile {
    /// Removes a socket file nothing answers on; refuses a live one or a non-socket.
    static func removeStale(at path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw ControlSocketError("\(path) exists and is not a socket; refusing to replace it")
        }
        if SocketFile.answers(at: path) {
            throw ControlSocketError("another daemon is listening on \(path)")
        }
        unlink(path)
    }

    /// Whether a process accepts connections on the socket at `path`.
    static func answers(at path: String) -> Bool {
        guard let fd = try? ControlClient.connectSocket(path: path) else { return false }
        close(fd)
        return true
    }

    static func makePrivateDirectory(in directory: String) throws -> String {
        var template = Array((directory + "/.certsim-sock-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw ControlSocketError("cannot create a private directory in \(directory): \(String(cString: strerror(errno)))")
        }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// One input of a connection's command task.
enum ControlInput: Sendable {
    case request(ControlRequest)
    case failure(ControlFailure)
}

/// One client connection: its parsed lines go, in order, to one task that runs them.
final class ControlConnection: Sendable {
    let channel: any Channel
    private let inputs: AsyncStream<ControlInput>
    private let continuation: AsyncStream<ControlInput>.Continuation
    private let pendingRequestsMax: Int
    private let shared = Mutex(Shared())

    private struct Shared {
        var pending = 0
        var watch: Task<Void, Never>?
        var closed = false
    }

    init(channel: any Channel, pendingRequestsMax: Int) {
        self.channel = channel
        self.pendingRequestsMax = pendingRequestsMax
        (inputs, continuation) = AsyncStream.makeStream(of: ControlInput.self)
    }

    /// Queues an input; past `pendingRequestsMax` waiting inputs, answers TOO_MANY_PENDING at once.
    func submit(_ input: ControlInput) {
        let admitted = shared.withLock { shared -> Bool in
            guard shared.pending < pendingRequestsMax else { return false }
            shared.pending += 1
            return true
        }
        if admitted {
            continuation.yield(input)
        } else {
            let id: JSONValue
            switch input {
            case .request(let request): id = request.id
            case .failure(let failure): id = failure.id
            }
            let refusal = ControlResponse(failure: ControlFailure(id: id, error: ControlErrors.tooManyPending(limit: pendingRequestsMax)))
            channel.writeAndFlush(ByteBuffer(string: refusal.line()), promise: nil)
        }
    }

    /// No more inputs: the queued ones still run, then the connection closes (after a running
    /// `watch` ends).
    func finishInput() {
        continuation.finish()
    }

    /// The peer is gone: stop everything.
    func peerClosed() {
        continuation.finish()
        shared.withLock { $0.watch }?.cancel()
    }

    func waitClosed(until deadline: ContinuousClock.Instant) async {
        shared.withLock { $0.watch }?.cancel()
        let closed = channel.closeFuture
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await closed.get() }
            group.addTask { try? await Task.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
        try? await channel.close()
    }

    /// Runs the connection's requests one after the other until its input ends.
    func serve(commands: ControlCommands, requestShutdown: @escaping @Sendable () -> Void) async {
        var connectionState = ControlConnectionState()
        for await input in inputs {
            switch input {
            case .failure(let failure):
                await write(ControlResponse(failure: failure))
            case .request(let request):
                switch await commands.execute(request, connection: &connectionState) {
                case .response(let response):
                    await write(response)
                case .watch(let acknowledgement, let events):
                    await startWatch(acknowledgement, events: events, requestId: request.id)
                case .shutdown(let acknowledgement):
                    await write(acknowledgement)
                    requestShutdown()
                }
            }
            shared.withLock { $0.pending -= 1 }
        }
        await shared.withLock { $0.watch }?.value
        try? await channel.close()
    }

    private func startWatch(
        _ acknowledgement: ControlResponse, events: AsyncStream<SessionEvent>, requestId: JSONValue
    ) async {
        let alreadyWatching = shared.withLock { $0.watch != nil }
        if alreadyWatching {
            let error = DaemonError.conflict(.alreadyWatching, "This connection is already watching; open another one.")
            await write(ControlResponse(failure: ControlFailure(id: requestId, error: error)))
            return
        }
        await write(acknowledgement)
        // The stream keeps the newest `DaemonLimits.eventBufferMax` events: a watcher slower
        // than the session loses the oldest, and the daemon's memory stays bounded.
        let task = Task { [self] in
            for await event in events {
                guard let json = try? JSONValue(encoding: event), await self.write(.event(json)) else { break }
            }
        }
        let cancelled = shared.withLock { shared -> Bool in
            shared.watch = task
            return shared.closed
        }
        if cancelled { task.cancel() }
    }

    func markClosed() {
        shared.withLock { $0.closed = true }
    }

    /// Writes one line and waits until it is handed to the socket; false once the peer is gone.
    @discardableResult
    func write(_ response: ControlResponse) async -> Bool {
        do {
            try await channel.writeAndFlush(ByteBuffer(string: response.line())).get()
            return true
        } catch {
            return false
        }
    }
}

/// Splits the byte stream into lines of at most `lineBytesMax` bytes (``ControlLineFramer``)
/// and parses each; an over-long line is answered LINE_TOO_LONG and skipped.
final class ControlLineHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let connection: ControlConnection
    private var framer: ControlLineFramer

    init(connection: ControlConnection, lineBytesMax: Int) {
        self.connection = connection
        self.framer = ControlLineFramer(lineBytesMax: lineBytesMax)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let chunk = unwrapInboundIn(data)
        framer.append(chunk.readableBytesView)
        while let frame = framer.next() {
            switch frame {
            case .tooLong:
                connection.submit(.failure(ControlFailure(id: .null, error: ControlErrors.lineTooLong(limitBytes: framer.lineBytesMax))))
            case .line(let line):
                var bytes = line[...]
                while let last = bytes.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
                    bytes = bytes.dropLast()
                }
                if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
                switch ControlRequest.parse(line: Data(bytes)) {
                case .success(let request): connection.submit(.request(request))
                case .failure(let failure): connection.submit(.failure(failure))
                }
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            connection.finishInput()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.markClosed()
        connection.peerClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Answers one error line to a connection that cannot be served, then closes it.
final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let error: DaemonError

    private var sent = false

    init(error: DaemonError) { self.error = error }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context: context)
        context.fireChannelActive()
    }

    private func refuse(context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        let channel = context.channel
        let line = ControlResponse(failure: ControlFailure(id: .null, error: error)).line()
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
