import Crypto
import Foundation

/// A certification's framework (DESIGN §3.7, §3.8): which certification a version runs.
public enum CertificationFramework: String, Sendable, Codable, CaseIterable {
    case core = "CORE"
    case edu1erDegre = "EDU_1ER_DEGRE"
    case edu2ndDegre = "EDU_2ND_DEGRE"
    case eduCPE = "EDU_CPE"
    case droit = "DROIT"
    case proSante = "PRO_SANTE"
    case clea = "CLEA"

    /// The competence framework a bank must declare to serve this certification (a bank that
    /// declares none is accepted by any version: test banks).
    /// Pix+ Édu (1er degré, 2nd degré, CPE): one admissible level, which an external jury may
    /// raise (DESIGN §3.8).
    public var isEdu: Bool { self == .edu1erDegre || self == .edu2ndDegre || self == .eduCPE }

    public var competenceFramework: String {
        switch self {
        case .core, .clea: "crcn"
        case .edu1erDegre, .edu2ndDegre, .eduCPE: "crcn-edu"
        case .droit: "droit"
        case .proSante: "pro-sante"
        }
    }
}

/// Whether a version may start tests (DESIGN §3.7): an archived one still scores stored results.
public enum VersionStatus: String, Sendable, Codable, CaseIterable {
    case draft, active, archived
}

/// One interval of the global scoring: capacities in [min, max) give this level and label.
public struct CapacityInterval: Sendable, Equatable, Codable {
    public var level: Int
    public var label: String
    public var min: Double
    public var max: Double
    /// Present when the version computes a Pix score.
    public var weight: Double?
    public var coefficient: Double?
}

/// Every number of the certification rules, as data (DESIGN §3.7): the adaptive settings, the
/// minimum answers to validate, the duration, the capacity intervals and their scoring, the
/// per-competence thresholds. Decoded and validated by ``decode(_:)``; a bad file is one
/// `CertError` naming the key, never a crash. Immutable; shared by every test it scores.
///
/// ```swift
/// let version = try CertificationVersion.load(path: "Scenarios/versions/core-v3.json")
/// version.interval(containing: 0.1)?.label   // "LEVEL_BEGINNER_2"
/// ```
public struct CertificationVersion: Sendable, Equatable {
    public var id: String
    public var framework: CertificationFramework
    public var comment: String?
    public var status: VersionStatus
    /// The adaptive settings (all seven keys of DESIGN §3.4); the estimator stays flash unless a
    /// request or scenario overrides it.
    public var challenges: AlgorithmConfiguration
    public var minimumAnswersToValidate: Int
    public var assessmentDurationMinutes: Int
    public var pixScore: Bool
    public var intervals: [CapacityInterval]
    /// Ascending thresholds per competence id, and the `default` list; nil: no competence levels.
    public var competenceThresholds: [String: [Double]]?
    public var defaultCompetenceThresholds: [Double]?
    public var externalLevels: [String]
    /// SHA-256 of the canonical JSON of the decoded version (sorted keys, no whitespace): two
    /// files that say the same thing hash the same, whatever their layout.
    public var contentHash: String
    /// The version's canonical JSON (what ``contentHash`` hashes, and what the store keeps).
    public var document: String

    /// Largest version file read, in bytes.
    public static let fileBytesMax = 1 << 20

    /// The top Pix score: w_last · (c_last + 1) − 1 (895 for core). Nil without a Pix score.
    public var maximumPixScore: Int? {
        guard pixScore, let last = intervals.last, let weight = last.weight, let coefficient = last.coefficient else { return nil }
        return Int(weight * (coefficient + 1)) - 1
    }

    /// The interval with min ≤ θ < max; θ at or above the last max falls in the last interval;
    /// nil below the first min.
    public func intervalIndex(containing capacity: Double) -> Int? {
        guard let first = intervals.first, capacity >= first.min else { return nil }
        if let index = intervals.firstIndex(where: { $0.min <= capacity && capacity < $0.max }) { return index }
        return intervals.count - 1
    }

    /// Pix score of θ in interval `index` (DESIGN §3.5); nil when the version has none.
    public func pixScore(capacity: Double, intervalIndex index: Int) -> Int? {
        guard pixScore, let top = maximumPixScore else { return nil }
        let interval = intervals[index]
        guard let weight = interval.weight, let coefficient = interval.coefficient else { return nil }
        if capacity >= interval.max { return top }
        let share = (interval.max - capacity) / (interval.max - interval.min)
        return Swift.min(top, Int((weight * (coefficient + 1 - share)).rounded(.down)))
    }

