import CertCore
import Foundation
import Hummingbird

/// The candidate API: the table of contents of the HTTP interface. Every route decodes its
/// input, calls `CandidateService` (which holds all the rules) and encodes the answer.
///
/// | method | path                                                  | body            | answer |
/// |--------|-------------------------------------------------------|-----------------|--------|
/// | POST   | /sessions/{sessionId}/candidates/{candidateId}/start  | StartRequest    | 200 StartResponse |
/// | GET    | /assessments/{assessmentId}/next                      | —               | 200 ChallengeResponse, 204 when the test is over |
/// | POST   | /assessments/{assessmentId}/answers                   | AnswerRequest   | 201 AnswerResponse (once durable) |
/// | POST   | /assessments/{assessmentId}/alerts                    | AlertRequest    | 201 AlertResponse |
/// | GET    | /certificates/{verificationCode}                      | —               | 200 CertificateResponse, 404 unless published |
/// | GET    | /metrics                                              | —               | 200 Prometheus text |
/// | GET    | /healthz                                              | —               | 200 {"status":"ok"}, 503 STORE_UNAVAILABLE |
/// | GET    | /openapi.yaml                                         | —               | 200 this table as OpenAPI 3.1 (`OpenAPIDocument`) |
///
/// Assessment routes take `Authorization: Bearer <token>` (the token of the start answer).
/// Every refusal is `{"error": {"code": ..., "message": ...}}` with a 4xx/5xx status (see
/// `APIError`).
///
/// Owned by the daemon transports.
///
/// ```swift
/// let router = CandidateRoutes(core: core).buildRouter()
/// let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 8080)))
/// ```
public struct CandidateRoutes: Sendable {
    public let candidates: CandidateService
    public let metrics: DaemonMetrics
    public let limits: HTTPLimits
    /// The `/metrics` text.
    let metricsText: @Sendable () async -> String
    /// Whether the daemon can take answers (`/healthz`).
    let isHealthy: @Sendable () async -> Bool

    /// The routes of a whole core: `/metrics` refreshes the writer's counters first, and
    /// `/healthz` reports `DaemonCore.isHealthy` (the result writer's health).
    public init(core: DaemonCore, limits: HTTPLimits = HTTPLimits()) {
        self.candidates = core.candidates
        self.metrics = core.metrics
        self.limits = limits
        self.metricsText = { await core.renderMetrics() }
        self.isHealthy = { await core.isHealthy }
    }

    /// Routes over a candidate service alone (`/metrics` renders `metrics` as it is, `/healthz`
    /// is always healthy).
    public init(candidates: CandidateService, metrics: DaemonMetrics, limits: HTTPLimits = HTTPLimits()) {
        self.candidates = candidates
        self.metrics = metrics
        self.limits = limits
        self.metricsText = { metrics.renderPrometheus() }
        self.isHealthy = { true }
    }

