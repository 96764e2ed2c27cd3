import CertCore
import Foundation
import Logging
import Synchronization

/// The commands of the control socket: each maps one JSON request onto one `ProctorService`
/// call. The rules live in the service; this file checks fields, login and nothing else.
///
/// | cmd                 | fields                                              | login | result |
/// |---------------------|-----------------------------------------------------|-------|--------|
/// | help                | —                                                   | no    | the command names |
/// | session.create      | sessionId?, name?, centre?, nominalDurationSeconds?, certificationVersion?, certificationVersionHash? | no | SessionCreated (this connection is then logged in to it) |
/// | session.list        | —                                                   | no    | [SessionSummary] |
/// | login               | sessionId, password                                 | —     | {"sessionId", "loggedIn": true} |
/// | session.show        | sessionId                                           | yes   | SessionDetail |
/// | candidate.enrol     | sessionId, candidateId, needsAccessibility?, locale?, extraTimePercent?, complementary? (a Pix+ version id) | yes | {} |
/// | candidate.authorize | sessionId, candidateId                              | yes   | {} |
/// | candidate.end       | sessionId, candidateId                              | yes   | {} |
/// | alert.list          | sessionId                                           | yes   | [AlertSummary] |
/// | alert.validate      | sessionId, candidateId, reason (WEBSITE_BLOCKED, …)  | yes   | {} |
/// | alert.dismiss       | sessionId, candidateId                              | yes   | {} |
/// | companion.raise     | sessionId, candidateId                              | yes   | {} |
/// | companion.clear     | sessionId, candidateId                              | yes   | {} |
/// | session.finalize    | sessionId, abortReasons? {candidateId: "candidate" or "technical"} | yes | FinalizationSummary |
/// | session.publish     | sessionId                                           | yes   | [PublishedCertificate] |
/// | session.results     | sessionId                                           | yes   | [ResultRecord] (the stored results, capacity and error rate included) |
/// | candidate.jury      | sessionId, candidateId, level (LEVEL_ADVANCED or LEVEL_EXPERT) | yes | CertificateResponse (the Pix+ Édu certificate as now verified) |
/// | watch               | sessionId                                           | yes   | {"watching": sessionId}, then one {"event": …} line per event (see below) |
/// | stats               | —                                                   | no    | DaemonStats |
/// | shutdown            | —                                                   | no    | {"shuttingDown": true}, then a graceful shutdown (anyone who can open the socket) |
///
/// `watch` streams the session's `SessionEvent`s as they happen (starts, answers, alerts,
/// ends, …). An acknowledged answer is an `answerRecorded` event with the candidate's
/// `answersCount`, never the challenge or the result. The stream keeps the newest
/// `DaemonLimits.eventBufferMax` events when the client reads slower than the session moves.
///
/// Access to the socket file itself (mode 0600 by default) is the operator boundary; the
/// session login keeps proctors of different sessions apart when the socket is shared with a
/// group. `shutdown` (like `stats` and `session.create`) needs no login: **any client that can
/// open the socket can stop the daemon** — with mode 0600 only the daemon's own user (and
/// root); with 0660 every member of the socket's group. Passwords are never logged. Failed logins are limited twice: per connection, and per
/// session across connections (so reconnecting gives a guesser no fresh tries); past
/// `ControlLimits.loginFailuresMax` failures in a row, logins wait `loginLockSeconds`.
///
/// Owned by the daemon transports.
public struct ControlCommands: Sendable {
    public let proctors: ProctorService
    public let limits: ControlLimits
    let logger: Logger
    /// Failed logins per session, shared by every connection.
    let sessionLogins = LoginThrottle()

    public init(proctors: ProctorService, limits: ControlLimits = ControlLimits(), logger: Logger) {
        self.proctors = proctors
        self.limits = limits
        self.logger = logger
    }

    /// Every command name, in the order of the table above.
    public static let names = [
        "help", "session.create", "session.list", "login", "session.show", "candidate.enrol", "candidate.authorize",
        "candidate.end", "alert.list", "alert.validate", "alert.dismiss", "companion.raise", "companion.clear",
        "session.finalize", "session.publish", "session.results", "candidate.jury", "watch", "stats", "shutdown",
    ]

