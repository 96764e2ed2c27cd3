import CertCore
import Foundation
import Testing

/// Bad input for the two parsers of CertCore that read files written by people: the item bank
/// (`ItemBank.decode`) and the input of `certsim score` (`ScoreRequest.parse`). A hand-written
/// corpus of malformed inputs, then a seeded generative loop of a fixed count that mutates a
/// valid file. Every input must give either a valid value or the parser's own typed error with
/// a known code and a non-empty message — never a crash, never another error type.
@Suite struct BankFuzzTests {
    /// Every code `BankError` documents.
    static let bankCodes: Set<ErrorCode> = [
        ErrorCode.bankUnreadable, ErrorCode.bankMalformed, ErrorCode.bankMissingField, ErrorCode.bankBadDiscriminant, ErrorCode.bankNonFinite,
        ErrorCode.bankBadLevel, ErrorCode.bankDuplicateId, ErrorCode.bankDuplicateCompetence, ErrorCode.bankUnknownCompetence,
        ErrorCode.bankEmptyCompetence, ErrorCode.bankNoCompetences,
    ]
    /// Every code `ScoreRequest.parse` documents.
    static let scoreCodes: Set<ErrorCode> = [
        ErrorCode.scoreInputTooLarge, ErrorCode.scoreMalformedJSON, ErrorCode.scoreUnknownKey, ErrorCode.scoreMissingField, ErrorCode.scoreBadResult,
        ErrorCode.scoreBadAbortReason, ErrorCode.scoreBadEstimator, ErrorCode.scoreUnknownChallenge, ErrorCode.configUnknownKey, ErrorCode.configBadValue,
    ]
    /// Generated inputs per fuzz loop (fixed, so the run is bounded and replays from its seed).
    static let fuzzCasesPerLoop = 1_500

    static let smallBank = BankGenerator.generate(challenges: 48, seed: 5)

    /// Outcome of one bank input: nil when it decoded, else the code.
    static func bankOutcome(_ data: Data) -> ErrorCode? {
        do {
            let bank = try ItemBank.decode(data)
            // A bank that decodes must hold what validation promises.
            #expect(!bank.competences.isEmpty)
            #expect(bank.challenges.allSatisfy { $0.discriminant > 0 && $0.discriminant.isFinite && $0.difficulty.isFinite })
            return nil
        } catch {
            #expect(bankCodes.contains(error.code), "unknown bank code \(error.code)")
            #expect(!error.message.isEmpty)
            return error.code
        }
    }

    static func scoreOutcome(_ data: Data, bank: ItemBank) -> ErrorCode? {
        do {
            let request = try ScoreRequest.parse(data, bank: bank)
            #expect(request.answers.allSatisfy { bank.index(ofChallenge: $0.challengeId) != nil })
            return nil
        } catch {
            #expect(scoreCodes.contains(error.code), "unknown score-input code \(error.code)")
            #expect(!error.message.isEmpty)
            return error.code
        }
    }

    static let challengeTemplate =
        #"{"id":"c1","competence":"1.1","tube":"@t","skill":"@t1","level":1,"discriminant":1.2,"difficulty":0.5,"accessible":true,"locale":"fr-fr"}"#

    static func bank(challenge: String) -> String {
        #"{"version":"v","competences":[{"id":"1.1","domain":"1","name":"n"}],"challenges":["# + challenge + "]}"
    }

