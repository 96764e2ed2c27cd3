import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// The whole daemon: the core plus its two transports, run as one swift-service-lifecycle
/// `ServiceGroup` — `certsim serve` runs it until SIGTERM/SIGINT, tests and the runner start it
/// in-process with `Daemon.start` (port 0 gives a free port, reported in `httpPort`).
///
/// Start order: check that no daemon answers on the control socket path, open the core (store
/// recovery included), bind the control socket, then start the HTTP server; `start` returns
/// once both listen.
///
/// Graceful shutdown (SIGTERM, SIGINT, the `shutdown` command or `shutdown()`) runs the
/// services in reverse order, each finishing before the next begins:
/// 1. the core refuses new work: for `HTTPLimits.shutdownGraceSeconds` the HTTP server keeps
///    its connections and answers every new request 503 SHUTTING_DOWN with `Retry-After`
///    (instead of a connection closed without a reply), while the requests in flight finish
///    (an answer being recorded is acknowledged once durable, as always);
/// 2. the HTTP server stops accepting connections and closes them;
/// 3. the control socket stops accepting, lets each connection finish its current command,
///    closes them and removes the socket file;
/// 4. the core flushes and closes the result writer.
///
/// Owned by the daemon transports.
///
/// ```swift
/// let daemon = try await Daemon.start(DaemonOptions(core: configuration, socketPath: "/tmp/c.sock", httpPort: 0))
/// print(daemon.httpPort)
/// try await daemon.shutdown()
/// ```
public final class Daemon: Sendable {
    public let core: DaemonCore
    public let options: DaemonOptions
    /// The port the HTTP server actually listens on.
    public let httpPort: Int
    public var socketPath: String { options.socketPath }
    public var httpBaseURL: String { "http://\(options.httpHost):\(httpPort)" }

    private let serviceGroup: ServiceGroup
    private let running: Task<Void, any Error>

    private init(
        core: DaemonCore, options: DaemonOptions, httpPort: Int, serviceGroup: ServiceGroup,
        running: Task<Void, any Error>
    ) {
        self.core = core
        self.options = options
        self.httpPort = httpPort
        self.serviceGroup = serviceGroup
        self.running = running
    }

    /// Opens the core, binds both servers and returns once they listen.
    public static func start(_ options: DaemonOptions, logger: Logger = Logger(label: "certsim.daemon")) async throws
        -> Daemon
    {
        // Refuse before touching the store when another daemon answers on the socket path:
        // two daemons must not share one store.
        try SocketFile.removeStale(at: options.socketPath)
        let core = try await DaemonCore.open(options.core)
        let commands = ControlCommands(proctors: core.proctors, limits: options.controlLimits, logger: logger)
        let control = ControlServer(
            socketPath: options.socketPath, socketMode: options.socketMode, commands: commands, logger: logger)
        do {
            try await control.bind()
        } catch {
            await core.shutdown()
            throw error
        }

        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let routes = CandidateRoutes(core: core, limits: options.httpLimits)
        let http = Application(
            router: routes.buildRouter(),
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(options.httpLimits.idleTimeoutSeconds)))),
            configuration: ApplicationConfiguration(
                address: .hostname(options.httpHost, port: options.httpPort),
                serverName: "certsim",
                availableConnectionsDelegate: MaximumAvailableConnections(options.httpLimits.connectionsMax, logger: logger)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)

        let serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: CoreService(core: core), serviceName: "core"),
                    .init(service: control, serviceName: "control-socket"),
                    .init(service: http, serviceName: "http"),
                    .init(
                        service: DrainService(core: core, graceSeconds: options.httpLimits.shutdownGraceSeconds),
                        serviceName: "drain"),
                ],
                gracefulShutdownSignals: options.handlesSignals ? [.sigterm, .sigint] : [],
                logger: logger))
        control.onShutdownRequest {
            Task { await serviceGroup.triggerGracefulShutdown() }
        }
        let running = Task {
            defer { portContinuation.finish() }
            try await serviceGroup.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            // The group stopped before the HTTP server listened: report why.
            let address = "\(options.httpHost):\(options.httpPort)"
            do {
                try await running.value
            } catch {
                throw DaemonStartError(description: "cannot listen on \(address): \(error)")
            }
            throw DaemonStartError(description: "the HTTP server stopped before listening on \(address)")
        }
        logger.info(
            "daemon listening",
            metadata: ["http": "\(options.httpHost):\(port)", "socket": "\(options.socketPath)"])
        return Daemon(core: core, options: options, httpPort: port, serviceGroup: serviceGroup, running: running)
    }

    /// Shuts down gracefully (see the type's documentation) and waits until done.
    public func shutdown() async throws {
        await serviceGroup.triggerGracefulShutdown()
        try await running.value
    }

    /// Waits until the daemon stops (a signal, the `shutdown` command, or a failure).
    public func waitUntilStopped() async throws {
        try await running.value
    }
}

/// Transport settings of a daemon, around the core's `DaemonConfiguration`.
///
/// Owned by the daemon transports.
public struct DaemonOptions: Sendable {
    public var core: DaemonConfiguration
    public var socketPath: String
    /// Permission bits of the control socket file: 0o600, or 0o660 to let a group of proctors in.
    public var socketMode: UInt32
    /// Loopback by default: the candidate API is meant to sit behind the institution's proxy.
    public var httpHost: String
    /// 0 picks a free port (see `Daemon.httpPort`).
    public var httpPort: Int
    public var httpLimits: HTTPLimits
    public var controlLimits: ControlLimits
    /// Whether SIGTERM and SIGINT trigger a graceful shutdown (true for `serve`).
    public var handlesSignals: Bool

    public init(
        core: DaemonConfiguration, socketPath: String, socketMode: UInt32 = 0o600, httpHost: String = "127.0.0.1",
        httpPort: Int = 8080, httpLimits: HTTPLimits = HTTPLimits(), controlLimits: ControlLimits = ControlLimits(),
        handlesSignals: Bool = false
    ) {
        self.core = core
        self.socketPath = socketPath
        self.socketMode = socketMode
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.httpLimits = httpLimits
        self.controlLimits = controlLimits
        self.handlesSignals = handlesSignals
    }
}

/// The daemon could not start.
public struct DaemonStartError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The first service to stop at a graceful shutdown (the last of the group): the core starts
/// refusing with SHUTTING_DOWN while both servers still answer, requests in flight drain, and
/// the servers stop `graceSeconds` later.
struct DrainService: Service {
    let core: DaemonCore
    let graceSeconds: Double

    func run() async throws {
        try? await gracefulShutdown()
        let started = ContinuousClock.now
        await core.stopAccepting()
        let grace = Duration.milliseconds(Int64(max(0, graceSeconds) * 1000))
        try? await Task.sleep(until: started + grace, clock: .continuous)
    }
}

/// The core as the last service of the group: shut down after both servers have stopped.
struct CoreService: Service {
    let core: DaemonCore

    func run() async throws {
        try? await gracefulShutdown()
        await core.shutdown()
    }
}
