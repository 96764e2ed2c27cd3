import Foundation

/// The calibrated item bank: the framework (competences) and the challenges, validated on
/// construction so the engine never meets a bad item. Immutable and cheap to copy (arrays are
/// copy-on-write); one instance is shared by every candidate of a daemon or a run.
///
/// ```swift
/// let bank = try ItemBank.load(path: "Scenarios/banks/crcn-synthetic-1.json")
/// let first = bank.challenges[bank.index(ofChallenge: "c0001")!]
/// ```
public struct ItemBank: Sendable {
    /// Levels a skill may have.
    public static let levelRange = 1...8

    public let version: String
    /// The competence framework the bank declares (`crcn`, `crcn-edu`, `droit`, `pro-sante`),
    /// checked against a certification version's framework; nil for a bank that declares none
    /// (test banks), which any version accepts.
    public let competenceFramework: String?
    /// What a reader should know about the bank (a bank on a made-up framework says so).
    public let comment: String?
    public let competences: [Competence]
    public let challenges: [Challenge]
    private let indexById: [String: Int]

    /// Validates and builds a bank. The first problem found is thrown, naming the item.
    public init(version: String, competenceFramework: String? = nil, comment: String? = nil,
                competences: [Competence], challenges: [Challenge]) throws(BankError) {
        guard !competences.isEmpty else {
            throw BankError(.bankNoCompetences, "the bank lists no competences")
        }
        var competenceIds = Set<String>()
        for competence in competences {
            guard competenceIds.insert(competence.id).inserted else {
                throw BankError(.bankDuplicateCompetence, "competence \"\(competence.id)\" is listed twice")
            }
        }
        var indexById: [String: Int] = [:]
        indexById.reserveCapacity(challenges.count)
        var challengeCountByCompetence: [String: Int] = [:]
        for (index, challenge) in challenges.enumerated() {
            try ItemBank.validate(challenge, competenceIds: competenceIds)
            if let first = indexById[challenge.id] {
                throw BankError(.bankDuplicateId, "challenge \"\(challenge.id)\" field \"id\" is duplicated (items \(first) and \(index))")
            }
            indexById[challenge.id] = index
            challengeCountByCompetence[challenge.competence, default: 0] += 1
        }
        for competence in competences where challengeCountByCompetence[competence.id] == nil {
            throw BankError(.bankEmptyCompetence, "competence \"\(competence.id)\" has no challenges")
        }
        self.version = version
        self.competenceFramework = competenceFramework
        self.comment = comment
        self.competences = competences
        self.challenges = challenges
        self.indexById = indexById
    }

    public func index(ofChallenge id: String) -> Int? {
        indexById[id]
    }

    public func challenge(withId id: String) -> Challenge? {
        indexById[id].map { challenges[$0] }
    }

    /// Pretty, sorted-keys JSON in the bank file format.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let file = BankFile(version: version, competenceFramework: competenceFramework, comment: comment,
                            competences: competences, challenges: challenges)
        // Encoding plain strings, ints, bools and finite doubles cannot fail.
        return (try? encoder.encode(file)) ?? Data()
    }

    public static func load(path: String) throws(BankError) -> ItemBank {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw BankError(.bankUnreadable, "cannot read bank file \(path): \(error.localizedDescription)")
        }
        return try decode(data)
    }

    public static func decode(_ data: Data) throws(BankError) -> ItemBank {
        let raw: RawBank
        do {
            raw = try JSONDecoder().decode(RawBank.self, from: data)
        } catch let error as BankError {
            throw error
        } catch {
            throw BankError(.bankMalformed, "bank file is not valid bank JSON: \(describe(error))")
        }
        return try ItemBank(version: raw.version, competenceFramework: raw.competenceFramework, comment: raw.comment,
                            competences: raw.competences, challenges: raw.challenges)
    }

    private static func validate(_ challenge: Challenge, competenceIds: Set<String>) throws(BankError) {
        let name = "challenge \"\(challenge.id)\""
        for (field, value) in [("id", challenge.id), ("competence", challenge.competence), ("tube", challenge.tube),
                               ("skill", challenge.skill), ("locale", challenge.locale)] where value.isEmpty {
            throw BankError(.bankMissingField, "\(name) field \"\(field)\" is empty")
        }
        guard challenge.discriminant.isFinite else {
            throw BankError(.bankNonFinite, "\(name) field \"discriminant\" is not a finite number")
        }
        guard challenge.difficulty.isFinite else {
            throw BankError(.bankNonFinite, "\(name) field \"difficulty\" is not a finite number")
        }
        guard challenge.discriminant > 0 else {
            throw BankError(.bankBadDiscriminant, "\(name) field \"discriminant\" must be > 0, got \(challenge.discriminant)")
        }
        guard levelRange.contains(challenge.level) else {
            throw BankError(.bankBadLevel, "\(name) field \"level\" must be in 1...8, got \(challenge.level)")
        }
        guard competenceIds.contains(challenge.competence) else {
            throw BankError(.bankUnknownCompetence, "\(name) field \"competence\" names unknown competence \"\(challenge.competence)\"")
        }
    }
}

