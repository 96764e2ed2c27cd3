/// One row the result store must write, as a value: the only representation of a store write.
///
/// Owned by CertCore: the lifecycle transitions (`CandidateTest`, the daemon's session
/// operations) return the writes their change implies, and CertStore's `ResultWriter` commits
/// the writes of one request together, in one transaction, before the request is answered.
public enum StoreWrite: Sendable, Equatable {
    /// Inserts or replaces a session row (status changes included).
    case session(SessionRecord)
    /// Inserts or replaces a candidate row; its session must be stored first.
    case candidate(CandidateRecord)
    /// Changes a candidate's status and abort reason (raw values of CertCore's enums).
    case candidateStatus(sessionId: String, candidateId: String, status: String, abortReason: String?)
    /// Inserts or replaces an assessment row; its candidate must be stored first.
    case assessment(AssessmentRecord)
    case assessmentStatus(assessmentId: String, status: String)
    /// Appends one answer to the journal.
    case answer(AnswerRecord)
    /// Inserts or replaces a live or companion alert (same `id` when its status changes).
    case alert(AlertRecord)
    /// Inserts the result of an assessment (once).
    case result(ResultRecord)
    case issueReport(IssueReportRecord)
    /// Appends one entry to a candidate's lifecycle journal.
    case candidateEvent(CandidateEventRecord)
    /// Stores a certification version once (a second copy with the same id and hash is a no-op;
    /// another hash is refused).
    case version(VersionRecord)
    /// The external jury's level of a stored Pix+ Édu result (written once).
    case juryLevel(assessmentId: String, level: String, decidedSeconds: Double)
}