    /// Competence levels at θ: for each competence, the number of its thresholds ≤ θ. Nil when
    /// the version gives no competence scoring.
    public func competenceLevels(capacity: Double, competenceIds: [String]) -> [String: Int]? {
        guard competenceThresholds != nil || defaultCompetenceThresholds != nil else { return nil }
        var levels: [String: Int] = [:]
        for id in competenceIds {
            let thresholds = competenceThresholds?[id] ?? defaultCompetenceThresholds ?? []
            levels[id] = thresholds.filter { $0 <= capacity }.count
        }
        return levels
    }

    /// Refuses a bank whose declared competence framework is not this version's, or that has a
    /// competence the version's thresholds leave out (with no `default` list).
    public func check(bank: ItemBank) throws(CertError) {
        if let declared = bank.competenceFramework, declared != framework.competenceFramework {
            throw CertError(.versionBankMismatch, "version \(id) (\(framework.rawValue)) needs a bank of the \(framework.competenceFramework) framework; bank \(bank.version) declares \(declared)")
        }
        if let own = competenceThresholds, defaultCompetenceThresholds == nil,
           let missing = bank.competences.first(where: { own[$0.id] == nil }) {
            throw CertError(.versionBankMismatch, "version \(id) gives no competence thresholds for competence \(missing.id) of bank \(bank.version), and no \"default\" list")
        }
    }

    /// The bank among `banks` that serves this version (DESIGN §3.7): the one declaring the
    /// version's competence framework, else the one declaring none. None, or two of a kind, is
    /// a coded error.
    public func servingBank(from banks: [ItemBank]) throws(CertError) -> ItemBank {
        let wanted = framework.competenceFramework
        let declaring = banks.filter { $0.competenceFramework == wanted }
        let candidates = declaring.isEmpty ? banks.filter { $0.competenceFramework == nil } : declaring
        guard candidates.count <= 1 else {
            throw CertError(.versionBankAmbiguous, "Version \(id) (\(framework.rawValue)) could be served from \(candidates.count) loaded banks (\(candidates.map(\.version).joined(separator: ", "))); load one bank per competence framework.")
        }
        guard let bank = candidates.first else {
            let loaded = banks.map { "\($0.version) (\($0.competenceFramework ?? "no framework"))" }.joined(separator: ", ")
            throw CertError(.versionBankMismatch, "Version \(id) (\(framework.rawValue)) needs a bank of the \(wanted) framework; the loaded banks are \(loaded).")
        }
        return bank
    }

    /// The row the store keeps for this version.
    public func record(storedSeconds: Double) -> VersionRecord {
        VersionRecord(id: id, contentHash: contentHash, framework: framework.rawValue, document: document,
                      storedSeconds: storedSeconds)
    }

