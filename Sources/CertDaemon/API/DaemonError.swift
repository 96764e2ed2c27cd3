/// The one error shape of the daemon: the HTTP routes, the control socket and the CLI all
/// render it the same way (`{"code":…,"message":…}` plus the HTTP status).
///
/// Owned by the daemon core. Codes are stable UPPER_SNAKE strings; the message is a sentence
/// a candidate or a proctor understands. A refused operation never changes state.
///
/// ```swift
/// throw DaemonError.notFound("ASSESSMENT_NOT_FOUND", "No assessment has the id \(id).")
/// ```
public struct DaemonError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// Stable machine-readable code, e.g. `CANDIDATE_NOT_AUTHORIZED`, `BUSY`.
    public let code: String
    /// A sentence for a human.
    public let message: String
    /// The HTTP status the candidate API answers with (400, 401, 403, 404, 409, 413, 422, 503…).
    public let httpStatus: Int
    /// Set for BUSY and other retryable refusals: how long the client should wait.
    public let retryAfterSeconds: Int?

    public init(code: String, message: String, httpStatus: Int, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(code) (\(httpStatus)): \(message)" }

    /// Whether a client may retry the same request later (BUSY, store hiccups).
    public var isRetryable: Bool { retryAfterSeconds != nil }
}

extension DaemonError {
    /// 400: the request itself is malformed.
    public static func badRequest(_ code: String = "BAD_REQUEST", _ message: String) -> DaemonError {
        DaemonError(code: code, message: message, httpStatus: 400)
    }
    /// 401: credentials missing or wrong (control socket login).
    public static func unauthorized(_ code: String, _ message: String) -> DaemonError {
        DaemonError(code: code, message: message, httpStatus: 401)
    }
    /// 403: the caller is known but not allowed to do this.
    public static func forbidden(_ code: String, _ message: String) -> DaemonError {
        DaemonError(code: code, message: message, httpStatus: 403)
    }
    /// 404: an unknown session, candidate, assessment or certificate.
    public static func notFound(_ code: String, _ message: String) -> DaemonError {
        DaemonError(code: code, message: message, httpStatus: 404)
    }
    /// 409: the target exists but is not in a state that allows the operation.
    public static func conflict(_ code: String, _ message: String) -> DaemonError {
        DaemonError(code: code, message: message, httpStatus: 409)
    }
    /// 422: well-formed but semantically impossible (e.g. the bank has no challenge left).
    public static func unprocessable(_ code: String, _ message: String) -> DaemonError {
        DaemonError(code: code, message: message, httpStatus: 422)
    }
    /// 503 BUSY: an engine's in-flight limit is reached; retry after `retryAfterSeconds`.
    public static func busy(_ message: String, retryAfterSeconds: Int = 1) -> DaemonError {
        DaemonError(code: "BUSY", message: message, httpStatus: 503, retryAfterSeconds: retryAfterSeconds)
    }
    /// 503 SHUTTING_DOWN: the daemon no longer accepts requests.
    public static let shuttingDown = DaemonError(
        code: "SHUTTING_DOWN", message: "The daemon is shutting down and accepts no new requests.",
        httpStatus: 503, retryAfterSeconds: 1)
    /// 500: the result store failed; the operation may or may not have been recorded.
    public static func storeFailure(_ message: String) -> DaemonError {
        DaemonError(code: "STORE_FAILURE", message: message, httpStatus: 500, retryAfterSeconds: 1)
    }
    /// 500: an invariant of the daemon was broken (a bug, reported rather than crashed on).
    public static func internalError(_ message: String) -> DaemonError {
        DaemonError(code: "INTERNAL_ERROR", message: message, httpStatus: 500)
    }
}