    /// What running a command produced.
    enum Outcome: Sendable {
        /// One response line.
        case response(ControlResponse)
        /// The acknowledgement, then the events of the stream until the client closes.
        case watch(ControlResponse, events: AsyncStream<SessionEvent>)
        /// The acknowledgement; the daemon then shuts down gracefully.
        case shutdown(ControlResponse)
    }

    /// Runs one request on behalf of one connection, whose login state it reads and updates.
    func execute(_ request: ControlRequest, connection: inout ControlConnectionState) async -> Outcome {
        do throws(DaemonError) {
            return try await run(request, connection: &connection)
        } catch {
            logger.debug(
                "control command refused",
                metadata: ["cmd": "\(request.command)", "code": "\(error.code)"])
            return .response(.failure(id: request.id, code: error.code, message: error.message))
        }
    }

    private func run(_ request: ControlRequest, connection: inout ControlConnectionState) async throws(DaemonError)
        -> Outcome
    {
        let fields = Fields(request.arguments)
        func ok(_ value: some Encodable) throws(DaemonError) -> Outcome {
            do {
                return .response(.success(id: request.id, result: try JSONValue(encoding: value)))
            } catch {
                throw DaemonError.internalError("The result of \(request.command) could not be encoded.")
            }
        }
        let done = Outcome.response(.success(id: request.id, result: .object([:])))

        switch request.command {
        case "help":
            return .response(.success(id: request.id, result: .array(Self.names.map(JSONValue.string))))

        case "session.create":
            let created = try await proctors.createSession(
                CreateSessionRequest(
                    sessionId: try fields.optionalString("sessionId"), name: try fields.optionalString("name"),
                    centre: try fields.optionalString("centre"),
                    nominalDurationSeconds: try fields.optionalNumber("nominalDurationSeconds"),
                    certificationVersion: try fields.optionalString("certificationVersion"),
                    certificationVersionHash: try fields.optionalString("certificationVersionHash")))
            connection.loggedInSessions.insert(created.sessionId)
            logger.info("session created", metadata: ["sessionId": "\(created.sessionId)"])
            return try ok(created)

        case "session.list":
            return try ok(await proctors.listSessions())

        case "login":
            let sessionId = try fields.string("sessionId")
            let password = try fields.string("password")
            try await login(sessionId: sessionId, password: password, connection: &connection)
            return .response(
                .success(id: request.id, result: .object(["sessionId": .string(sessionId), "loggedIn": .bool(true)])))

        case "session.show":
            return try ok(await proctors.showSession(try loggedIn(fields, connection)))

        case "candidate.enrol":
            let sessionId = try loggedIn(fields, connection)
            try await proctors.enrol(
                sessionId: sessionId, candidateId: try fields.string("candidateId"),
                needsAccessibility: try fields.optionalBool("needsAccessibility") ?? false,
                locale: try fields.optionalString("locale") ?? "fr-fr",
                extraTimePercent: try fields.optionalNumber("extraTimePercent") ?? 0,
                complementaryVersionId: try fields.optionalString("complementary"))
            return done

        case "candidate.jury":
            let sessionId = try loggedIn(fields, connection)
            return try ok(await proctors.decideJuryLevel(
                sessionId: sessionId, candidateId: try fields.string("candidateId"), level: try fields.string("level")))

        case "candidate.authorize":
            try await proctors.authorize(sessionId: try loggedIn(fields, connection), candidateId: try fields.string("candidateId"))
            return done

        case "candidate.end":
            try await proctors.endCandidate(sessionId: try loggedIn(fields, connection), candidateId: try fields.string("candidateId"))
            return done

        case "alert.list":
            return try ok(await proctors.listAlerts(sessionId: try loggedIn(fields, connection)))

        case "alert.validate":
            let sessionId = try loggedIn(fields, connection)
            let word = try fields.string("reason")
            guard let reason = LiveAlertReason(rawValue: word) else {
                throw DaemonError(.invalidField, "Field reason must be one of \(LiveAlertReason.allCases.map(\.rawValue).joined(separator: ", ")); got \(word).")
            }
            try await proctors.validateLiveAlert(
                sessionId: sessionId, candidateId: try fields.string("candidateId"), reason: reason)
            return done

        case "alert.dismiss":
            try await proctors.dismissLiveAlert(
                sessionId: try loggedIn(fields, connection), candidateId: try fields.string("candidateId"))
            return done

        case "companion.raise":
            try await proctors.raiseCompanionAlert(
                sessionId: try loggedIn(fields, connection), candidateId: try fields.string("candidateId"))
            return done

        case "companion.clear":
            try await proctors.clearCompanionAlert(
                sessionId: try loggedIn(fields, connection), candidateId: try fields.string("candidateId"))
            return done

        case "session.finalize":
            let sessionId = try loggedIn(fields, connection)
            return try ok(await proctors.finalize(sessionId: sessionId, abortReasons: try fields.abortReasons()))

        case "session.publish":
            return try ok(await proctors.publish(sessionId: try loggedIn(fields, connection)))

        case "session.results":
            return try ok(await proctors.results(sessionId: try loggedIn(fields, connection)))

        case "watch":
            let sessionId = try loggedIn(fields, connection)
            let events = proctors.events(sessionId: sessionId)
            return .watch(.success(id: request.id, result: .object(["watching": .string(sessionId)])), events: events)

        case "stats":
            return try ok(await proctors.stats())

        case "shutdown":
            logger.notice("shutdown requested on the control socket")
            return .shutdown(.success(id: request.id, result: .object(["shuttingDown": .bool(true)])))

        default:
            throw ControlErrors.unknownCommand(request.command)
        }
    }