    /// A one-paragraph summary for `certsim versions check`.
    public var summaryText: String {
        func number(_ value: Double) -> String { value.rounded() == value ? String(Int(value)) : "\(value)" }
        var lines = [
            "version \(id): framework \(framework.rawValue), \(status.rawValue), content \(contentHash.prefix(12))",
            "  test: at most \(challenges.maximumAssessmentLength) questions, \(minimumAnswersToValidate) answers to validate, \(assessmentDurationMinutes) minutes",
            "  selection: \(challenges.challengesBetweenSameCompetence) between same competence, one per tube \(challenges.limitToOneQuestionPerTube), all competences \(challenges.enablePassageByAllCompetences), variation \(challenges.variationPercent.map { number($0) } ?? "none"), start θ \(number(challenges.defaultCandidateCapacity)), pick \(number(challenges.defaultProbabilityToPickChallenge)) %",
            "  scoring: \(pixScore ? "Pix score up to \(maximumPixScore ?? 0)" : "no Pix score"), \(intervals.count) interval(s)",
        ]
        for (index, interval) in intervals.enumerated() {
            lines.append("    \(index) \(interval.label) [\(number(interval.min)), \(number(interval.max)))")
        }
        if let defaults = defaultCompetenceThresholds {
            lines.append("  competence thresholds: default \(defaults.map(number).joined(separator: " ")), \(competenceThresholds?.count ?? 0) competence(s) of their own")
        } else if let own = competenceThresholds {
            lines.append("  competence thresholds: \(own.count) competence(s) of their own, no default")
        } else {
            lines.append("  competence levels: none")
        }
        if !externalLevels.isEmpty { lines.append("  external levels: \(externalLevels.joined(separator: ", "))") }
        if let comment { lines.append("  \(comment)") }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Reading

    public static func load(path: String) throws(CertError) -> CertificationVersion {
        try VersionReader.load(path: path, decode)
    }

    /// Decodes and validates a version file. Codes: VERSION_MALFORMED, VERSION_UNKNOWN_KEY,
    /// VERSION_MISSING_KEY, VERSION_BAD_VALUE (also for a CLEA file, which runs no test: read
    /// it with ``CleaVersion`` or ``VersionDocument``).
    public static func decode(_ data: Data) throws(CertError) -> CertificationVersion {
        let json = try VersionReader.parse(data)
        var version = try VersionReader.read(json)
        (version.document, version.contentHash) = VersionReader.canonical(json)
        return version
    }
}

/// Walks a version's JSON by key, so that each refusal names the key's path. Shared by
/// ``CertificationVersion`` and ``CleaVersion``.
enum VersionReader {
    /// Reads a version file; VERSION_NOT_FOUND when it cannot be read, and any refusal of
    /// `decode` prefixed with the path.
    static func load<Version>(path: String, _ decode: (Data) throws(CertError) -> Version) throws(CertError) -> Version {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CertError(.versionNotFound, "certification version file \(path) does not exist")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CertError(.versionNotFound, "cannot read certification version file \(path): \(error.localizedDescription)")
        }
        do {
            return try decode(data)
        } catch {
            throw CertError(error.code, "\(path): \(error.message)")
        }
    }

    /// The file's JSON, within ``CertificationVersion/fileBytesMax`` (VERSION_MALFORMED otherwise).
    static func parse(_ data: Data) throws(CertError) -> JSONValue {
        guard data.count <= CertificationVersion.fileBytesMax else {
            throw CertError(.versionMalformed, "the version file is \(data.count) bytes, more than \(CertificationVersion.fileBytesMax)")
        }
        do {
            return try JSONValue.parse(data)
        } catch {
            throw CertError(.versionMalformed, "the version file is not valid JSON: \(describe(error))")
        }
    }

    /// The canonical JSON (sorted keys, no whitespace) and its SHA-256 in hexadecimal.
    static func canonical(_ json: JSONValue) -> (document: String, contentHash: String) {
        let document = json.jsonText()
        return (document, SHA256.hash(data: Data(document.utf8)).map { String(format: "%02x", $0) }.joined())
    }

    /// The `framework` word of a file, when it has one (to tell a CLEA file from a test's).
    static func frameworkWord(_ json: JSONValue) -> String? {
        json.objectValue?["framework"]?.stringValue
    }

    static let cleaRunsNoTest = "is CLEA: a CLEA version runs no test of its own (it reads the core certification's result), so it cannot score or serve a test; check it with `certsim versions check`"

