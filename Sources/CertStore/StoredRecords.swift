import CertCore
import Foundation

/// One stored row's columns, read strictly: a value of the wrong type (or a NULL where one is
/// required) is `STORE_CORRUPT` naming the table, the row and the column — never a default.
/// ``Columns`` reads a SQLite row, ``PostgresColumns`` a PostgreSQL one.
protocol StoredColumns {
    func corrupt(_ column: String, _ what: String) -> StoreError
    func text(_ column: String) throws -> String
    func optionalText(_ column: String) throws -> String?
    func int(_ column: String) throws -> Int
    func optionalInt(_ column: String) throws -> Int?
    func double(_ column: String) throws -> Double
    func optionalDouble(_ column: String) throws -> Double?
}

/// The stored records, built from their columns the same way whatever the engine: the one place
/// that knows which column holds which field.
///
/// Owned by CertStore's readers.
enum StoredRecords {
    /// Most distinct competence-level texts decoded once and shared (a year's results hold a handful).
    static let levelTextsMax = 4_096

    static func answer(_ c: some StoredColumns) throws -> AnswerRecord {
        AnswerRecord(assessmentId: try c.text("assessment_id"), questionNumber: try c.int("question_number"),
                     challengeId: try c.text("challenge_id"), result: try c.text("result"),
                     recordedSeconds: try c.double("recorded_seconds"))
    }

    static func session(_ c: some StoredColumns) throws -> SessionRecord {
        SessionRecord(
            id: try c.text("id"), accessCode: try c.text("access_code"),
            invigilatorPasswordHash: try c.text("invigilator_password_hash"), name: try c.optionalText("name"),
            centre: try c.optionalText("centre"), nominalDurationSeconds: try c.double("nominal_duration_seconds"),
            status: try c.text("status"), createdSeconds: try c.double("created_seconds"),
            firstStartSeconds: try c.optionalDouble("first_start_seconds"),
            finalizedSeconds: try c.optionalDouble("finalized_seconds"),
            publishedSeconds: try c.optionalDouble("published_seconds"), versionId: try c.text("version_id"))
    }

    static func candidate(_ c: some StoredColumns) throws -> CandidateRecord {
        CandidateRecord(
            sessionId: try c.text("session_id"), candidateId: try c.text("candidate_id"),
            externalIndex: try c.int("external_index"), status: try c.text("status"),
            abortReason: try c.optionalText("abort_reason"), needsAccessibility: try c.int("needs_accessibility") != 0,
            locale: try c.text("locale"), trueAbility: try c.optionalDouble("true_ability"),
            extraTimePercent: try c.double("extra_time_percent"), versionId: try c.optionalText("version_id"),
            complementaryVersionId: try c.optionalText("complementary_version_id"))
    }

    static func assessment(_ c: some StoredColumns) throws -> AssessmentRecord {
        AssessmentRecord(
            id: try c.text("id"), sessionId: try c.text("session_id"), candidateId: try c.text("candidate_id"),
            tokenHash: try c.text("token_hash"), status: try c.text("status"),
            startedSeconds: try c.double("started_seconds"))
    }

    static func event(_ c: some StoredColumns) throws -> CandidateEventRecord {
        CandidateEventRecord(
            sessionId: try c.text("session_id"), candidateId: try c.text("candidate_id"), ordinal: try c.int("ordinal"),
            kind: try c.text("kind"), atSeconds: try c.double("at_seconds"), answersCount: try c.int("answers_count"),
            detail: try c.optionalText("detail"))
    }

    static func alert(_ c: some StoredColumns) throws -> AlertRecord {
        let kindText = try c.text("kind")
        guard let kind = AlertRecord.Kind(rawValue: kindText) else { throw c.corrupt("kind", "unknown value \"\(kindText)\"") }
        return AlertRecord(id: try c.text("id"), assessmentId: try c.text("assessment_id"), kind: kind,
                           challengeId: try c.optionalText("challenge_id"), status: try c.text("status"),
                           createdSeconds: try c.double("created_seconds"),
                           resolvedSeconds: try c.optionalDouble("resolved_seconds"))
    }

    /// `decoded` shares the competence levels among the rows that repeat the same text.
    static func result(_ c: some StoredColumns, levels decoded: inout [String: [String: Int]]) throws -> ResultRecord {
        var levels: [String: Int]?
        if let json = try c.optionalText("competence_levels") {
            if let known = decoded[json] {
                levels = known
            } else {
                guard let parsed = try? JSONDecoder().decode([String: Int].self, from: Data(json.utf8)) else {
                    throw c.corrupt("competence_levels", "not a JSON object of levels")
                }
                levels = parsed
                if decoded.count < levelTextsMax { decoded[json] = parsed }
            }
        }
        return ResultRecord(
            assessmentId: try c.text("assessment_id"), capacity: try c.double("capacity"),
            errorRate: try c.double("error_rate"), pixScore: try c.optionalInt("pix_score"),
            meshLevel: try c.optionalInt("mesh_level"), level: try c.optionalText("level"),
            competenceLevels: levels, status: try c.text("status"), statusReason: try c.optionalText("status_reason"),
            versionId: try c.text("version_id"), answersCount: try c.int("answers_count"),
            verificationCode: try c.text("verification_code"), scoredSeconds: try c.double("scored_seconds"),
            juryLevel: try c.optionalText("jury_level"), jurySeconds: try c.optionalDouble("jury_seconds"))
    }

    static func issueReport(_ c: some StoredColumns) throws -> IssueReportRecord {
        IssueReportRecord(
            id: try c.text("id"), assessmentId: try c.text("assessment_id"), category: try c.text("category"),
            subcategory: try c.optionalText("subcategory"), challengeId: try c.optionalText("challenge_id"),
            questionNumber: try c.optionalInt("question_number"), resolved: try c.int("resolved") != 0,
            details: try c.text("details"), createdSeconds: try c.double("created_seconds"))
    }

    static func version(_ c: some StoredColumns) throws -> VersionRecord {
        VersionRecord(id: try c.text("id"), contentHash: try c.text("content_hash"),
                      framework: try c.text("framework"), document: try c.text("document"),
                      storedSeconds: try c.double("stored_seconds"))
    }
}