    /// The session id of a session-scoped command, once this connection has logged in to it.
    private func loggedIn(_ fields: Fields, _ connection: ControlConnectionState) throws(DaemonError) -> String {
        let sessionId = try fields.string("sessionId")
        guard connection.loggedInSessions.contains(sessionId) else {
            throw ControlErrors.notLoggedIn(sessionId)
        }
        return sessionId
    }

    /// Checks the password. After `limits.loginFailuresMax` failures in a row on this
    /// connection, or on this session from any connection, logins wait `limits.loginLockSeconds`.
    private func login(sessionId: String, password: String, connection: inout ControlConnectionState)
        async throws(DaemonError)
    {
        let now = ContinuousClock.now
        if let lockedUntil = connection.loginLockedUntil {
            if now < lockedUntil { throw ControlErrors.loginLocked(retryAfterSeconds: Self.seconds(until: lockedUntil, from: now)) }
            connection.loginLockedUntil = nil
            connection.failedLogins = 0
        }
        if let lockedUntil = sessionLogins.lockedUntil(sessionId: sessionId, now: now) {
            throw ControlErrors.loginLocked(retryAfterSeconds: Self.seconds(until: lockedUntil, from: now))
        }
        do throws(DaemonError) {
            try await proctors.checkPassword(sessionId: sessionId, password: password)
        } catch {
            if error.code == .invalidCredentials {
                connection.failedLogins += 1
                let lock = now + .seconds(limits.loginLockSeconds)
                let sessionFailures = sessionLogins.recordFailure(
                    sessionId: sessionId, failuresMax: limits.loginFailuresMax, lockUntil: lock)
                logger.warning(
                    "failed login on the control socket",
                    metadata: ["sessionId": "\(sessionId)", "failures": "\(sessionFailures)"])
                if connection.failedLogins >= limits.loginFailuresMax {
                    connection.loginLockedUntil = lock
                }
            }
            throw error
        }
        connection.failedLogins = 0
        sessionLogins.recordSuccess(sessionId: sessionId)
        connection.loggedInSessions.insert(sessionId)
    }

    private static func seconds(until instant: ContinuousClock.Instant, from now: ContinuousClock.Instant) -> Int {
        max(1, Int((instant - now).components.seconds) + 1)
    }
}

/// Consecutive failed logins per session, across connections. Entries exist only for sessions
/// that exist (a wrong password needs one), so the table is bounded by the sessions held.
final class LoginThrottle: Sendable {
    private struct Entry {
        var failures = 0
        var lockedUntil: ContinuousClock.Instant?
    }

    private let entries = Mutex([String: Entry]())

    init() {}