    public func buildRouter() -> Router<CandidateRequestContext> {
        let router = Router(context: CandidateRequestContext.self)
        router.add(middleware: APIErrorMiddleware(metrics: metrics))

        router.post("/sessions/:sessionId/candidates/:candidateId/start") { request, context in
            let body = try await decodeBody(StartRequest.self, from: request)
            let started = try await candidates.start(
                sessionId: try context.parameters.require("sessionId"),
                candidateId: try context.parameters.require("candidateId"),
                accessCode: body.accessCode)
            return APIResponse.json(bytes: started.flatJSON)
        }

        router.get("/assessments/:assessmentId/next") { request, context in
            let challenge = try await candidates.next(
                assessmentId: try context.parameters.require("assessmentId"),
                token: try bearerToken(of: request))
            guard let challenge else { return Response(status: .noContent) }
            return APIResponse.json(bytes: challenge.flatJSON)
        }

        router.post("/assessments/:assessmentId/answers") { request, context in
            let body = try await decodeAnswer(from: request)
            let recorded = try await candidates.answer(
                assessmentId: try context.parameters.require("assessmentId"),
                token: try bearerToken(of: request), body)
            return APIResponse.json(bytes: recorded.flatJSON, status: .created)
        }

        router.post("/assessments/:assessmentId/alerts") { request, context in
            let body = try await decodeBody(AlertRequest.self, from: request)
            let alert = try await candidates.raiseLiveAlert(
                assessmentId: try context.parameters.require("assessmentId"),
                token: try bearerToken(of: request), challengeId: body.challengeId)
            return try APIResponse.json(alert, status: .created)
        }

        router.get("/certificates/:verificationCode") { _, context in
            let certificate = try await candidates.certificate(
                verificationCode: try context.parameters.require("verificationCode"))
            return try APIResponse.json(certificate)
        }

        router.get("/metrics") { _, _ in
            APIResponse.text(await metricsText(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }

        router.get("/healthz") { _, _ in
            guard await isHealthy() else { throw APIError.storeUnavailable }
            return try APIResponse.json(["status": "ok"])
        }

        router.get("/openapi.yaml") { _, _ in
            APIResponse.text(OpenAPIDocument.yaml, contentType: OpenAPIDocument.contentType)
        }
        return router
    }

    /// Reads at most `limits.requestBodyBytesMax` bytes and decodes them.
    private func decodeBody<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let buffer = try await request.body.collect(upTo: limits.requestBodyBytesMax)
        return try APIResponse.decoder.decode(type, from: buffer)
    }

    /// An answer's body: the narrow reader for the usual form, `JSONDecoder` for anything else
    /// (so a refusal keeps its code and message).
    private func decodeAnswer(from request: Request) async throws -> AnswerRequest {
        let buffer = try await request.body.collect(upTo: limits.requestBodyBytesMax)
        if let answer = buffer.withUnsafeReadableBytes({ AnswerRequest(flatJSON: $0) }) { return answer }
        return try APIResponse.decoder.decode(AnswerRequest.self, from: buffer)
    }

    private func bearerToken(of request: Request) throws(DaemonError) -> String {
        guard let header = request.headers[.authorization] else {
            throw APIError.missingToken
        }
        if let token = Self.plainBearerToken(header) { return token }
        let prefix = "bearer "
        guard header.count > prefix.count, header.lowercased().hasPrefix(prefix) else {
            throw APIError.missingToken
        }
        let token = header.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty else { throw APIError.missingToken }
        return token
    }

    /// The token of an all-ASCII `Bearer <token>` header without surrounding blanks (the usual
    /// form), read without building intermediate strings; nil sends the header to the general
    /// rule above, which gives the same token for every header this accepts.
    static func plainBearerToken(_ header: String) -> String? {
        var header = header
        return header.withUTF8 { bytes -> String? in
            let prefix: StaticString = "bearer "
            let prefixCount = prefix.utf8CodeUnitCount
            guard bytes.count > prefixCount else { return nil }
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
            let matches = prefix.withUTF8Buffer { expected in
                // ASCII letters compare without case; the space must be a space.
                (0..<prefixCount).allSatisfy {
                    expected[$0] == 0x20 ? bytes[$0] == 0x20 : bytes[$0] | 0x20 == expected[$0]
                }
            }
            guard matches else { return nil }
            let first = bytes[prefixCount], last = bytes[bytes.count - 1]
            func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
            guard !isBlank(first), !isBlank(last) else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[prefixCount...]), as: UTF8.self)
        }
    }
}

/// The limits of the candidate API, each with its default.
///
/// Owned by the daemon transports.
public struct HTTPLimits: Sendable, Equatable {
    /// Largest request body accepted; past it the answer is 413 BODY_TOO_LARGE.
    public var requestBodyBytesMax: Int
    /// Open connections at most; past it the server stops accepting until one closes.
    public var connectionsMax: Int
    /// A keep-alive connection idle for this long is closed.
    public var idleTimeoutSeconds: Int
    /// At a graceful shutdown, how long the server keeps answering new requests with 503
    /// SHUTTING_DOWN and `Retry-After` (so that clients on open connections learn it and retry
    /// elsewhere or later) before it closes its connections. Requests after it find the
    /// connection closed.
    public var shutdownGraceSeconds: Double

    public init(
        requestBodyBytesMax: Int = 16 * 1024, connectionsMax: Int = 4096, idleTimeoutSeconds: Int = 120,
        shutdownGraceSeconds: Double = 0.5
    ) {
        self.requestBodyBytesMax = requestBodyBytesMax
        self.connectionsMax = connectionsMax
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.shutdownGraceSeconds = shutdownGraceSeconds
    }
}

/// The request context of the candidate API (Hummingbird's per-request state).
///
/// Owned by the daemon transports.
public struct CandidateRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