    /// (input, expected code or nil for "decodes").
    static let bankCorpus: [(String, ErrorCode?)] = [
        (bank(challenge: challengeTemplate), nil),
        ("", ErrorCode.bankMalformed),
        ("{", ErrorCode.bankMalformed),
        (String(bank(challenge: challengeTemplate).dropLast(7)), ErrorCode.bankMalformed),
        ("[]", ErrorCode.bankMalformed),
        ("null", ErrorCode.bankMalformed),
        ("\"a bank\"", ErrorCode.bankMalformed),
        (#"{"competences":[],"challenges":[]}"#, ErrorCode.bankMissingField),
        (#"{"version":"v","competences":[],"challenges":[]}"#, ErrorCode.bankNoCompetences),
        (#"{"version":7,"competences":[],"challenges":[]}"#, ErrorCode.bankMalformed),
        (#"{"version":"v","competences":{},"challenges":[]}"#, ErrorCode.bankMalformed),
        (#"{"version":"v","competences":[{"id":"1.1","domain":"1","name":"n"}],"challenges":[]}"#, ErrorCode.bankEmptyCompetence),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: #""level":1"#, with: #""level":1e300"#)), ErrorCode.bankBadLevel),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: #""level":1"#, with: #""level":99999999999999999999999"#)), ErrorCode.bankBadLevel),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: #""level":1"#, with: #""level":"1""#)), ErrorCode.bankBadLevel),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: #""level":1"#, with: #""level":9"#)), ErrorCode.bankBadLevel),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: "1.2", with: "1e400")), ErrorCode.bankMalformed),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: "1.2", with: "-1")), ErrorCode.bankBadDiscriminant),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: "1.2", with: "0")), ErrorCode.bankBadDiscriminant),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: "1.2", with: "\"1.2\"")), ErrorCode.bankMalformed),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: "1.2", with: "null")), ErrorCode.bankMissingField),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: #""accessible":true"#, with: #""accessible":"yes""#)), ErrorCode.bankMalformed),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: #","locale":"fr-fr""#, with: "")), ErrorCode.bankMissingField),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: #""competence":"1.1""#, with: #""competence":"9.9""#)), ErrorCode.bankUnknownCompetence),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: #""id":"c1""#, with: #""id":"""#)), ErrorCode.bankMissingField),
        (bank(challenge: challengeTemplate + "," + challengeTemplate), ErrorCode.bankDuplicateId),
        (bank(challenge: challengeTemplate.replacingOccurrences(of: "}", with: #","unknownField":[1,2,{"x":null}]}"#)), nil),
        (bank(challenge: "[" + challengeTemplate + "]"), ErrorCode.bankMalformed),
        (bank(challenge: "17"), ErrorCode.bankMalformed),
        (#"{"version":"v","competences":[{"id":"1.1","domain":"1","name":"n"},{"id":"1.1","domain":"1","name":"m"}],"challenges":["# + challengeTemplate + "]}", ErrorCode.bankDuplicateCompetence),
        (String(repeating: "[", count: 100_000), ErrorCode.bankMalformed),
        (String(repeating: "{\"a\":", count: 50_000), ErrorCode.bankMalformed),
        (#"{"version":""# + String(repeating: "x", count: 1 << 20) + #"","competences":[],"challenges":[]}"#, ErrorCode.bankNoCompetences),
    ]

    @Test func bankCorpusGivesTheExpectedCodes() {
        for (index, (text, expected)) in Self.bankCorpus.enumerated() {
            #expect(Self.bankOutcome(Data(text.utf8)) == expected, "bank corpus case \(index)")
        }
    }

    @Test func bankWithInvalidUTF8IsMalformed() {
        var bytes = Array(Self.bank(challenge: Self.challengeTemplate).utf8)
        let at = bytes.firstIndex(of: UInt8(ascii: "@"))!
        bytes.replaceSubrange(at...at, with: [0xC3, 0x28, 0xFF, 0xFE])
        #expect(Self.bankOutcome(Data(bytes)) == .bankMalformed)
        #expect(Self.bankOutcome(Data([0xEF, 0xBB, 0xBF, 0x00, 0x00])) == .bankMalformed)
    }

    @Test func bankFileThatIsMissingOrADirectoryIsUnreadable() {
        for path in ["/nonexistent/certsim/bank.json", NSTemporaryDirectory()] {
            do {
                _ = try ItemBank.load(path: path)
                Issue.record("\(path) loaded")
            } catch {
                #expect(error.code == .bankUnreadable)
            }
        }
    }

    @Test func mutatedBanksDecodeOrFailWithAKnownCode() {
        let valid = Self.smallBank.encoded()
        #expect(Self.bankOutcome(valid) == nil)
        var random = SplitMix64(state: 0xBA4C)
        var codes: [String: Int] = [:]
        for _ in 0..<Self.fuzzCasesPerLoop {
            let input = FuzzMutator.mutate(valid, using: &random)
            codes[Self.bankOutcome(input)?.rawValue ?? "decoded", default: 0] += 1
        }
        // The mutations reach more than one refusal (the loop is not testing one path only).
        #expect(codes.keys.count >= 4, "outcomes: \(codes)")
    }

    // MARK: certsim score input

    static let scoreCorpus: [(String, ErrorCode?)] = [
        (#"{"answers":[]}"#, nil),
        ("", ErrorCode.scoreMalformedJSON),
        (#"{"answers":["#, ErrorCode.scoreMalformedJSON),
        ("[]", ErrorCode.scoreMalformedJSON),
        ("{}", ErrorCode.scoreMissingField),
        (#"{"answers":{}}"#, ErrorCode.scoreMalformedJSON),
        (#"{"answers":[17]}"#, ErrorCode.scoreMalformedJSON),
        (#"{"answers":[{}]}"#, ErrorCode.scoreMissingField),
        (#"{"answers":[{"challengeId":"f0003"}]}"#, ErrorCode.scoreMissingField),
        (#"{"answers":[{"challengeId":"f0003","result":true}]}"#, ErrorCode.scoreMalformedJSON),
        (#"{"answers":[{"challengeId":"f0003","result":"OK"}]}"#, ErrorCode.scoreBadResult),
        (#"{"answers":[{"challengeId":"nope","result":"ok"}]}"#, ErrorCode.scoreUnknownChallenge),
        (#"{"answers":[],"extra":1}"#, ErrorCode.scoreUnknownKey),
        (#"{"answers":[],"abortReason":3}"#, ErrorCode.scoreMalformedJSON),
        (#"{"answers":[],"abortReason":"tired"}"#, ErrorCode.scoreBadAbortReason),
        (#"{"answers":[],"estimator":"mle"}"#, ErrorCode.scoreBadEstimator),
        (#"{"answers":[],"validatedAlertChallengeIds":["zz"]}"#, ErrorCode.scoreUnknownChallenge),
        (#"{"answers":[],"algorithm":{"maximumAssessmentLength":99999999999999999999999}}"#, ErrorCode.configBadValue),
        (#"{"answers":[],"algorithm":{"maximumAssessmentLength":-5}}"#, ErrorCode.configBadValue),
        (#"{"answers":[],"algorithm":{"variationPercent":1e400}}"#, ErrorCode.configBadValue),
        (#"{"answers":[],"algorithm":{"nope":1}}"#, ErrorCode.configUnknownKey),
        (#"{"answers":[],"algorithm":[]}"#, ErrorCode.scoreMalformedJSON),
        (String(repeating: "[", count: 100_000), ErrorCode.scoreMalformedJSON),
        (#"{"answers":[],"pad":""# + String(repeating: " ", count: (1 << 20) + 1) + #""}"#, ErrorCode.scoreInputTooLarge),
    ]

    @Test func scoreCorpusGivesTheExpectedCodes() throws {
        let bank = try Fixtures.scoreBank()
        for (index, (text, expected)) in Self.scoreCorpus.enumerated() {
            let outcome = Self.scoreOutcome(Data(text.utf8), bank: bank)
            // CONFIG_BAD_VALUE for out-of-range settings; a number that does not fit an Int may
            // also be refused as malformed JSON by the decoder. Both are clean refusals.
            if expected == .configBadValue {
                #expect(outcome == .configBadValue || outcome == .scoreMalformedJSON, "score corpus case \(index): \(outcome.map(\.rawValue) ?? "parsed")")
            } else {
                #expect(outcome == expected, "score corpus case \(index)")
            }
        }
        var invalid = Array(#"{"answers":[{"challengeId":"f0003","result":"ok"}]}"#.utf8)
        invalid.insert(contentsOf: [0xFF, 0xC0, 0x80], at: 30)
        #expect(Self.scoreOutcome(Data(invalid), bank: bank) == .scoreMalformedJSON)
    }

    @Test func mutatedScoreInputsParseOrFailWithAKnownCode() throws {
        let bank = try Fixtures.scoreBank()
        let ids = bank.challenges.prefix(24).map(\.id)
        let answers = ids.enumerated().map { #"{"challengeId":"\#($1)","result":"\#($0 % 3 == 0 ? "ko" : "ok")"}"# }
        let valid = Data((#"{"answers":["# + answers.joined(separator: ",")
            + #"],"abortReason":"candidate","validatedAlertChallengeIds":[""# + ids[0]
            + #""],"algorithm":{"variationPercent":0.3,"maximumAssessmentLength":32},"estimator":"eap"}"#).utf8)
        #expect(Self.scoreOutcome(valid, bank: bank) == nil)
        var random = SplitMix64(state: 0x5C0E)
        var codes: [String: Int] = [:]
        for _ in 0..<Self.fuzzCasesPerLoop {
            let input = FuzzMutator.mutate(valid, using: &random)
            codes[Self.scoreOutcome(input, bank: bank)?.rawValue ?? "parsed", default: 0] += 1
        }
        #expect(codes.keys.count >= 4, "outcomes: \(codes)")
    }
}


/// Structure-unaware mutations of a valid document: truncation, byte flips, deleted and
/// repeated spans, and splices of tokens that parsers find hard (huge numbers, deep nesting,
/// invalid UTF-8, NUL, long strings, wrong types).
enum FuzzMutator {
    static let tokens: [[UInt8]] = [
        "{", "}", "[", "]", "\"", ",", ":", "null", "true", "false", "-1", "0", "1e400", "-1e400",
        "99999999999999999999999999", "NaN", "-0.0", "\"\"", "{}", "[]", "\\u0000", "\\ud800", "\"\\",
        String(repeating: "[", count: 600), String(repeating: "{\"k\":", count: 300), String(repeating: "x", count: 5_000),
        "\"competence\":\"9.9\"", "\"level\":0", "\"discriminant\":-2",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0x00], [0xEF, 0xBB, 0xBF]]

    static func mutate(_ data: Data, using random: inout SplitMix64) -> Data {
        var bytes = Array(data)
        let rounds = 1 + Int(random.next() % 3)
        for _ in 0..<rounds where !bytes.isEmpty {
            let at = Int(random.next() % UInt64(bytes.count))
            switch random.next() % 6 {
            case 0:
                bytes.removeSubrange(at...)
            case 1:
                bytes[at] = UInt8(truncatingIfNeeded: random.next())
            case 2:
                let length = min(bytes.count - at, 1 + Int(random.next() % 64))
                bytes.removeSubrange(at..<(at + length))
            case 3:
                let length = min(bytes.count - at, 1 + Int(random.next() % 64))
                bytes.insert(contentsOf: Array(bytes[at..<(at + length)]), at: at)
            default:
                bytes.insert(contentsOf: tokens[Int(random.next() % UInt64(tokens.count))], at: at)
            }
        }
        return Data(bytes)
    }
}