    /// Until when logins to `sessionId` are locked, if they are.
    func lockedUntil(sessionId: String, now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        entries.withLock { entries in
            guard let lockedUntil = entries[sessionId]?.lockedUntil else { return nil }
            if now < lockedUntil { return lockedUntil }
            entries[sessionId] = nil
            return nil
        }
    }

    /// Counts one failure; locks the session's logins at `failuresMax`. Returns the count.
    func recordFailure(sessionId: String, failuresMax: Int, lockUntil: ContinuousClock.Instant) -> Int {
        entries.withLock { entries in
            var entry = entries[sessionId] ?? Entry()
            entry.failures += 1
            if entry.failures >= failuresMax { entry.lockedUntil = lockUntil }
            entries[sessionId] = entry
            return entry.failures
        }
    }

    func recordSuccess(sessionId: String) {
        _ = entries.withLock { $0.removeValue(forKey: sessionId) }
    }
}

/// What one control connection remembers between its requests.
struct ControlConnectionState: Sendable {
    var loggedInSessions: Set<String> = []
    var failedLogins = 0
    var loginLockedUntil: ContinuousClock.Instant?
}

/// Typed access to a request's fields, with the control socket's errors.
private struct Fields {
    let values: [String: JSONValue]
    init(_ values: [String: JSONValue]) { self.values = values }

    func string(_ name: String) throws(DaemonError) -> String {
        guard let value = values[name], value != .null else { throw ControlErrors.missingField(name) }
        guard let text = value.stringValue, !text.isEmpty else {
            throw ControlErrors.invalidField(name, "a non-empty string")
        }
        return text
    }

    func optionalString(_ name: String) throws(DaemonError) -> String? {
        guard let value = values[name], value != .null else { return nil }
        return try string(name)
    }

    func optionalNumber(_ name: String) throws(DaemonError) -> Double? {
        guard let value = values[name], value != .null else { return nil }
        guard case .number(let number) = value else { throw ControlErrors.invalidField(name, "a number") }
        return number
    }

    func optionalBool(_ name: String) throws(DaemonError) -> Bool? {
        guard let value = values[name], value != .null else { return nil }
        guard let flag = value.boolValue else { throw ControlErrors.invalidField(name, "true or false") }
        return flag
    }

    func abortReasons() throws(DaemonError) -> [String: AbortReason] {
        guard let value = values["abortReasons"], value != .null else { return [:] }
        let expected = "an object {candidateId: \"candidate\" or \"technical\"}"
        guard let object = value.objectValue else { throw ControlErrors.invalidField("abortReasons", expected) }
        var reasons: [String: AbortReason] = [:]
        for (candidateId, reason) in object {
            guard let reason = reason.stringValue.flatMap(AbortReason.init(rawValue:)) else {
                throw ControlErrors.invalidField("abortReasons", expected)
            }
            reasons[candidateId] = reason
        }
        return reasons
    }
}

/// The limits of the control socket, each with its default.
///
/// Owned by the daemon transports.
public struct ControlLimits: Sendable, Equatable {
    /// Longest request line, newline excluded; past it the line is discarded with LINE_TOO_LONG.
    public var lineBytesMax: Int
    /// Connections open at once; past it a new connection gets TOO_MANY_CONNECTIONS and is closed.
    public var connectionsMax: Int
    /// Requests read but not yet answered on one connection; past it they get TOO_MANY_PENDING.
    public var pendingRequestsMax: Int
    /// Failed logins in a row on one connection before it is locked out.
    public var loginFailuresMax: Int
    /// How long a locked-out connection may not log in.
    public var loginLockSeconds: Int
    /// How long a graceful shutdown waits for connections to finish their current command.
    public var shutdownDrainSeconds: Int

    public init(
        lineBytesMax: Int = 64 * 1024, connectionsMax: Int = 64, pendingRequestsMax: Int = 64,
        loginFailuresMax: Int = 5, loginLockSeconds: Int = 30, shutdownDrainSeconds: Int = 10
    ) {
        self.lineBytesMax = lineBytesMax
        self.connectionsMax = connectionsMax
        self.pendingRequestsMax = pendingRequestsMax
        self.loginFailuresMax = loginFailuresMax
        self.loginLockSeconds = loginLockSeconds
        self.shutdownDrainSeconds = shutdownDrainSeconds
    }
}
