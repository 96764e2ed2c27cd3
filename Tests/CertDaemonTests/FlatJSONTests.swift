import CertCore
@testable import CertDaemon
import Foundation
import Testing

/// The hand-written JSON of the hot bodies against the Codable form: what one writes, the other
/// reads to the same value, and the narrow reader refuses (nil) whatever it does not fully handle.
@Suite struct FlatJSONTests {
    static let awkwardStrings = [
        "C-000123", "1.1", "", "a/b", "quote \" inside", "back\\slash", "line\nbreak\ttab\r\u{8}\u{C}",
        "\u{1}\u{1F}", "é ü — 日本", "emoji 🎓",
    ]

    func decoded<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    func codableBytes(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    @Test func challengeWrittenByHandReadsAsTheCodableValue() throws {
        for text in Self.awkwardStrings {
            for number in [1, 32, 0, -5, Int.max] {
                let value = ChallengeResponse(challengeId: text, competence: "2.\(text)", questionNumber: number)
                #expect(try decoded(ChallengeResponse.self, value.flatJSON) == value)
                if !text.unicodeScalars.contains(where: { $0.value < 0x20 }) {
                    // Same bytes as the API's JSONEncoder (sorted keys, slashes unescaped).
                    #expect(value.flatJSON == (try codableBytes(value)))
                }
            }
        }
    }

    @Test func answerResponseAndStartResponseWrittenByHand() throws {
        for completed in [false, true] {
            let value = AnswerResponse(questionNumber: 7, answersCount: 6, completed: completed)
            #expect(try decoded(AnswerResponse.self, value.flatJSON) == value)
            #expect(value.flatJSON == (try codableBytes(value)))
        }
        for text in Self.awkwardStrings {
            let value = StartResponse(assessmentId: "A-\(text)", token: text, resumed: true)
            #expect(try decoded(StartResponse.self, value.flatJSON) == value)
        }
    }

    @Test func answerRequestWrittenByHandReadsAsTheCodableValue() throws {
        for text in Self.awkwardStrings {
            for result in AnswerResult.allCases {
                let value = AnswerRequest(challengeId: text, result: result)
                #expect(try decoded(AnswerRequest.self, value.flatJSON) == value)
            }
        }
    }

    @Test func theNarrowReaderAgreesWithJSONDecoderOnWhatItAccepts() throws {
        // Codable output of the client side (default JSONEncoder, unsorted keys) and spacing variants.
        var bodies: [[UInt8]] = []
        for result in AnswerResult.allCases {
            let value = AnswerRequest(challengeId: "C-\(result.rawValue)", result: result)
            bodies.append(Array(try JSONEncoder().encode(value)))
            bodies.append(try codableBytes(value))
        }
        bodies.append(Array(#"  { "result" : "ko" ,"challengeId":"x1" }  "#.utf8))
        bodies.append(Array("{\n\t\"challengeId\": \"a b\",\r\n \"result\": \"skipped\"}".utf8))
        for body in bodies {
            let fast = body.withUnsafeBytes { AnswerRequest(flatJSON: $0) }
            #expect(fast != nil)
            #expect(fast == (try decoded(AnswerRequest.self, body)))
        }

        for challenge in [
            ChallengeResponse(challengeId: "C1", competence: "1.1", questionNumber: 1),
            ChallengeResponse(challengeId: "C-99", competence: "5.3", questionNumber: 32),
        ] {
            let body = Array(try JSONEncoder().encode(challenge))
            #expect(ChallengeResponse(flatJSON: body) == challenge)
            #expect(ChallengeResponse(flatJSON: try codableBytes(challenge)) == challenge)
        }
        for answer in [AnswerResponse(questionNumber: 1, answersCount: 1, completed: false),
                       AnswerResponse(questionNumber: 32, answersCount: 32, completed: true)] {
            #expect(AnswerResponse(flatJSON: Array(try JSONEncoder().encode(answer))) == answer)
            #expect(AnswerResponse(flatJSON: try codableBytes(answer)) == answer)
        }
    }

    @Test func theNarrowReaderLeavesEverythingElseToJSONDecoder() {
        let refused = [
            "", "   ", "null", "[]", "{", "}", "{}",
            #"{"challengeId":"x"}"#,                                   // missing field
            #"{"challengeId":"x","result":"maybe"}"#,                  // not an AnswerResult
            #"{"challengeId":"x","result":"ok","extra":1}"#,           // unknown key (JSONDecoder ignores it)
            #"{"challengeId":"x","challengeId":"y","result":"ok"}"#,   // repeated key
            #"{"challengeId":"x\"y","result":"ok"}"#,                   // escape
            #"{"challengeId":"é","result":"ok"}"#,                     // non-ASCII
            #"{"challengeId":5,"result":"ok"}"#,                       // wrong type
            #"{"challengeId":"x","result":"ok"} trailing"#,
            #"{"challengeId":"x","result":"ok",}"#,
            #"{"challengeId":"x" "result":"ok"}"#,
        ]
        for text in refused {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBytes { AnswerRequest(flatJSON: $0) } == nil, "\(text)")
        }
        for text in [#"{"challengeId":"x","competence":"1.1","questionNumber":1.0}"#,
                     #"{"challengeId":"x","competence":"1.1","questionNumber":1e1}"#,
                     #"{"challengeId":"x","competence":"1.1","questionNumber":01}"#,
                     #"{"challengeId":"x","competence":"1.1","questionNumber":"1"}"#,
                     #"{"challengeId":"x","competence":"1.1"}"#] {
            #expect(ChallengeResponse(flatJSON: Array(text.utf8)) == nil, "\(text)")
        }
        #expect(AnswerResponse(flatJSON: Array(#"{"answersCount":1,"completed":1,"questionNumber":1}"#.utf8)) == nil)
    }

    @Test func plainBearerTokenGivesTheGeneralRulesToken() {
        // The general rule: case-insensitive "bearer ", then the rest trimmed of blanks.
        func general(_ header: String) -> String? {
            let prefix = "bearer "
            guard header.count > prefix.count, header.lowercased().hasPrefix(prefix) else { return nil }
            let token = header.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
            return token.isEmpty ? nil : token
        }
        let headers = [
            "Bearer abc", "bearer abc", "BEARER abc-123.XYZ_~", "BeArEr x", "Bearer  abc", "Bearer abc ",
            "Bearer \tabc", "Bearer ", "Bearer", "Basic abc", "Bearerabc", "Bearer a b", "Bearer é",
            "Bearer\u{0}abc", "", "Bearer \u{301}abc",
        ]
        for header in headers {
            if let fast = CandidateRoutes.plainBearerToken(header) {
                #expect(fast == general(header), "\(header.debugDescription)")
            }
        }
        #expect(CandidateRoutes.plainBearerToken("Bearer abc") == "abc")
        #expect(CandidateRoutes.plainBearerToken("bearer T0k3n") == "T0k3n")
        #expect(CandidateRoutes.plainBearerToken("Bearer\u{0}abc") == nil)
    }
}
