import Foundation
import Testing
@testable import CertCore

/// Runs a transition that must be refused on a copy of `value`, then checks the code, that the
/// message is a sentence, and that the value did not change.
func expectRefusal<Value: Equatable>(
    _ value: Value, _ code: ErrorCode,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ transition: (inout Value) throws(LifecycleError) -> Void
) {
    var copy = value
    do {
        try transition(&copy)
        Issue.record("expected \(code.rawValue), the transition was accepted", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, sourceLocation: sourceLocation)
        #expect(error.message.hasSuffix("."), "a sentence: \(error.message)", sourceLocation: sourceLocation)
    }
    #expect(copy == value, "a refused transition changed the value", sourceLocation: sourceLocation)
}

@Suite("Lifecycle errors")
struct LifecycleErrorTests {
    @Test func catalogueCodesAreUniqueUpperSnake() {
        let codes = ErrorCode.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ_")
        for code in codes {
            #expect(code.allSatisfy(allowed.contains), "\(code)")
            #expect(!code.hasPrefix("_") && !code.hasSuffix("_"), "\(code)")
        }
    }

    @Test func catalogueHoldsTheDocumentedCodes() {
        let codes = Set(ErrorCode.allCases.map(\.rawValue))
        for expected in ["SESSION_EXPIRED", "SESSION_ALREADY_FINALIZED", "SESSION_NOT_FINALIZED",
                         "SESSION_ALREADY_PUBLISHED", "CANDIDATE_NOT_AUTHORIZED", "AUTHORIZATION_EXPIRED",
                         "CANDIDATE_ALREADY_ENDED", "CANDIDATE_ALREADY_COMPLETED", "CANDIDATE_NOT_STARTED",
                         "LIVE_ALERT_ON_ANSWERED_CHALLENGE", "LIVE_ALERT_NOT_ONGOING",
                         "COMPANION_ALERT_NOT_ONGOING", "FINALIZATION_MISSING_ABORT_REASON"] {
            #expect(codes.contains(expected), "\(expected)")
        }
    }

    @Test func familiesGroupCodesForTransports() {
        #expect(ErrorCode.sessionExpired.family == .expired)
        #expect(ErrorCode.candidateNotAuthorized.family == .forbidden)
        #expect(ErrorCode.authorizationExpired.family == .forbidden)
        #expect(ErrorCode.candidateAlreadyCompleted.family == .conflict)
        #expect(ErrorCode.finalizationUnknownCandidate.family == .unprocessable)
    }

    @Test func errorCarriesCodeAndMessageAndRoundTripsAsJSON() throws {
        let error = LifecycleError(.sessionExpired, "Session S1 expired.")
        #expect(error.code == .sessionExpired)
        #expect(error.description == "SESSION_EXPIRED: Session S1 expired.")
        let data = try JSONEncoder().encode(error)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: String]
        #expect(object == ["code": "SESSION_EXPIRED", "message": "Session S1 expired."])
        #expect(try JSONDecoder().decode(LifecycleError.self, from: data) == error)
    }

    @Test func unknownDecodedCodeIsNotCatalogued() throws {
        let data = Data(#"{"code":"SOMETHING_NEW","message":"New."}"#.utf8)
        let error = try JSONDecoder().decode(LifecycleError.self, from: data)
        #expect(error.code == .unrecognized)
        #expect(error.message == "SOMETHING_NEW: New.")
    }
}
