import CertCore
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1

/// How the candidate API turns any failure into `{"error": {"code": ..., "message": ...}}`
/// with a fitting status. The HTTP status is chosen here and nowhere else: from the family of
/// the code (``status(for:)``), with `Retry-After` on every retryable code. The transport's own
/// refusals are catalogued codes too:
///
/// | code             | status | when |
/// |------------------|--------|------|
/// | MALFORMED_JSON   | 400    | the body is not JSON |
/// | MALFORMED_REQUEST| 400    | the HTTP framing itself is broken (e.g. a bad chunked body); the connection then closes |
/// | INVALID_BODY     | 400    | JSON, but a field is missing or of the wrong type/value |
/// | BAD_REQUEST      | 4xx    | the router refused the request (its own status is kept) |
/// | MISSING_TOKEN    | 401    | no `Authorization: Bearer` header on an assessment route |
/// | NOT_FOUND        | 404    | no such route |
/// | METHOD_NOT_ALLOWED | 405  | a route of the API, another method (with `Allow`) |
/// | BODY_TOO_LARGE   | 413    | body over `HTTPLimits.requestBodyBytesMax` |
/// | STORE_UNAVAILABLE| 503    | `/healthz` while the result writer does not accept writes |
/// | INTERNAL_ERROR   | 500    | anything unexpected (logged, never a crash) |
///
/// `docs/errors.md` lists every code with its status.
///
/// Owned by the daemon transports.
public enum APIError {
    static let missingToken = DaemonError(
        .missingToken, "This call needs the header \"Authorization: Bearer <token>\" from the start answer.")

    static let bodyTooLarge = DaemonError(.bodyTooLarge, "The request body is larger than this API accepts.")

    static let malformedJSON = DaemonError(.malformedJSON, "The request body is not valid JSON.")

    static func invalidBody(_ detail: String) -> DaemonError {
        DaemonError(.invalidBody, "The request body is not what this call expects: \(detail)")
    }

    static let malformedRequest = DaemonError(.malformedRequest, "The HTTP request is malformed.")

    static let storeUnavailable = DaemonError(
        .storeUnavailable, "The result store does not accept writes; answers are refused.")

    static let routeNotFound = DaemonError(.notFound, "No such route in the candidate API.")

    static func methodNotAllowed(_ allowed: [String]) -> DaemonError {
        DaemonError(.methodNotAllowed, "This route of the candidate API answers \(allowed.joined(separator: ", ")) only.")
    }

    /// The methods the API answers on `path` (a request path, without its query), read from the
    /// OpenAPI document, which a test keeps equal to the router's routes; empty for no route.
    static func allowedMethods(path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var methods: [String] = []
        for operation in OpenAPIDocument.operations {
            let parts = operation.split(separator: " ", maxSplits: 1)
            let pattern = parts[1].split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            guard pattern.count == segments.count else { continue }
            let matches = zip(pattern, segments).allSatisfy { expected, actual in
                expected.hasPrefix("{") ? !actual.isEmpty : expected == actual
            }
            if matches { methods.append(String(parts[0])) }
        }
        return methods
    }

    static let internalError = DaemonError(.internalError, "The daemon failed to answer this request.")

    /// The HTTP status of each family of codes: the one place a status is chosen.
    public static func status(for family: ErrorFamily) -> HTTPResponse.Status {
        switch family {
        case .badRequest: .badRequest  // 400
        case .unauthorized: .unauthorized  // 401
        case .forbidden: .forbidden  // 403
        case .notFound: .notFound  // 404
        case .methodNotAllowed: .methodNotAllowed  // 405
        case .redirect: .temporaryRedirect  // 307
        case .conflict: .conflict  // 409
        case .expired: .gone  // 410
        case .tooLarge: .contentTooLarge  // 413
        case .unprocessable: .unprocessableContent  // 422
        case .tooManyRequests: .tooManyRequests  // 429
        case .internal: .internalServerError  // 500
        case .unavailable: .serviceUnavailable  // 503
        }
    }

    /// The HTTP status `error` is answered with.
    public static func status(for error: DaemonError) -> HTTPResponse.Status {
        status(for: error.code.family)
    }

    /// The `DaemonError` that describes `error` to a client.
    public static func daemonError(for error: any Error) -> DaemonError {
        refusal(for: error).error
    }

