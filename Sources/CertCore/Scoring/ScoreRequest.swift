import Foundation

/// The input of `certsim score` (one recorded test), parsed and checked against a bank so that
/// every problem is one `ScoreInputError` naming it. Owned by the CLI; lives here so the rules
/// for reading it are tested with the engine.
///
/// ```json
/// {"answers":[{"challengeId":"c0001","result":"ok"}], "abortReason":null,
///  "validatedAlertChallengeIds":[], "algorithm":{"variationPercent":0.3}, "estimator":"eap"}
/// ```
public struct ScoreRequest: Sendable, Equatable {
    /// Largest input accepted, in bytes.
    public static let inputBytesMax = 1 << 20

    public var answers: [Answer]
    public var abortReason: AbortReason?
    public var validatedAlertChallengeIds: Set<String>
    /// The version's rules with the request's `algorithm` and `estimator` on top.
    public var rules: CertificationRules

    public init(answers: [Answer], abortReason: AbortReason?, validatedAlertChallengeIds: Set<String>,
                rules: CertificationRules) {
        self.answers = answers
        self.abortReason = abortReason
        self.validatedAlertChallengeIds = validatedAlertChallengeIds
        self.rules = rules
    }

    public func score(bank: ItemBank) throws(ScoringError) -> CertificationResult {
        try Scoring.score(answers: answers, abortReason: abortReason,
                          validatedAlertChallengeIds: validatedAlertChallengeIds, bank: bank,
                          version: rules.version, configuration: rules.configuration)
    }

    private static let topLevelKeys = ["answers", "abortReason", "validatedAlertChallengeIds", "algorithm", "estimator"]

    /// Parses and checks the input. Codes: SCORE_INPUT_TOO_LARGE, SCORE_MALFORMED_JSON,
    /// SCORE_UNKNOWN_KEY, SCORE_MISSING_FIELD, SCORE_BAD_RESULT, SCORE_BAD_ABORT_REASON,
    /// SCORE_BAD_ESTIMATOR, SCORE_UNKNOWN_CHALLENGE, CONFIG_UNKNOWN_KEY, CONFIG_BAD_VALUE.
    public static func parse(_ data: Data, bank: ItemBank,
                             version: CertificationVersion = BuiltInVersions.coreV3) throws(ScoreInputError) -> ScoreRequest {
        guard data.count <= inputBytesMax else {
            throw ScoreInputError(.scoreInputTooLarge, "input is \(data.count) bytes, more than \(inputBytesMax)")
        }
        let raw: RawRequest
        do {
            raw = try JSONDecoder().decode(RawRequest.self, from: data)
        } catch let error as CertError {
            throw error  // this parser's own refusals, and CONFIG_* from the algorithm settings
        } catch {
            throw ScoreInputError(.scoreMalformedJSON, "input is not a valid score request: \(describe(error))")
        }
        if let unknown = raw.keys.sorted().first(where: { !topLevelKeys.contains($0) }) {
            throw ScoreInputError(.scoreUnknownKey, "unknown input key \"\(unknown)\" (known: \(topLevelKeys.joined(separator: ", ")))")
        }
        guard let rawAnswers = raw.answers else {
            throw ScoreInputError(.scoreMissingField, "input field \"answers\" is missing")
        }
        var answers: [Answer] = []
        for (index, rawAnswer) in rawAnswers.enumerated() {
            guard let challengeId = rawAnswer.challengeId else {
                throw ScoreInputError(.scoreMissingField, "answers[\(index)] has no \"challengeId\"")
            }
            guard bank.index(ofChallenge: challengeId) != nil else {
                throw ScoreInputError(.scoreUnknownChallenge, "answers[\(index)].challengeId \"\(challengeId)\" is not in bank \(bank.version)")
            }
            guard let word = rawAnswer.result else {
                throw ScoreInputError(.scoreMissingField, "answers[\(index)] has no \"result\"")
            }
            guard let result = AnswerResult(rawValue: word) else {
                throw ScoreInputError(.scoreBadResult, "answers[\(index)].result \"\(word)\" is not one of \(AnswerResult.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            answers.append(Answer(challengeId: challengeId, result: result))
        }
        var abortReason: AbortReason?
        if let word = raw.abortReason {
            guard let reason = AbortReason(rawValue: word) else {
                throw ScoreInputError(.scoreBadAbortReason, "abortReason \"\(word)\" is not null or one of \(AbortReason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            abortReason = reason
        }
        for id in raw.validatedAlertChallengeIds ?? [] where bank.index(ofChallenge: id) == nil {
            throw ScoreInputError(.scoreUnknownChallenge, "validatedAlertChallengeIds entry \"\(id)\" is not in bank \(bank.version)")
        }
        var estimator: EstimatorKind?
        if let word = raw.estimator {
            guard let parsed = EstimatorKind(rawValue: word) else {
                throw ScoreInputError(.scoreBadEstimator, "estimator \"\(word)\" is not one of \(EstimatorKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            estimator = parsed
        }
        var overrides: [String: JSONValue] = [:]
        if let algorithm = raw.algorithm, algorithm != .null {
            guard let fields = algorithm.objectValue else {
                throw ScoreInputError(.scoreMalformedJSON, "input field \"algorithm\" must be an object of algorithm settings")
            }
            overrides = fields
        }
        let rules = try CertificationRules(version: version, overrides: overrides, estimator: estimator)
        return ScoreRequest(answers: answers, abortReason: abortReason,
                            validatedAlertChallengeIds: Set(raw.validatedAlertChallengeIds ?? []),
                            rules: rules)
    }
}

private struct RawRequest: Decodable {
    struct RawAnswer: Decodable {
        let challengeId: String?
        let result: String?
    }

    let keys: [String]
    let answers: [RawAnswer]?
    let abortReason: String?
    let validatedAlertChallengeIds: [String]?
    let algorithm: JSONValue?
    let estimator: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FieldKey.self)
        keys = container.allKeys.map(\.stringValue)
        answers = try container.decodeIfPresent([RawAnswer].self, forKey: FieldKey("answers"))
        abortReason = try container.decodeIfPresent(String.self, forKey: FieldKey("abortReason"))
        validatedAlertChallengeIds = try container.decodeIfPresent([String].self, forKey: FieldKey("validatedAlertChallengeIds"))
        algorithm = try container.decodeIfPresent(JSONValue.self, forKey: FieldKey("algorithm"))
        estimator = try container.decodeIfPresent(String.self, forKey: FieldKey("estimator"))
    }
}
