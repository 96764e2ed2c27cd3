import CertCore
import CertDaemon
import Foundation
import NIOCore
import NIOHTTP1

/// The candidate API over HTTP/1.1 (the daemon's `CandidateRoutes`), on a small pool of
/// keep-alive connections to 127.0.0.1. A refusal's JSON body (`{"error":{"code","message"}}`)
/// and its `Retry-After` header become a `DaemonError` with the same code as in process.
///
/// Owned by the runner's transport half.
///
/// ```swift
/// let transport = HTTPCandidateTransport(pool: HTTPConnectionPool(host: "127.0.0.1", port: 8080))
/// let started = try await transport.start(sessionId: "S1", candidateId: "c1", accessCode: code)
/// ```
public struct HTTPCandidateTransport: CandidateTransport {
    public let pool: HTTPConnectionPool

    public init(pool: HTTPConnectionPool) { self.pool = pool }

    // One coder each for every request: they hold no per-call state.
    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()

    public func start(sessionId: String, candidateId: String, accessCode: String) async throws(DaemonError) -> StartResponse {
        let path = "/sessions/\(Self.escape(sessionId))/candidates/\(Self.escape(candidateId))/start"
        return try await call(.POST, path, token: nil, body: StartRequest(accessCode: accessCode), as: StartResponse.self)!
    }

    public func next(assessmentId: String, token: String) async throws(DaemonError) -> ChallengeResponse? {
        try await call(.GET, "/assessments/\(Self.escape(assessmentId))/next", token: token,
                       bodyBytes: nil, as: ChallengeResponse.self, fast: ChallengeResponse.init(flatJSON:))
    }

    public func answer(assessmentId: String, token: String, _ request: AnswerRequest) async throws(DaemonError) -> AnswerResponse {
        try await call(.POST, "/assessments/\(Self.escape(assessmentId))/answers", token: token,
                       bodyBytes: request.flatJSON, as: AnswerResponse.self, fast: AnswerResponse.init(flatJSON:))!
    }

    public func raiseLiveAlert(assessmentId: String, token: String, challengeId: String) async throws(DaemonError) -> AlertResponse {
        try await call(.POST, "/assessments/\(Self.escape(assessmentId))/alerts", token: token,
                       body: AlertRequest(challengeId: challengeId), as: AlertResponse.self)!
    }

    public func certificate(verificationCode: String) async throws(DaemonError) -> CertificateResponse {
        try await call(.GET, "/certificates/\(Self.escape(verificationCode))", token: nil,
                       body: Optional<StartRequest>.none, as: CertificateResponse.self)!
    }

    /// Sends one request; nil for a 204 answer.
    private func call<Body: Encodable, Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, token: String?, body: Body?, as: Answer.Type
    ) async throws(DaemonError) -> Answer? {
        var bytes: [UInt8]?
        if let body {
            do {
                bytes = Array(try Self.encoder.encode(body))
            } catch {
                throw TransportErrorCode.error(TransportErrorCode.badResponse, "cannot encode the request: \(error)")
            }
        }
        return try await call(method, path, token: token, bodyBytes: bytes, as: Answer.self, fast: { _ in nil })
    }

    /// Sends one request with its body already encoded; `fast` reads the usual form of the answer
    /// (see `FlatJSON`), `JSONDecoder` the rest. Nil for a 204 answer.
    private func call<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, token: String?, bodyBytes bytes: [UInt8]?, as: Answer.Type,
        fast: ([UInt8]) -> Answer?
    ) async throws(DaemonError) -> Answer? {
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let response: HTTPClientResponse
        do {
            response = try await pool.send(HTTPClientRequest(method: method, path: path, headers: headers, body: bytes))
        } catch let error as HTTPClientError {
            switch error {
            case .connectionClosed:
                throw TransportErrorCode.error(TransportErrorCode.connectionFailed,
                                               "\(method) \(path): the connection closed before the answer (or timed out)")
            default:
                throw TransportErrorCode.error(TransportErrorCode.connectionFailed, "\(method) \(path): \(error)")
            }
        } catch {
            throw TransportErrorCode.error(TransportErrorCode.connectionFailed, "\(method) \(path): \(error)")
        }
        let status = Int(response.status.code)
        if status == 204 { return nil }
        if (200..<300).contains(status) {
            if let answer = fast(response.body) { return answer }
            do {
                return try Self.decoder.decode(Answer.self, from: Data(response.body))
            } catch {
                throw TransportErrorCode.error(TransportErrorCode.badResponse,
                                               "\(method) \(path): unreadable \(status) answer: \(error)")
            }
        }
        throw Self.refusal(status: status, retryAfterHeader: response.headers.first(name: "Retry-After"), body: response.body)
    }

    /// The `DaemonError` a refusal carries (a code this build does not know becomes
    /// UNRECOGNIZED, keeping it in the message), or, when its body is not the API's,
    /// TRANSPORT_HTTP_UNAVAILABLE for a 503 or a Retry-After (to wait out) and
    /// TRANSPORT_HTTP_STATUS for any other status. The Retry-After header, when present, is the
    /// wait of a retryable code.
    static func refusal(status: Int, retryAfterHeader: String?, body: [UInt8]) -> DaemonError {
        let retryAfter = retryAfterHeader.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        if let envelope = try? Self.decoder.decode(ErrorEnvelope.self, from: Data(body)) {
            return DaemonError(envelope.error.code, envelope.error.message, retryAfterSeconds: retryAfter)
        }
        let text = "HTTP \(status): " + String(decoding: body.prefix(200), as: UTF8.self)
        if status == 503 || retryAfter != nil {
            return DaemonError(.transportHTTPUnavailable, text, retryAfterSeconds: retryAfter)
        }
        return DaemonError(.transportHTTPStatus, text)
    }

    private struct ErrorEnvelope: Decodable {
        var error: CertError
    }

    /// Percent-encodes a path segment (ids are plain, but a path must never be ambiguous).
    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: Self.segmentCharacters) ?? segment
    }

    private static let segmentCharacters: CharacterSet = {
        CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    }()
}
