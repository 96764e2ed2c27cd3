import CertCore

/// What the daemon reads back from its store, whatever the engine: the recovery read at start,
/// the stored versions, and the results. ``StoreReader`` (a SQLite file) and the PostgreSQL
/// reader implement it; the calls of a SQLite reader do not suspend.
///
/// Owned by whoever opens it (the daemon core at start, the runner for final results).
public protocol StoreReading: Sendable {
    /// Sessions, candidates, in-progress assessments with their journals, and the lifecycle
    /// journals — read in one transaction, so they agree.
    func recover() async throws(StoreError) -> RecoverySnapshot
    /// Every assessment, scored or not, ordered by session, candidate, start time, then id.
    func assessments() async throws(StoreError) -> [AssessmentRecord]
    /// Every result, ordered by assessment id.
    func results() async throws(StoreError) -> [ResultRecord]
    /// The results of one session's assessments, ordered by assessment id.
    func results(sessionId: String) async throws(StoreError) -> [ResultRecord]
    /// Every certification version the store holds, by id.
    func versions() async throws(StoreError) -> [VersionRecord]
    /// Results stored.
    func countResults() async throws(StoreError) -> Int
    /// Answers in the journal, of one assessment or (nil) of all.
    func countAnswers(assessmentId: String?) async throws(StoreError) -> Int
}

extension StoreReader: StoreReading {}
