/// A scalar value in a scenario's `algorithm` section, kept as written so the engine's own
/// configuration decoder sees exactly what the file said.
///
/// Owned by CertLoad's scenario half.
public enum AlgorithmValue: Sendable, Codable, Equatable {
    case bool(Bool)
    case int(Int)
    case double(Double)
    case null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else { self = .double(try container.decode(Double.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// The value as a JSON literal.
    public var jsonText: String {
        switch self {
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value): return "\(value)"
        case .null: return "null"
        }
    }

    /// The value as a Double when it is a number.
    public var number: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        case .bool, .null: return nil
        }
    }
}

/// The algorithm settings a scenario may override (DESIGN §3.4), with the kind and range of each.
///
/// Owned by CertLoad's scenario half; keep in step with the engine's `AlgorithmConfiguration`.
public enum AlgorithmOverrides {
    /// What a key accepts.
    public enum Kind: Sendable {
        /// An integer in the range.
        case integer(ClosedRange<Int>)
        /// A boolean.
        case boolean
        /// A finite number in the range; `nullable` also accepts `null`.
        case number(ClosedRange<Double>, nullable: Bool)
    }

    /// Every key accepted under `algorithm`, in the order of DESIGN §3.4.
    public static let known: [(key: String, kind: Kind)] = [
        ("maximumAssessmentLength", .integer(1...1000)),
        ("challengesBetweenSameCompetence", .integer(0...1000)),
        ("limitToOneQuestionPerTube", .boolean),
        ("enablePassageByAllCompetences", .boolean),
        ("variationPercent", .number(0.000_001...100, nullable: true)),
        ("defaultCandidateCapacity", .number(-9...9, nullable: false)),
        ("defaultProbabilityToPickChallenge", .number(0.000_001...100, nullable: false)),
    ]
}