    /// A version's `id`: at most 64 letters, digits, '-', '_' or '.'.
    static func identifier(_ value: JSONValue, _ path: String) throws(CertError) -> String {
        let id = try string(value, path)
        guard id.count <= 64, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw bad(path, "must be at most 64 letters, digits, '-', '_' or '.'")
        }
        return id
    }

    /// The optional `comment` (a string) and `status` (`active` when absent).
    static func commentAndStatus(_ top: [String: JSONValue]) throws(CertError) -> (comment: String?, status: VersionStatus) {
        var comment: String?
        if let value = top["comment"], value != .null {
            guard let text = value.stringValue else { throw bad("comment", "must be a string") }
            comment = text
        }
        var status = VersionStatus.active
        if let value = top["status"], value != .null {
            let word = try string(value, "status")
            guard let parsed = VersionStatus(rawValue: word) else {
                throw bad("status", "is \"\(word)\", not one of \(VersionStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = parsed
        }
        return (comment, status)
    }

    static let topKeys = ["id", "framework", "comment", "status", "challenges", "minimumAnswersToValidate",
                          "assessmentDurationMinutes", "globalScoring", "competenceScoring", "externalLevels"]
    static let challengeKeys = ["maximumAssessmentLength", "challengesBetweenSameCompetence", "limitToOneQuestionPerTube",
                                "enablePassageByAllCompetences", "variationPercent", "defaultCandidateCapacity",
                                "defaultProbabilityToPickChallenge"]
    static let intervalKeys = ["level", "label", "min", "max", "weight", "coefficient"]

    static func bad(_ path: String, _ rule: String) -> CertError {
        CertError(.versionBadValue, "\"\(path)\" \(rule)")
    }

    static func object(_ value: JSONValue, _ path: String, known: [String]) throws(CertError) -> [String: JSONValue] {
        guard let fields = value.objectValue else { throw bad(path, "must be an object") }
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            let name = path.isEmpty ? unknown : "\(path).\(unknown)"
            throw CertError(.versionUnknownKey, "unknown key \"\(name)\" (known: \(known.joined(separator: ", ")))")
        }
        return fields
    }

    static func required(_ fields: [String: JSONValue], _ key: String, _ path: String) throws(CertError) -> JSONValue {
        guard let value = fields[key], value != .null else {
            throw CertError(.versionMissingKey, "key \"\(path.isEmpty ? key : "\(path).\(key)")\" is missing")
        }
        return value
    }

    static func number(_ value: JSONValue, _ path: String) throws(CertError) -> Double {
        guard case .number(let number) = value, number.isFinite else { throw bad(path, "must be a finite number") }
        return number
    }

    static func integer(_ value: JSONValue, _ path: String) throws(CertError) -> Int {
        guard let number = value.intValue else { throw bad(path, "must be an integer") }
        return number
    }

    static func string(_ value: JSONValue, _ path: String) throws(CertError) -> String {
        guard let text = value.stringValue, !text.isEmpty else { throw bad(path, "must be a non-empty string") }
        return text
    }

    static func bool(_ value: JSONValue, _ path: String) throws(CertError) -> Bool {
        guard let flag = value.boolValue else { throw bad(path, "must be true or false") }
        return flag
    }

    static func ascending(_ value: JSONValue, _ path: String) throws(CertError) -> [Double] {
        guard let items = value.arrayValue else { throw bad(path, "must be an array of numbers") }
        var thresholds: [Double] = []
        for (index, item) in items.enumerated() {
            thresholds.append(try number(item, "\(path)[\(index)]"))
        }
        for index in thresholds.indices.dropFirst() where thresholds[index] <= thresholds[index - 1] {
            throw bad("\(path)[\(index)]", "must be above the threshold before it (\(thresholds[index - 1])): thresholds ascend")
        }
        return thresholds
    }

    static func read(_ json: JSONValue) throws(CertError) -> CertificationVersion {
        // Before the keys: a CLEA file's own keys would otherwise be reported as unknown.
        if frameworkWord(json) == CertificationFramework.clea.rawValue {
            throw bad("framework", cleaRunsNoTest)
        }
        let top = try object(json, "", known: topKeys)
        let id = try identifier(try required(top, "id", ""), "id")
        let frameworkWord = try string(try required(top, "framework", ""), "framework")
        guard let framework = CertificationFramework(rawValue: frameworkWord) else {
            throw bad("framework", "is \"\(frameworkWord)\", not one of \(CertificationFramework.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let (comment, status) = try commentAndStatus(top)

        let challengeFields = try object(try required(top, "challenges", ""), "challenges", known: challengeKeys)
        for key in challengeKeys {
            _ = try required(challengeFields, key, "challenges")
        }
        var challenges = AlgorithmConfiguration()
        challenges.maximumAssessmentLength = try integer(challengeFields["maximumAssessmentLength"]!, "challenges.maximumAssessmentLength")
        challenges.challengesBetweenSameCompetence = try integer(challengeFields["challengesBetweenSameCompetence"]!, "challenges.challengesBetweenSameCompetence")
        challenges.limitToOneQuestionPerTube = try bool(challengeFields["limitToOneQuestionPerTube"]!, "challenges.limitToOneQuestionPerTube")
        challenges.enablePassageByAllCompetences = try bool(challengeFields["enablePassageByAllCompetences"]!, "challenges.enablePassageByAllCompetences")
        challenges.variationPercent = try number(challengeFields["variationPercent"]!, "challenges.variationPercent")
        challenges.defaultCandidateCapacity = try number(challengeFields["defaultCandidateCapacity"]!, "challenges.defaultCandidateCapacity")
        challenges.defaultProbabilityToPickChallenge = try number(challengeFields["defaultProbabilityToPickChallenge"]!, "challenges.defaultProbabilityToPickChallenge")
        do {
            try challenges.validate()
        } catch {
            throw CertError(.versionBadValue, "challenges: \(error.message)")
        }

        let minimum = try integer(try required(top, "minimumAnswersToValidate", ""), "minimumAnswersToValidate")
        guard minimum >= 0, minimum <= challenges.maximumAssessmentLength else {
            throw bad("minimumAnswersToValidate", "must be in 0...\(challenges.maximumAssessmentLength) (challenges.maximumAssessmentLength), got \(minimum)")
        }
        let duration = try integer(try required(top, "assessmentDurationMinutes", ""), "assessmentDurationMinutes")
        guard (1...1440).contains(duration) else {
            throw bad("assessmentDurationMinutes", "must be in 1...1440, got \(duration)")
        }

        let scoring = try object(try required(top, "globalScoring", ""), "globalScoring", known: ["pixScore", "intervals"])
        let pixScore = try bool(try required(scoring, "pixScore", "globalScoring"), "globalScoring.pixScore")
        guard let rawIntervals = try required(scoring, "intervals", "globalScoring").arrayValue, !rawIntervals.isEmpty else {
            throw bad("globalScoring.intervals", "must be a non-empty array")
        }
        var intervals: [CapacityInterval] = []
        for (index, raw) in rawIntervals.enumerated() {
            let path = "globalScoring.intervals[\(index)]"
            let fields = try object(raw, path, known: intervalKeys)
            let level = try integer(try required(fields, "level", path), "\(path).level")
            guard level == index else { throw bad("\(path).level", "must equal the interval's index \(index), got \(level)") }
            let label = try string(try required(fields, "label", path), "\(path).label")
            let low = try number(try required(fields, "min", path), "\(path).min")
            let high = try number(try required(fields, "max", path), "\(path).max")
            guard low < high else { throw bad("\(path).max", "must be above min (\(low)), got \(high)") }
            if let previous = intervals.last, previous.max != low {
                throw bad("\(path).min", "must equal the previous interval's max \(previous.max) (intervals are contiguous and ascending), got \(low)")
            }
            var weight: Double?
            var coefficient: Double?
            if pixScore {
                weight = try number(try required(fields, "weight", path), "\(path).weight")
                coefficient = try number(try required(fields, "coefficient", path), "\(path).coefficient")
                guard weight! > 0 else { throw bad("\(path).weight", "must be above 0") }
                guard coefficient! >= 0 else { throw bad("\(path).coefficient", "must be 0 or more") }
            } else {
                for key in ["weight", "coefficient"] where fields[key] != nil {
                    throw bad("\(path).\(key)", "is only allowed when globalScoring.pixScore is true")
                }
            }
            intervals.append(CapacityInterval(level: level, label: label, min: low, max: high, weight: weight, coefficient: coefficient))
        }
        if Set(intervals.map(\.label)).count != intervals.count {
            throw bad("globalScoring.intervals", "labels must differ from one another")
        }

        var perCompetence: [String: [Double]]?
        var defaults: [Double]?
        if let value = top["competenceScoring"], value != .null {
            guard let fields = value.objectValue, !fields.isEmpty else {
                throw bad("competenceScoring", "must be an object of threshold lists (\"default\" and competence ids)")
            }
            var own: [String: [Double]] = [:]
            for key in fields.keys.sorted() {
                let thresholds = try ascending(fields[key]!, "competenceScoring.\(key)")
                if key == "default" { defaults = thresholds } else { own[key] = thresholds }
            }
            perCompetence = own
        }
        var externalLevels: [String] = []
        if let value = top["externalLevels"], value != .null {
            guard let items = value.arrayValue else { throw bad("externalLevels", "must be an array of labels") }
            for (index, item) in items.enumerated() {
                externalLevels.append(try string(item, "externalLevels[\(index)]"))
            }
        }
        return CertificationVersion(
            id: id, framework: framework, comment: comment, status: status, challenges: challenges,
            minimumAnswersToValidate: minimum, assessmentDurationMinutes: duration, pixScore: pixScore,
            intervals: intervals, competenceThresholds: perCompetence, defaultCompetenceThresholds: defaults,
            externalLevels: externalLevels, contentHash: "", document: "")
    }
}
