import CertCore
import Foundation

/// The encoder and decoder of the control protocol, configured once.
enum ControlCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    static let decoder = JSONDecoder()
}

/// One request line of the control socket: `{"id": 7, "cmd": "session.show", "sessionId": "S1"}`.
/// Every field other than `id` and `cmd` is an argument of the command.
///
/// Owned by the daemon transports.
public struct ControlRequest: Sendable, Equatable {
    /// Echoed in the response; any JSON value (numbers and strings are usual). Null when absent.
    public var id: JSONValue
    public var command: String
    public var arguments: [String: JSONValue]

    public init(id: JSONValue, command: String, arguments: [String: JSONValue] = [:]) {
        self.id = id
        self.command = command
        self.arguments = arguments
    }

    /// The line sent over the socket (without the trailing newline).
    public func jsonLine() -> String {
        var fields = arguments
        fields["id"] = id
        fields["cmd"] = .string(command)
        return JSONValue.object(fields).jsonText()
    }

    /// Parses one line; malformed input is a typed error with the id when one could be read.
    public static func parse(line: Data) -> Result<ControlRequest, ControlFailure> {
        guard let value = try? JSONValue.parse(line) else {
            return .failure(ControlFailure(id: .null, error: ControlErrors.malformedJSON))
        }
        guard case .object(var fields) = value else {
            return .failure(ControlFailure(id: .null, error: ControlErrors.malformedRequest("A request must be a JSON object.")))
        }
        let id = fields.removeValue(forKey: "id") ?? .null
        guard let command = fields.removeValue(forKey: "cmd")?.stringValue, !command.isEmpty else {
            return .failure(ControlFailure(id: id, error: ControlErrors.missingField("cmd")))
        }
        return .success(ControlRequest(id: id, command: command, arguments: fields))
    }
}

/// A refused request paired with the id to answer it under.
public struct ControlFailure: Error, Sendable, Equatable {
    public var id: JSONValue
    public var error: DaemonError
}

/// One line sent back by the control socket: a response to a request, or a streamed event of
/// `watch`.
///
/// ```json
/// {"id": 7, "ok": true, "result": {...}}
/// {"id": 7, "ok": false, "error": {"code": "NOT_LOGGED_IN", "message": "..."}}
/// {"event": {...}}
/// ```
///
/// Owned by the daemon transports.
public enum ControlResponse: Sendable, Equatable {
    case success(id: JSONValue, result: JSONValue)
    case failure(id: JSONValue, code: ErrorCode, message: String)
    case event(JSONValue)

    public init(failure: ControlFailure) {
        self = .failure(id: failure.id, code: failure.error.code, message: failure.error.message)
    }

    public var json: JSONValue {
        switch self {
        case .success(let id, let result):
            return .object(["id": id, "ok": .bool(true), "result": result])
        case .failure(let id, let code, let message):
            return .object([
                "id": id, "ok": .bool(false),
                "error": .object(["code": .string(code.rawValue), "message": .string(message)]),
            ])
        case .event(let event):
            return .object(["event": event])
        }
    }

    /// The line written on the socket, newline included.
    public func line() -> String {
        json.jsonText() + "\n"
    }

    /// Reads a line received from the daemon.
    public static func parse(line: Data) throws -> ControlResponse {
        let value = try JSONValue.parse(line)
        if let event = value["event"] { return .event(event) }
        let id = value["id"] ?? .null
        if value["ok"]?.boolValue == true {
            return .success(id: id, result: value["result"] ?? .null)
        }
        let message = value["error"]?["message"]?.stringValue ?? "The daemon sent an error without a message."
        // A code this build does not know (a newer daemon) is kept, as UNRECOGNIZED, in the message.
        let error = value["error"]?["code"]?.stringValue.map { CertError(wireCode: $0, message: message) }
            ?? CertError(.unrecognized, message)
        return .failure(id: id, code: error.code, message: error.message)
    }
}

/// The control socket's own refusals (the domain's refusals come from `ProctorService` as
/// `DaemonError`s with their own codes).
enum ControlErrors {
    static let malformedJSON = DaemonError(.malformedJSON, "The line is not valid JSON.")

    static func malformedRequest(_ message: String) -> DaemonError {
        DaemonError(.malformedRequest, message)
    }

    static func missingField(_ name: String) -> DaemonError {
        DaemonError(.missingField, "The field \"\(name)\" is required.")
    }

    static func invalidField(_ name: String, _ expected: String) -> DaemonError {
        DaemonError(.invalidField, "The field \"\(name)\" must be \(expected).")
    }

    static func unknownCommand(_ name: String) -> DaemonError {
        DaemonError(.unknownCommand, "Unknown command \"\(name)\"; try \"help\".")
    }

    static func lineTooLong(limitBytes: Int) -> DaemonError {
        DaemonError(.lineTooLong, "A request line may hold at most \(limitBytes) bytes; this one was discarded.")
    }

    static func notLoggedIn(_ sessionId: String) -> DaemonError {
        DaemonError(.notLoggedIn, "Log in to session \(sessionId) on this connection first (command \"login\").")
    }

    /// The lock's remaining time is known here, closer than the code's own wait.
    static func loginLocked(retryAfterSeconds: Int) -> DaemonError {
        DaemonError(
            .loginLocked, "Too many failed logins on this connection; try again in \(retryAfterSeconds) s.",
            retryAfterSeconds: retryAfterSeconds)
    }

    static func tooManyPending(limit: Int) -> DaemonError {
        DaemonError(.tooManyPending, "At most \(limit) requests may wait on one connection; this one was refused.")
    }

    static let tooManyConnections = DaemonError(
        .tooManyConnections, "The control socket has reached its connection limit; try again later.")

    static let shuttingDown = DaemonError(.shuttingDown, "The daemon is shutting down.")
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}
