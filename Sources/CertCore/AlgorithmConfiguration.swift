import Foundation

/// Which capacity estimator the rules use (DESIGN §3.3).
public enum EstimatorKind: String, Codable, Sendable, CaseIterable {
    /// Pix v3 "flash": prior re-centred on the previous estimate, capped variation.
    case flash
    /// Textbook expected a posteriori: fixed N(0,1) prior, no capping.
    case eap
}

/// The adaptive algorithm's settings (DESIGN §3.4), per scenario or per daemon. Decodes from a
/// partial object: missing keys keep their defaults, an unknown key is refused by name.
/// Owned by whoever runs the rules (daemon, runner, `certsim score`).
///
/// ```swift
/// let configuration = try JSONDecoder().decode(AlgorithmConfiguration.self,
///                                              from: Data(#"{"variationPercent": 0.3}"#.utf8))
/// ```
public struct AlgorithmConfiguration: Codable, Sendable, Equatable {
    /// Counted answers that end the test.
    public var maximumAssessmentLength = 32
    /// A competence answered in the last N answers is avoided (unless nothing else is left).
    public var challengesBetweenSameCompetence = 2
    /// Drop tubes already answered (else: drop skills already answered).
    public var limitToOneQuestionPerTube = true
    /// Serve every competence of the pool before any competence twice.
    public var enablePassageByAllCompetences = true
    /// Flash capping of the estimate's move per answer; nil disables the cap.
    public var variationPercent: Double? = 0.5
    /// Capacity before any answer.
    public var defaultCandidateCapacity = -3.0
    /// Percent chance to pick the most informative challenge (then the next, geometrically).
    public var defaultProbabilityToPickChallenge = 51.0
    public var estimator: EstimatorKind = .flash

    public static let `default` = AlgorithmConfiguration()

    public init() {}

    private enum Key: String, CodingKey, CaseIterable {
        case maximumAssessmentLength, challengesBetweenSameCompetence, limitToOneQuestionPerTube
        case enablePassageByAllCompetences, variationPercent, defaultCandidateCapacity
        case defaultProbabilityToPickChallenge, estimator
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FieldKey.self)
        let known = Set(Key.allCases.map(\.rawValue))
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError(.configUnknownKey, "unknown algorithm setting \"\(unknown)\" (known: \(Key.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        func value<T: Decodable>(_ key: Key, _ current: T) throws -> T {
            let field = FieldKey(key.rawValue)
            guard container.contains(field) else { return current }
            do {
                return try container.decode(T.self, forKey: field)
            } catch {
                throw ConfigurationError(.configBadValue, "algorithm setting \"\(key.rawValue)\" must be a \(T.self)")
            }
        }
        maximumAssessmentLength = try value(.maximumAssessmentLength, maximumAssessmentLength)
        challengesBetweenSameCompetence = try value(.challengesBetweenSameCompetence, challengesBetweenSameCompetence)
        limitToOneQuestionPerTube = try value(.limitToOneQuestionPerTube, limitToOneQuestionPerTube)
        enablePassageByAllCompetences = try value(.enablePassageByAllCompetences, enablePassageByAllCompetences)
        let variationField = FieldKey(Key.variationPercent.rawValue)
        if container.contains(variationField) {
            variationPercent = try container.decodeNil(forKey: variationField) ? nil : try value(.variationPercent, 0.0)
        }
        defaultCandidateCapacity = try value(.defaultCandidateCapacity, defaultCandidateCapacity)
        defaultProbabilityToPickChallenge = try value(.defaultProbabilityToPickChallenge, defaultProbabilityToPickChallenge)
        estimator = try value(.estimator, estimator)
        try validate()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(maximumAssessmentLength, forKey: .maximumAssessmentLength)
        try container.encode(challengesBetweenSameCompetence, forKey: .challengesBetweenSameCompetence)
        try container.encode(limitToOneQuestionPerTube, forKey: .limitToOneQuestionPerTube)
        try container.encode(enablePassageByAllCompetences, forKey: .enablePassageByAllCompetences)
        if let variationPercent {
            try container.encode(variationPercent, forKey: .variationPercent)
        } else {
            try container.encodeNil(forKey: .variationPercent)
        }
        try container.encode(defaultCandidateCapacity, forKey: .defaultCandidateCapacity)
        try container.encode(defaultProbabilityToPickChallenge, forKey: .defaultProbabilityToPickChallenge)
        try container.encode(estimator, forKey: .estimator)
    }

    /// Refuses settings the rules cannot run with.
    public func validate() throws(ConfigurationError) {
        func bad(_ key: Key, _ rule: String) -> ConfigurationError {
            ConfigurationError(.configBadValue, "algorithm setting \"\(key.rawValue)\" \(rule)")
        }
        guard maximumAssessmentLength >= 1 else { throw bad(.maximumAssessmentLength, "must be >= 1") }
        guard challengesBetweenSameCompetence >= 0 else { throw bad(.challengesBetweenSameCompetence, "must be >= 0") }
        if let variationPercent {
            guard variationPercent.isFinite, variationPercent > 0 else { throw bad(.variationPercent, "must be > 0 or null") }
        }
        guard defaultCandidateCapacity.isFinite else { throw bad(.defaultCandidateCapacity, "must be a finite number") }
        guard defaultProbabilityToPickChallenge > 0, defaultProbabilityToPickChallenge <= 100 else {
            throw bad(.defaultProbabilityToPickChallenge, "must be in (0, 100]")
        }
    }
}

