/// One certification (one sitting of one simulated person) as written to candidates.csv. The runner
/// fills one per enrolled candidate; consistency samples, retest pairs and digest records all derive
/// from these rows, so `certsim report` can recompute them from the file.
///
/// Owned by CertLoad's report half.
public struct CandidateRow: Sendable, Equatable {
    /// Stable key from the seed and the candidate index, unique in the run (digest sort key).
    public var candidateKey: String
    /// The simulated person; equal for the two sittings of a retest.
    public var personKey: String
    /// 1 for the first sitting, 2 for the retest.
    public var sitting: Int
    public var sessionIndex: Int
    public var centre: Int
    public var wave: Int
    public var needsAccessibility: Bool
    public var trueTheta: Double
    /// `validated`, `rejected`, or the runner's word for a certification without a result
    /// (e.g. `unfinished`, `error`).
    public var status: String
    /// Answers given (counted or not).
    public var answers: Int
    /// `candidate`, `technical`, or nil.
    public var abortReason: String?
    public var estimatedTheta: Double?
    public var errorRate: Double?
    public var score: Int?
    public var meshLevel: Int?
    /// Mesh level the true θ would have given.
    public var meshLevelFromTrueTheta: Int
    public var competenceLevels: [String: Int]
    /// Simulated seconds from the start of the run.
    public var startedAtSeconds: Double?
    public var endedAtSeconds: Double?
    /// The certification version that scored it (nil without a result).
    public var version: String?
    /// Why it is not validated (`notEnoughAnswers`, `belowFirstInterval`, `zeroScore`).
    public var statusReason: String?
    /// The capacity interval's label, for a validated certification.
    public var level: String?
    /// The population group of a mixed day (nil on a one-group day).
    public var group: String?
    /// The certification's framework (CORE, EDU_2ND_DEGRE, DROIT…); nil in older files.
    public var framework: String?

    public init(candidateKey: String, personKey: String, sitting: Int = 1, sessionIndex: Int, centre: Int, wave: Int,
                needsAccessibility: Bool, trueTheta: Double, status: String, answers: Int, abortReason: String? = nil,
                estimatedTheta: Double? = nil, errorRate: Double? = nil, score: Int? = nil, meshLevel: Int? = nil,
                meshLevelFromTrueTheta: Int, competenceLevels: [String: Int] = [:], startedAtSeconds: Double? = nil,
                endedAtSeconds: Double? = nil, version: String? = nil, statusReason: String? = nil, level: String? = nil,
                group: String? = nil, framework: String? = nil) {
        self.group = group
        self.framework = framework
        self.version = version
        self.statusReason = statusReason
        self.level = level
        self.candidateKey = candidateKey
        self.personKey = personKey
        self.sitting = sitting
        self.sessionIndex = sessionIndex
        self.centre = centre
        self.wave = wave
        self.needsAccessibility = needsAccessibility
        self.trueTheta = trueTheta
        self.status = status
        self.answers = answers
        self.abortReason = abortReason
        self.estimatedTheta = estimatedTheta
        self.errorRate = errorRate
        self.score = score
        self.meshLevel = meshLevel
        self.meshLevelFromTrueTheta = meshLevelFromTrueTheta
        self.competenceLevels = competenceLevels
        self.startedAtSeconds = startedAtSeconds
        self.endedAtSeconds = endedAtSeconds
    }

    /// The status of a scored, certified test.
    public static let validated = "validated"

    /// The consistency sample, for a validated certification with a result.
    public var consistencySample: ConsistencySample? {
        guard status == Self.validated, let estimatedTheta, let errorRate, let score, let meshLevel else { return nil }
        return ConsistencySample(trueTheta: trueTheta, estimatedTheta: estimatedTheta, reportedErrorRate: errorRate,
                                 score: score, meshLevel: meshLevel, meshLevelFromTrueTheta: meshLevelFromTrueTheta)
    }

    /// The digest record; missing results hash as NaN / −1 so every row counts.
    public var digestRecord: DigestRecord {
        DigestRecord(candidateKey: candidateKey, capacity: estimatedTheta ?? .nan, errorRate: errorRate ?? .nan,
                     pixScore: score ?? -1, meshLevel: meshLevel ?? -1, competenceLevels: competenceLevels, status: status)
    }

    /// Retest pairs: persons with a validated first and second sitting.
    public static func retestPairs(_ rows: [CandidateRow]) -> [RetestPair] {
        var first: [String: CandidateRow] = [:]
        var second: [String: CandidateRow] = [:]
        for row in rows where row.consistencySample != nil {
            if row.sitting == 1 { first[row.personKey] = row } else if row.sitting == 2 { second[row.personKey] = row }
        }
        return first.keys.sorted().compactMap { person in
            guard let a = first[person], let b = second[person] else { return nil }
            return RetestPair(firstScore: a.score!, secondScore: b.score!, firstMeshLevel: a.meshLevel!, secondMeshLevel: b.meshLevel!)
        }
    }

    /// Consistency of a run from its rows.
    public static func consistency(_ rows: [CandidateRow]) -> Consistency {
        Consistency(samples: rows.compactMap(\.consistencySample), retest: retestPairs(rows))
    }

    /// Digest of a run from its rows.
    public static func digest(_ rows: [CandidateRow]) -> String {
        Digest.hex(of: rows.map(\.digestRecord))
    }

    // MARK: candidates.csv

