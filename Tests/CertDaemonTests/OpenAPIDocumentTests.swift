import CertDaemon
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The OpenAPI contract against the router: no route without its operation, no operation without
/// its route, and the document served as it is built in.
@Suite struct OpenAPIDocumentTests {
    /// `METHOD /path/{param}` for every route the candidate router registers.
    func registeredRoutes() async throws -> Set<String> {
        try await withCore { core in
            var registered: Set<String> = []
            let router = CandidateRoutes(candidates: core.candidates, metrics: core.metrics).buildRouter()
            for route in router.routes {
                // Hummingbird writes a captured component as ":name"; OpenAPI as "{name}".
                let path = "/" + route.path.components.map { component -> String in
                    let text = component.description
                    return text.hasPrefix(":") ? "{\(text.dropFirst())}" : text
                }.joined(separator: "/")
                registered.insert("\(route.method) \(path)")
            }
            return registered
        }
    }

    @Test func everyRouteIsDocumentedAndEveryOperationRouted() async throws {
        let registered = try await registeredRoutes()
        let documented = Set(OpenAPIDocument.operations)
        #expect(documented.count == OpenAPIDocument.operations.count, "an operation is listed twice")
        #expect(registered.subtracting(documented).isEmpty, "routes missing from openapi.yaml: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "operations without a route: \(documented.subtracting(registered).sorted())")
        #expect(registered.contains("POST /sessions/{sessionId}/candidates/{candidateId}/start"))
        #expect(registered.count == 8)
    }

    @Test func documentIsOpenAPI31AndEveryRefResolves() throws {
        let yaml = OpenAPIDocument.yaml
        #expect(yaml.hasPrefix("openapi: 3.1.0\n"))
        #expect(!yaml.contains("\t"))
        // Every "#/components/<kind>/<name>" named in a $ref is defined under components.
        let refs = Set(yaml.matches(of: try Regex(##"\$ref: "#/components/(\w+)/(\w+)""##)).map { String(yaml[$0.range]) })
        #expect(refs.count >= 10)
        for ref in refs {
            let parts = ref.split(separator: "/")
            let kind = String(parts[2]), name = String(parts[3].dropLast())
            #expect(yaml.contains("\n  \(kind):\n") && yaml.contains("\n    \(name):\n"), "\(ref) is not defined")
        }
        // Every 503 is the retryable one, with Retry-After.
        #expect(!yaml.contains("\"500\""))
        #expect(yaml.components(separatedBy: "\"503\": {$ref: \"#/components/responses/Unavailable\"}").count - 1 == 6)
    }

    @Test func anotherMethodOnARouteIs405WithAllow() async throws {
        try await withCandidateRouter { client in
            let wrong = try await client.execute(uri: "/healthz", method: .delete)
            #expect(wrong.status == .methodNotAllowed)
            #expect(wrong.headers[.allow] == "GET")
            #expect(String(buffer: wrong.body).contains("\"METHOD_NOT_ALLOWED\""))
            let captured = try await client.execute(uri: "/assessments/a1/answers", method: .get)
            #expect(captured.status == .methodNotAllowed && captured.headers[.allow] == "POST")
            let nowhere = try await client.execute(uri: "/assessments/a1/elsewhere", method: .get)
            #expect(nowhere.status == .notFound)
            #expect(try await client.execute(uri: "/assessments//answers", method: .get).status == .notFound)
        }
    }

    @Test func servedAsBuiltIn() async throws {
        try await withCandidateRouter { client in
            let response = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == OpenAPIDocument.contentType)
            #expect(String(buffer: response.body) == OpenAPIDocument.yaml)
        }
    }

    /// Runs `body` against the candidate router of a fresh daemon core, in memory.
    private func withCandidateRouter(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await withCore { core in
            let app = Application(router: CandidateRoutes(candidates: core.candidates, metrics: core.metrics).buildRouter())
            try await app.test(.router, body)
        }
    }
}