private struct BankFile: Encodable {
    let version: String
    let competenceFramework: String?
    let comment: String?
    let competences: [Competence]
    let challenges: [Challenge]
}

/// Decodes field by field so that a missing or mistyped field becomes a `BankError` naming the
/// item, instead of a generic decoding error.
private struct RawBank: Decodable {
    let version: String
    let competenceFramework: String?
    let comment: String?
    let competences: [Competence]
    let challenges: [Challenge]

    private enum Keys: String, CodingKey { case version, competenceFramework, comment, competences, challenges }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        guard container.contains(.version) else {
            throw BankError(.bankMissingField, "bank field \"version\" is missing")
        }
        guard container.contains(.competences) else {
            throw BankError(.bankMissingField, "bank field \"competences\" is missing")
        }
        guard container.contains(.challenges) else {
            throw BankError(.bankMissingField, "bank field \"challenges\" is missing")
        }
        version = try container.decode(String.self, forKey: .version)
        if container.contains(.competenceFramework), try !container.decodeNil(forKey: .competenceFramework) {
            guard let framework = try? container.decode(String.self, forKey: .competenceFramework), !framework.isEmpty else {
                throw BankError(.bankMalformed, "bank field \"competenceFramework\" is not a non-empty string")
            }
            competenceFramework = framework
        } else {
            competenceFramework = nil
        }
        if container.contains(.comment), try !container.decodeNil(forKey: .comment) {
            guard let text = try? container.decode(String.self, forKey: .comment) else {
                throw BankError(.bankMalformed, "bank field \"comment\" is not a string")
            }
            comment = text
        } else {
            comment = nil
        }
        var competenceList = try container.nestedUnkeyedContainer(forKey: .competences)
        var competences: [Competence] = []
        while !competenceList.isAtEnd {
            let index = competenceList.currentIndex
            let item = try competenceList.nestedContainer(keyedBy: FieldKey.self)
            let id: String = try RawBank.field(item, "id", owner: "competence at index \(index)")
            let owner = "competence \"\(id)\""
            competences.append(Competence(id: id, domain: try RawBank.field(item, "domain", owner: owner),
                                          name: try RawBank.field(item, "name", owner: owner)))
        }
        self.competences = competences
        var challengeList = try container.nestedUnkeyedContainer(forKey: .challenges)
        var challenges: [Challenge] = []
        while !challengeList.isAtEnd {
            let index = challengeList.currentIndex
            let item = try challengeList.nestedContainer(keyedBy: FieldKey.self)
            let id: String = try RawBank.field(item, "id", owner: "challenge at index \(index)")
            let owner = "challenge \"\(id)\""
            let level: Int
            do {
                level = try RawBank.field(item, "level", owner: owner)
            } catch let error as BankError where error.code == .bankMalformed {
                throw BankError(.bankBadLevel, "\(owner) field \"level\" must be an integer in 1...8")
            }
            challenges.append(Challenge(
                id: id,
                competence: try RawBank.field(item, "competence", owner: owner),
                tube: try RawBank.field(item, "tube", owner: owner),
                skill: try RawBank.field(item, "skill", owner: owner),
                level: level,
                discriminant: try RawBank.field(item, "discriminant", owner: owner),
                difficulty: try RawBank.field(item, "difficulty", owner: owner),
                accessible: try RawBank.field(item, "accessible", owner: owner),
                locale: try RawBank.field(item, "locale", owner: owner)))
        }
        self.challenges = challenges
    }

    private static func field<T: Decodable>(
        _ container: KeyedDecodingContainer<FieldKey>, _ name: String, owner: String
    ) throws -> T {
        let key = FieldKey(name)
        guard container.contains(key), (try? container.decodeNil(forKey: key)) != true else {
            throw BankError(.bankMissingField, "\(owner) field \"\(name)\" is missing")
        }
        guard let value = try? container.decode(T.self, forKey: key) else {
            throw BankError(.bankMalformed, "\(owner) field \"\(name)\" is not a \(T.self)")
        }
        return value
    }
}

struct FieldKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// One line describing a decoding failure, with the coding path when there is one.
func describe(_ error: any Error) -> String {
    guard let decodingError = error as? DecodingError else { return String(describing: error) }
    func path(_ context: DecodingError.Context) -> String {
        let joined = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return joined.isEmpty ? "" : " at \(joined.hasPrefix(".") ? String(joined.dropFirst()) : joined)"
    }
    switch decodingError {
    case .dataCorrupted(let context):
        var text = context.debugDescription + path(context)
        if let underlying = context.underlyingError {
            text += " (\(underlying.localizedDescription))"
        }
        return text
    case .keyNotFound(let key, let context):
        return "missing key \"\(key.stringValue)\"" + path(context)
    case .typeMismatch(let type, let context):
        return "expected \(type)" + path(context)
    case .valueNotFound(let type, let context):
        return "missing \(type) value" + path(context)
    @unknown default:
        return String(describing: error)
    }
}