    public static let csvHeader = [
        "candidate", "person", "sitting", "session", "centre", "wave", "needs_accessibility", "true_theta", "status",
        "answers", "abort_reason", "estimated_theta", "error_rate", "score", "mesh_level", "mesh_level_true",
        "competence_levels", "started_at_seconds", "ended_at_seconds", "version", "status_reason", "level",
        "framework", "group",
    ]

    /// Columns older files may lack.
    static let optionalColumns: Set<String> = ["version", "status_reason", "level", "framework", "group"]

    /// Competence levels as `id=level` pairs joined by `;`, ids in sorted order.
    static func encodeLevels(_ levels: [String: Int]) -> String {
        levels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }

    /// Doubles are written in Swift's shortest round-trip form, so reading back gives the same bits.
    public var csvFields: [String] {
        func text(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        func text(_ value: Int?) -> String { value.map(String.init) ?? "" }
        return [
            candidateKey, personKey, String(sitting), String(sessionIndex), String(centre), String(wave),
            needsAccessibility ? "true" : "false", "\(trueTheta)", status, String(answers), abortReason ?? "",
            text(estimatedTheta), text(errorRate), text(score), text(meshLevel), String(meshLevelFromTrueTheta),
            Self.encodeLevels(competenceLevels), text(startedAtSeconds), text(endedAtSeconds),
            version ?? "", statusReason ?? "", level ?? "", framework ?? "", group ?? "",
        ]
    }

    public static func csv(_ rows: [CandidateRow]) -> String {
        CSV.table(header: csvHeader, rows: rows.map(\.csvFields))
    }

    public static func parseCSV(_ text: String) throws(CSV.ParseError) -> [CandidateRow] {
        // Files written before certification versions have no version, status_reason or level.
        let table = try CSV.parseTable(text, requiredColumns: csvHeader.filter { !optionalColumns.contains($0) })
        return try table.enumerated().map { (offset, fields) throws(CSV.ParseError) -> CandidateRow in
            let reader = FieldReader(fields: fields, record: offset + 2, file: "candidates.csv")
            var levels: [String: Int] = [:]
            let levelText = try reader.text("competence_levels")
            if !levelText.isEmpty {
                for pair in levelText.split(separator: ";") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2, let level = Int(parts[1]) else {
                        throw reader.bad("competence_levels", "'\(pair)' is not id=level")
                    }
                    levels[String(parts[0])] = level
                }
            }
            let abort = try reader.text("abort_reason")
            return CandidateRow(
                candidateKey: try reader.text("candidate"), personKey: try reader.text("person"),
                sitting: try reader.int("sitting"), sessionIndex: try reader.int("session"),
                centre: try reader.int("centre"), wave: try reader.int("wave"),
                needsAccessibility: try reader.bool("needs_accessibility"), trueTheta: try reader.double("true_theta"),
                status: try reader.text("status"), answers: try reader.int("answers"),
                abortReason: abort.isEmpty ? nil : abort,
                estimatedTheta: try reader.optionalDouble("estimated_theta"), errorRate: try reader.optionalDouble("error_rate"),
                score: try reader.optionalInt("score"), meshLevel: try reader.optionalInt("mesh_level"),
                meshLevelFromTrueTheta: try reader.int("mesh_level_true"), competenceLevels: levels,
                startedAtSeconds: try reader.optionalDouble("started_at_seconds"),
                endedAtSeconds: try reader.optionalDouble("ended_at_seconds"),
                version: try reader.optionalText("version"), statusReason: try reader.optionalText("status_reason"),
                level: try reader.optionalText("level"), group: try reader.optionalText("group"),
                framework: try reader.optionalText("framework"))
        }
    }
}

/// Typed access to one CSV record's fields, with errors naming file, record and column.
struct FieldReader {
    let fields: [String: String]
    let record: Int
    let file: String

    func bad(_ column: String, _ why: String) -> CSV.ParseError {
        CSV.ParseError(.csvBadValue, "\(file) record \(record), column '\(column)': \(why)")
    }

    func text(_ column: String) throws(CSV.ParseError) -> String {
        guard let value = fields[column] else { throw CSV.ParseError(.csvMissingColumn, "\(file) has no column '\(column)'") }
        return value
    }

    /// The column's text, nil when empty or when the file has no such column.
    func optionalText(_ column: String) throws(CSV.ParseError) -> String? {
        guard fields[column] != nil else { return nil }
        let value = try text(column)
        return value.isEmpty ? nil : value
    }

    func int(_ column: String) throws(CSV.ParseError) -> Int {
        let value = try text(column)
        guard let number = Int(value) else { throw bad(column, "'\(value)' is not a whole number") }
        return number
    }

    func optionalInt(_ column: String) throws(CSV.ParseError) -> Int? {
        try text(column).isEmpty ? nil : try int(column)
    }

    func uint64(_ column: String) throws(CSV.ParseError) -> UInt64? {
        let value = try text(column)
        if value.isEmpty { return nil }
        guard let number = UInt64(value) else { throw bad(column, "'\(value)' is not a whole number") }
        return number
    }

    func double(_ column: String) throws(CSV.ParseError) -> Double {
        let value = try text(column)
        guard let number = Double(value) else { throw bad(column, "'\(value)' is not a number") }
        return number
    }

    func optionalDouble(_ column: String) throws(CSV.ParseError) -> Double? {
        try text(column).isEmpty ? nil : try double(column)
    }

    func bool(_ column: String) throws(CSV.ParseError) -> Bool {
        switch try text(column) {
        case "true": return true
        case "false": return false
        case let value: throw bad(column, "'\(value)' is not true or false")
        }
    }
}