    /// The `DaemonError` that describes `error` and the status to answer it with: the status of
    /// its code's family, except for the router's own 4xx refusals, whose status is kept.
    static func refusal(for error: any Error) -> (error: DaemonError, status: HTTPResponse.Status) {
        switch error {
        case let error as HTTPError where error.status != .notFound && (400..<500).contains(error.status.code):
            return (DaemonError(.badRequest, error.body ?? "The request is not valid."), error.status)
        default:
            let refusal = describe(error)
            return (refusal, status(for: refusal))
        }
    }

    private static func describe(_ error: any Error) -> DaemonError {
        switch error {
        case let error as DaemonError:
            return error
        case is NIOTooManyBytesError:
            return bodyTooLarge
        case is HTTPParserError:
            return malformedRequest
        case let error as DecodingError:
            return daemonError(forDecoding: error)
        case let error as HTTPError where error.status == .notFound:
            return routeNotFound
        default:
            return internalError
        }
    }

    private static func daemonError(forDecoding error: DecodingError) -> DaemonError {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return malformedJSON
        case .dataCorrupted(let context):
            return invalidBody("the field \"\(path(context.codingPath))\" has a value that is not allowed.")
        case .keyNotFound(let key, let context):
            return invalidBody("the field \"\(path(context.codingPath + [key]))\" is missing.")
        case .valueNotFound(_, let context), .typeMismatch(_, let context):
            return invalidBody("the field \"\(path(context.codingPath))\" has the wrong type.")
        @unknown default:
            return malformedJSON
        }
    }

    /// The JSON error response for `error`, with the status of its code's family (or `status`).
    public static func response(for error: DaemonError, status: HTTPResponse.Status? = nil) -> Response {
        struct Body: Encodable {
            struct Detail: Encodable { var code: String; var message: String }
            var error: Detail
        }
        let status = status ?? Self.status(for: error)
        var response =
            (try? APIResponse.json(Body(error: .init(code: error.code.rawValue, message: error.message)), status: status))
            ?? Response(status: status)
        if let retryAfterSeconds = error.retryAfterSeconds {
            response.headers[.retryAfter] = String(retryAfterSeconds)
        }
        return response
    }
}

/// Catches every error thrown by a route (or by the router for an unknown path), renders it
/// as a JSON error, and records each request's route, status and latency into the metrics.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = CandidateRequestContext
    let metrics: DaemonMetrics

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            var refusal = APIError.refusal(for: error)
            if let routing = error as? HTTPError, routing.status == .notFound {
                let allowed = APIError.allowedMethods(path: request.uri.path)
                if !allowed.isEmpty { refusal = (APIError.methodNotAllowed(allowed), .methodNotAllowed) }
            }
            if refusal.status.code >= 500 {
                context.logger.error(
                    "request failed", metadata: ["route": "\(context.endpointPath ?? "-")", "error": "\(error)"])
            }
            response = APIError.response(for: refusal.error, status: refusal.status)
            if refusal.error.code == .sessionElsewhere, let owner = refusal.error.location {
                // The same request, at the daemon that holds the session.
                response.headers[.location] = owner + request.uri.path
            }
            if refusal.error.code == .methodNotAllowed {
                response.headers[.allow] = APIError.allowedMethods(path: request.uri.path).joined(separator: ", ")
            }
            if error is HTTPParserError {
                // The stream cannot be read past a framing error: say the connection ends.
                response.headers[.connection] = "close"
            }
        }
        let elapsed = ContinuousClock.now - start
        let latencyMicroseconds =
            Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
        // Unknown routes share one label, whatever their method and path (bounded series).
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : "\(request.method) \($0)" } ?? "unmatched"
        metrics.recordRequest(
            route: route,
            status: response.status.code,
            latencyMicroseconds: latencyMicroseconds)
        return response
    }
}

/// Building responses with one shared encoder, configured once.
enum APIResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    static let decoder = JSONDecoder()

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(data.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A JSON body already written (see `FlatJSON`).
    static func json(bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(bytes.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func text(_ text: String, contentType: String) -> Response {
        let buffer = ByteBuffer(string: text)
        return Response(
            status: .ok,
            headers: [.contentType: contentType, .contentLength: String(buffer.readableBytes)],
            body: .init(byteBuffer: buffer))
    }
}
