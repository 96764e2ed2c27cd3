import CertCore

/// The one error shape of the daemon: the HTTP routes, the control socket and the CLI all
/// render it the same way, `{"code": …, "message": …}`.
///
/// Owned by the daemon core. The code comes from the catalogue (``ErrorCode``), which says its
/// family and whether it is retryable; the HTTP layer alone turns the family into a status
/// (`APIError.status(for:)`). The message is a sentence a candidate or a proctor understands.
/// A refused operation never changes state.
///
/// ```swift
/// throw DaemonError(.assessmentNotFound, "No assessment has the id \(id).")
/// throw DaemonError.conflict(.sessionExists, "A session with the id \(id) already exists.")
/// ```
public struct DaemonError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// Stable machine-readable code, e.g. `CANDIDATE_NOT_AUTHORIZED`, `BUSY`.
    public let code: ErrorCode
    /// A sentence for a human.
    public let message: String
    /// For a retryable code, how long the client should wait (sent as `Retry-After`): the
    /// code's own figure unless the throw site knew a closer one; nil when not retryable.
    public let retryAfterSeconds: Int?
    /// For `SESSION_ELSEWHERE`: the base URL of the candidate API of the daemon that holds the
    /// session (HTTP answers 307 with this URL and the request's path as `Location`).
    public let location: String?

    /// An error with `code`; `retryAfterSeconds` overrides the code's own wait and is ignored
    /// for a code that is not retryable.
    public init(_ code: ErrorCode, _ message: String, retryAfterSeconds: Int? = nil, location: String? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = code.isRetryable ? (retryAfterSeconds ?? code.retryAfterSeconds) : nil
        self.location = location
    }

    public var description: String { "\(code): \(message)" }

    /// Whether a client may retry the same request later (see ``ErrorCode/isRetryable``).
    public var isRetryable: Bool { code.isRetryable }

    /// The code and the message, as the rules and the tools carry them.
    public var certError: CertError { CertError(code, message) }

    private enum CodingKeys: String, CodingKey { case code, message, retryAfterSeconds, location }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let error = CertError(wireCode: try container.decode(String.self, forKey: .code),
                              message: try container.decode(String.self, forKey: .message))
        self.init(error.code, error.message,
                  retryAfterSeconds: try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds),
                  location: try container.decodeIfPresent(String.self, forKey: .location))
    }
}

extension DaemonError {
    // The family helpers read well at a throw site ("this is a conflict"); the family itself
    // comes from the code, and a debug build checks that the two agree.

    /// 400: the request itself is malformed.
    public static func badRequest(_ code: ErrorCode = .badRequest, _ message: String) -> DaemonError {
        checked(code, .badRequest, message)
    }
    /// 401: credentials missing or wrong (control socket login).
    public static func unauthorized(_ code: ErrorCode, _ message: String) -> DaemonError {
        checked(code, .unauthorized, message)
    }
    /// 403: the caller is known but not allowed to do this.
    public static func forbidden(_ code: ErrorCode, _ message: String) -> DaemonError {
        checked(code, .forbidden, message)
    }
    /// 404: an unknown session, candidate, assessment or certificate.
    public static func notFound(_ code: ErrorCode, _ message: String) -> DaemonError {
        checked(code, .notFound, message)
    }
    /// 409: the target exists but is not in a state that allows the operation.
    public static func conflict(_ code: ErrorCode, _ message: String) -> DaemonError {
        checked(code, .conflict, message)
    }
    /// 422: well-formed but semantically impossible (e.g. the bank has no challenge left).
    public static func unprocessable(_ code: ErrorCode, _ message: String) -> DaemonError {
        checked(code, .unprocessable, message)
    }
    /// BUSY: an engine's in-flight limit is reached; retry after `retryAfterSeconds`.
    public static func busy(_ message: String, retryAfterSeconds: Int? = nil) -> DaemonError {
        DaemonError(.busy, message, retryAfterSeconds: retryAfterSeconds)
    }
    /// SHUTTING_DOWN: the daemon no longer accepts requests.
    public static let shuttingDown = DaemonError(.shuttingDown, "The daemon is shutting down and accepts no new requests.")
    /// STORE_FAILURE: the result store failed; the operation may or may not have been recorded.
    public static func storeFailure(_ message: String) -> DaemonError {
        DaemonError(.storeFailure, message)
    }
    /// INTERNAL_ERROR: an invariant of the daemon was broken (a bug, reported rather than crashed on).
    public static func internalError(_ message: String) -> DaemonError {
        DaemonError(.internalError, message)
    }

    private static func checked(_ code: ErrorCode, _ family: ErrorFamily, _ message: String) -> DaemonError {
        assert(code.family == family, "\(code.rawValue) is of the family \(code.family), not \(family)")
        return DaemonError(code, message)
    }
}
