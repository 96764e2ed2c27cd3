import Foundation
import Testing
@testable import CertCore

@Suite("Error catalogue")
struct ErrorCodeTests {
    @Test func rawValuesAreUniqueUpperSnake() {
        let codes = ErrorCode.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
        for code in codes {
            #expect(code.allSatisfy(allowed.contains), "\(code)")
            #expect(code.first?.isLetter == true && !code.hasSuffix("_") && !code.contains("__"), "\(code)")
        }
    }

    @Test func everyCodeHasASummarySentence() {
        for code in ErrorCode.allCases {
            #expect(code.summary.count > 10 && code.summary.hasSuffix("."), "\(code): \(code.summary)")
            #expect(!code.summary.contains("\n"), "\(code)")
        }
    }

    /// Retrying makes sense when the daemon cannot serve now or asks the caller to slow down;
    /// two codes wait for something else, each for a stated reason.
    @Test func retryableCodesHaveASensibleFamilyAndAWait() {
        let exceptions: [ErrorCode: (ErrorFamily, String)] = [
            .liveAlertOngoing: (.conflict, "waits for the invigilator's decision, not for the daemon"),
            .storeFailure: (.internal, "the store failed; the same request may be recorded once it recovers"),
        ]
        for code in ErrorCode.allCases {
            if code.isRetryable {
                let family = exceptions[code]?.0 ?? code.family
                #expect(code.family == family, "\(code)")
                #expect([.unavailable, .tooManyRequests].contains(code.family) || exceptions[code] != nil,
                        "\(code) is retryable but of the family \(code.family)")
                #expect((code.retryAfterSeconds ?? 0) >= 1, "\(code)")
            } else {
                #expect(code.retryAfterSeconds == nil, "\(code)")
                #expect(exceptions[code] == nil, "\(code)")
            }
            if code.family == .tooManyRequests { #expect(code.isRetryable, "\(code)") }
        }
        // Today's retryable set (was: retryAfterSeconds != nil), made explicit.
        let retryable = Set(ErrorCode.allCases.filter(\.isRetryable))
        #expect(retryable == [
            .busy, .shuttingDown, .storeBusy, .storeFailure, .storeUnavailable, .liveAlertOngoing, .loginLocked,
            .tooManyPending, .tooManyConnections, .tooManySessions, .sessionIdExhausted,
            .verificationCodeExhausted, .accessCodeExhausted, .invigilatorPasswordExhausted,
            .daemonUnavailable, .transportHTTPUnavailable, .storeFenced,
        ])
        #expect(ErrorCode.tooManySessions.retryAfterSeconds == 60)
        #expect(ErrorCode.storeUnavailable.retryAfterSeconds == 5)
        #expect(ErrorCode.busy.retryAfterSeconds == 1)
    }

    @Test func errorRoundTripsAsJSONWithItsWireCode() throws {
        let error = CertError(.candidateNotAuthorized, "Candidate c1 is not authorised.")
        #expect(error.description == "CANDIDATE_NOT_AUTHORIZED: Candidate c1 is not authorised.")
        #expect("\(error.code)" == "CANDIDATE_NOT_AUTHORIZED")
        let data = try JSONEncoder().encode(error)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: String]
        #expect(object == ["code": "CANDIDATE_NOT_AUTHORIZED", "message": "Candidate c1 is not authorised."])
        #expect(try JSONDecoder().decode(CertError.self, from: data) == error)
    }

    @Test func anUnknownWireCodeIsKeptNotCrashedOn() throws {
        #expect(ErrorCode(wire: "BUSY") == .busy)
        #expect(ErrorCode(wire: "FROM_A_NEWER_DAEMON") == .unrecognized)
        #expect(try JSONDecoder().decode([ErrorCode].self, from: Data(#"["BUSY","NOPE"]"#.utf8)) == [.busy, .unrecognized])
        let error = try JSONDecoder().decode(CertError.self, from: Data(#"{"code":"NOPE","message":"Later."}"#.utf8))
        #expect(error == CertError(.unrecognized, "NOPE: Later."))
        #expect(!error.isRetryable)
    }

    // MARK: No code spelled outside the catalogue

    /// Literals in `Sources/` that equal a code but are not one (a table header, a word of
    /// another format), with the reason. Empty today.
    static let allowedLiterals: [String: String] = [:]
    static let sourceFilesMax = 2_000
    static let sourceFileBytesMax = 2_000_000

    /// Every `"UPPER_SNAKE"` literal of `Sources/` (comment lines aside) that equals a code's raw
    /// value, outside ErrorCode.swift: a code must be named `.sessionExpired`, not spelled.
    @Test func noCodeIsSpelledOutsideTheCatalogue() throws {
        let sources = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        let enumerator = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        let raws = Set(ErrorCode.allCases.map(\.rawValue))
        let literal = try Regex(#""([A-Z][A-Z0-9_]{2,})""#)
        var scanned = 0
        var spelled: [String] = []
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            scanned += 1
            try #require(scanned <= Self.sourceFilesMax, "more Swift files than the scan expects")
            if url.lastPathComponent == "ErrorCode.swift" { continue }
            let data = try Data(contentsOf: url)
            try #require(data.count <= Self.sourceFileBytesMax, "\(url.path) is larger than the scan expects")
            for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if line.drop(while: { $0 == " " }).hasPrefix("//") { continue }
                for match in line.matches(of: literal) {
                    let text = String(match.output[1].substring ?? "")
                    if raws.contains(text), Self.allowedLiterals[text] == nil {
                        spelled.append("\(url.lastPathComponent):\(index + 1): \"\(text)\"")
                    }
                }
            }
        }
        #expect(scanned > 50, "the scan found the sources (\(sources.path))")
        #expect(spelled.isEmpty, "codes spelled outside ErrorCode.swift: \(spelled)")
    }
}
