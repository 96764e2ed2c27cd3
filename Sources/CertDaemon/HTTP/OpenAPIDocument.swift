import Foundation

/// The candidate API's contract (OpenAPI 3.1), served at `GET /openapi.yaml` and built into the
/// binary as this one copy. A test checks that every route `CandidateRoutes` registers is in
/// `paths` and the reverse; `scripts/schemathesis.sh` fuzzes a real `certsim serve` against it.
///
/// Statuses: each route lists the refusals it can give, all with the error body; 503 is always
/// retryable and carries `Retry-After` (BUSY, STORE_BUSY, SHUTTING_DOWN, STORE_UNAVAILABLE…). A
/// 500 is a bug and is not part of the contract.
///
/// Owned by the daemon transports.
public enum OpenAPIDocument {
    /// The media type it is served with.
    public static let contentType = "application/yaml; charset=utf-8"

    public static let yaml = #"""
    openapi: 3.1.0
    info:
      title: certsim candidate API
      version: "1"
      description: |
        The candidate side of a proctored adaptive certification session (Pix v3 model): start or
        resume a test with the session's access code, take the next challenge, answer it, raise a
        live alert, verify a published certificate. Every refusal is
        {"error": {"code": "...", "message": "..."}} with the status below; a 503 is retryable and
        says when in Retry-After. Proctors use the control socket, not this API.
    servers:
      - url: http://127.0.0.1:8080
    tags:
      - name: test
      - name: certificate
      - name: operations
    paths:
      /sessions/{sessionId}/candidates/{candidateId}/start:
        post:
          tags: [test]
          operationId: start
          summary: Start or resume a test (needs the invigilator's authorisation, used up by the start).
          parameters:
            - $ref: "#/components/parameters/sessionId"
            - $ref: "#/components/parameters/candidateId"
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/StartRequest"}
          responses:
            "200":
              description: The assessment and a new bearer token (the previous token stops working).
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/StartResponse"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/Forbidden"}
            "307": {$ref: "#/components/responses/Elsewhere"}
            "404": {$ref: "#/components/responses/NotFound"}
            "409": {$ref: "#/components/responses/Conflict"}
            "410": {$ref: "#/components/responses/Gone"}
            "413": {$ref: "#/components/responses/TooLarge"}
            "422": {$ref: "#/components/responses/Unprocessable"}
            "503": {$ref: "#/components/responses/Unavailable"}
      /assessments/{assessmentId}/next:
        get:
          tags: [test]
          operationId: next
          summary: The challenge to answer now (the same one again until it is answered).
          security: [{bearer: []}]
          parameters:
            - $ref: "#/components/parameters/assessmentId"
          responses:
            "200":
              description: The challenge.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/ChallengeResponse"}
            "204": {description: The test is over.}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "403": {$ref: "#/components/responses/Forbidden"}
            "307": {$ref: "#/components/responses/Elsewhere"}
            "404": {$ref: "#/components/responses/NotFound"}
            "409": {$ref: "#/components/responses/Conflict"}
            "410": {$ref: "#/components/responses/Gone"}
            "422": {$ref: "#/components/responses/Unprocessable"}
            "503": {$ref: "#/components/responses/Unavailable"}
      /assessments/{assessmentId}/answers:
        post:
          tags: [test]
          operationId: answer
          summary: Answer the challenge served (acknowledged once durable).
          security: [{bearer: []}]
          parameters:
            - $ref: "#/components/parameters/assessmentId"
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/AnswerRequest"}
          responses:
            "201":
              description: The answer is recorded.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/AnswerResponse"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "403": {$ref: "#/components/responses/Forbidden"}
            "307": {$ref: "#/components/responses/Elsewhere"}
            "404": {$ref: "#/components/responses/NotFound"}
            "409": {$ref: "#/components/responses/Conflict"}
            "410": {$ref: "#/components/responses/Gone"}
            "413": {$ref: "#/components/responses/TooLarge"}
            "422": {$ref: "#/components/responses/Unprocessable"}
            "503": {$ref: "#/components/responses/Unavailable"}
      /assessments/{assessmentId}/alerts:
        post:
          tags: [test]
          operationId: raiseLiveAlert
          summary: Raise a live alert on the challenge served, for the invigilator to validate or dismiss.
          security: [{bearer: []}]
          parameters:
            - $ref: "#/components/parameters/assessmentId"
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/AlertRequest"}
          responses:
            "201":
              description: Raised (ongoing), or ignored because one is already ongoing.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/AlertResponse"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/Unauthorized"}
            "403": {$ref: "#/components/responses/Forbidden"}
            "307": {$ref: "#/components/responses/Elsewhere"}
            "404": {$ref: "#/components/responses/NotFound"}
            "409": {$ref: "#/components/responses/Conflict"}
            "410": {$ref: "#/components/responses/Gone"}
            "413": {$ref: "#/components/responses/TooLarge"}
            "422": {$ref: "#/components/responses/Unprocessable"}
            "503": {$ref: "#/components/responses/Unavailable"}
      /certificates/{verificationCode}:
        get:
          tags: [certificate]
          operationId: certificate
          summary: A published certificate, by its verification code (404 until published).
          parameters:
            - name: verificationCode
              in: path
              required: true
              schema: {type: string}
          responses:
            "200":
              description: The certificate.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/CertificateResponse"}
            "404": {$ref: "#/components/responses/NotFound"}
            "503": {$ref: "#/components/responses/Unavailable"}
      /metrics:
        get:
          tags: [operations]
          operationId: metrics
          summary: Prometheus text exposition of the daemon's counters and histograms.
          responses:
            "200":
              description: The metrics.
              content:
                text/plain:
                  schema: {type: string}
      /healthz:
        get:
          tags: [operations]
          operationId: health
          summary: Whether the daemon takes answers (its result store accepts writes).
          responses:
            "200":
              description: Healthy.
              content:
                application/json:
                  schema:
                    type: object
                    required: [status]
                    properties:
                      status: {const: ok}
            "503": {$ref: "#/components/responses/Unavailable"}
      /openapi.yaml:
        get:
          tags: [operations]
          operationId: openapi
          summary: This document.
          responses:
            "200":
              description: The OpenAPI document.
              content:
                application/yaml:
                  schema: {type: string}
    components:
      securitySchemes:
        bearer:
          type: http
          scheme: bearer
          description: The token of the start (or resume) answer.
      parameters:
        sessionId:
          name: sessionId
          in: path
          required: true
          schema: {type: string}
        candidateId:
          name: candidateId
          in: path
          required: true
          schema: {type: string}
        assessmentId:
          name: assessmentId
          in: path
          required: true
          schema: {type: string}
      headers:
        RetryAfter:
          description: Seconds to wait before trying again.
          required: true
          schema: {type: integer, minimum: 0}
      schemas:
        Error:
          type: object
          required: [error]
          properties:
            error:
              type: object
              required: [code, message]
              properties:
                code: {type: string, pattern: "^[A-Z][A-Z0-9_]*$"}
                message: {type: string}
        StartRequest:
          type: object
          required: [accessCode]
          properties:
            accessCode: {type: string}
        StartResponse:
          type: object
          required: [assessmentId, token, resumed]
          properties:
            assessmentId: {type: string}
            token: {type: string}
            resumed: {type: boolean}
        ChallengeResponse:
          type: object
          required: [challengeId, competence, questionNumber]
          properties:
            challengeId: {type: string}
            competence: {type: string}
            questionNumber: {type: integer, minimum: 1}
        AnswerRequest:
          type: object
          required: [challengeId, result]
          properties:
            challengeId: {type: string}
            result: {type: string, enum: [ok, ko, skipped, timedout]}
        AnswerResponse:
          type: object
          required: [questionNumber, answersCount, completed]
          properties:
            questionNumber: {type: integer, minimum: 1}
            answersCount: {type: integer, minimum: 1}
            completed: {type: boolean}
        AlertRequest:
          type: object
          required: [challengeId]
          properties:
            challengeId: {type: string}
        AlertResponse:
          type: object
          required: [status]
          properties:
            status: {type: string, enum: [ongoing, ignored]}
        CertificateResponse:
          type: object
          required: [verificationCode, sessionId, candidateId, status, certificationVersion]
          properties:
            verificationCode: {type: string}
            sessionId: {type: string}
            candidateId: {type: string}
            pixScore: {type: [integer, "null"], description: "Only on a validated certificate of a version with a Pix score."}
            meshLevel: {type: [integer, "null"]}
            level: {type: [string, "null"], description: "A Pix+ certificate's level."}
            levelName: {type: [string, "null"]}
            competenceLevels:
              type: [object, "null"]
              additionalProperties: {type: integer}
            status: {type: string, enum: [validated, rejected, cancelled]}
            statusReason: {type: [string, "null"]}
            certificationVersion: {type: string}
            admissionLevel: {type: [string, "null"]}
            cleaVersion: {type: [string, "null"]}
            cleaAcquired: {type: [boolean, "null"]}
      responses:
        Elsewhere:
          description: Several daemons share the store and another one holds the session (SESSION_ELSEWHERE); send the same request to Location.
          headers:
            Location: {description: "The same path at the daemon that holds the session.", schema: {type: string}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
        BadRequest:
          description: The body is not JSON (MALFORMED_JSON), not what the call expects (INVALID_BODY), or the request is malformed.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
        Unauthorized:
          description: No "Authorization Bearer" header (MISSING_TOKEN).
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
        Forbidden:
          description: Wrong token (INVALID_TOKEN), wrong access code, no valid authorisation from the invigilator.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
        NotFound:
          description: No such session, candidate, assessment or published certificate.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
        Conflict:
          description: The test is not in a state that allows this (finished, another challenge served, alert ongoing…).
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
        Gone:
          description: The session has expired.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
        TooLarge:
          description: The body is larger than the daemon accepts (BODY_TOO_LARGE).
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
        Unprocessable:
          description: The request names something that does not belong here, or the bank has no challenge left.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}
        Unavailable:
          description: Retryable - the daemon is busy, shutting down, or its store does not take writes now.
          headers:
            Retry-After: {$ref: "#/components/headers/RetryAfter"}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Error"}

    """#

    /// `METHOD /path/{param}` for every operation of the document, read from its `paths`
    /// section (two-space indentation, as written above).
    public static let operations: [String] = {
        var result: [String] = []
        var inPaths = false
        var path: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.hasPrefix(" "), !line.isEmpty { break }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete", "head", "options"].contains(String(method)) {
                    result.append("\(method.uppercased()) \(path)")
                }
            }
        }
        return result
    }()
}
