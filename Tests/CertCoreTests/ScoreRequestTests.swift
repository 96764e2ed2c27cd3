import CertCore
import Foundation
import Testing

/// The parsing that `certsim score` runs on its input, and the algorithm settings it accepts.
@Suite struct ScoreRequestTests {
    static func parseError(_ text: String) throws -> ScoreInputError? {
        let bank = try Fixtures.scoreBank()
        do {
            _ = try ScoreRequest.parse(Data(text.utf8), bank: bank)
            return nil
        } catch {
            return error
        }
    }

    @Test func aFullRequestParses() throws {
        let text = #"{"answers":[{"challengeId":"f0003","result":"ok"},{"challengeId":"f0030","result":"timedout"}],"abortReason":"candidate","validatedAlertChallengeIds":["f0003"],"algorithm":{"variationPercent":0.3},"estimator":"eap"}"#
        let request = try ScoreRequest.parse(Data(text.utf8), bank: try Fixtures.scoreBank())
        #expect(request.answers == [Answer(challengeId: "f0003", result: .ok), Answer(challengeId: "f0030", result: .timedout)])
        #expect(request.abortReason == .candidate)
        #expect(request.validatedAlertChallengeIds == ["f0003"])
        #expect(request.rules.configuration.variationPercent == 0.3)
        #expect(request.rules.configuration.estimator == .eap)
        #expect(request.rules.configuration.maximumAssessmentLength == 32)
    }

    @Test func optionalFieldsDefault() throws {
        let request = try ScoreRequest.parse(Data(#"{"answers":[]}"#.utf8), bank: try Fixtures.scoreBank())
        #expect(request.abortReason == nil)
        #expect(request.rules.configuration == .default)
    }

    @Test(arguments: [
        (#"{"answers":[{"challengeId":"zz9","result":"ok"}]}"#, ErrorCode.scoreUnknownChallenge, "zz9"),
        (#"{"answers":[{"challengeId":"f0003","result":"maybe"}]}"#, ErrorCode.scoreBadResult, "maybe"),
        (#"{"answers":[{"challengeId":"f0003","result":"ok"}"#, ErrorCode.scoreMalformedJSON, "valid"),
        (#"{"answers":[],"algorithm":{"pickProbability":3}}"#, ErrorCode.configUnknownKey, "pickProbability"),
        (#"{"answers":[],"algorithm":{"maximumAssessmentLength":"x"}}"#, ErrorCode.configBadValue, "maximumAssessmentLength"),
        (#"{"answers":[],"abortReason":"bored"}"#, ErrorCode.scoreBadAbortReason, "bored"),
        (#"{"answers":[],"estimator":"mle"}"#, ErrorCode.scoreBadEstimator, "mle"),
        (#"{"answers":[],"extra":1}"#, ErrorCode.scoreUnknownKey, "extra"),
        (#"{"abortReason":null}"#, ErrorCode.scoreMissingField, "answers"),
        (#"{"answers":[{"result":"ok"}]}"#, ErrorCode.scoreMissingField, "challengeId"),
        (#"{"answers":[],"validatedAlertChallengeIds":["nope"]}"#, ErrorCode.scoreUnknownChallenge, "nope"),
        (#"[1,2]"#, ErrorCode.scoreMalformedJSON, "request"),
    ])
    func badInputIsOneNamedError(text: String, code: ErrorCode, named: String) throws {
        let error = try #require(try Self.parseError(text))
        #expect(error.code == code)
        #expect(error.message.contains(named))
        #expect(!error.description.contains("\n"))
    }

    @Test func resultIsOneLineSortedJSON() throws {
        let bank = try Fixtures.scoreBank()
        let request = try ScoreRequest.parse(Data(#"{"answers":[{"challengeId":"f0003","result":"ok"}]}"#.utf8), bank: bank)
        let text = String(decoding: try request.score(bank: bank).jsonData(), as: UTF8.self)
        #expect(!text.contains("\n"))
        #expect(text.hasPrefix(#"{"answersCount":1,"capacity":"#))
    }

    // MARK: AlgorithmConfiguration.

    @Test func partialConfigurationKeepsDefaults() throws {
        let configuration = try JSONDecoder().decode(AlgorithmConfiguration.self,
                                                     from: Data(#"{"challengesBetweenSameCompetence":0}"#.utf8))
        var expected = AlgorithmConfiguration.default
        expected.challengesBetweenSameCompetence = 0
        #expect(configuration == expected)
        #expect(AlgorithmConfiguration.default.maximumAssessmentLength == 32)
        #expect(AlgorithmConfiguration.default.defaultProbabilityToPickChallenge == 51)
        #expect(AlgorithmConfiguration.default.variationPercent == 0.5)
        #expect(AlgorithmConfiguration.default.defaultCandidateCapacity == -3)
    }

    @Test func nullVariationPercentDisablesCapping() throws {
        let configuration = try JSONDecoder().decode(AlgorithmConfiguration.self, from: Data(#"{"variationPercent":null}"#.utf8))
        #expect(configuration.variationPercent == nil)
        let again = try JSONDecoder().decode(AlgorithmConfiguration.self, from: JSONEncoder().encode(configuration))
        #expect(again == configuration)
    }

    @Test func unknownKeyIsRefusedByName() {
        do {
            _ = try JSONDecoder().decode(AlgorithmConfiguration.self, from: Data(#"{"maxLength":3}"#.utf8))
            Issue.record("unknown key must be refused")
        } catch let error as ConfigurationError {
            #expect(error.code == .configUnknownKey)
            #expect(error.message.contains("maxLength"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func outOfRangeValuesAreRefused() {
        for text in [#"{"maximumAssessmentLength":0}"#, #"{"defaultProbabilityToPickChallenge":0}"#,
                     #"{"defaultProbabilityToPickChallenge":101}"#, #"{"variationPercent":-1}"#] {
            #expect(throws: ConfigurationError.self) {
                try JSONDecoder().decode(AlgorithmConfiguration.self, from: Data(text.utf8))
            }
        }
    }
}
