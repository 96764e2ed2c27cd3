/// One test the daemon must score after finalisation, with the abort reason scoring needs.
///
/// Owned by CertCore's lifecycle; produced inside a ``FinalizationPlan``.
public struct ScoringOrder: Sendable, Equatable, Codable {
    public let candidateId: String
    public let abortReason: AbortReason
    /// The candidate's status once the plan is applied (endedDueToFinalization for tests that were running).
    public let finalStatus: CandidateStatus
}

/// The outcome of a successful finalisation, for the daemon to apply as a whole.
///
/// Owned by CertCore's lifecycle. Nothing is applied until the daemon stores `session` and
/// `candidates` and runs the `toScore` orders; scoring itself happens outside this value.
public struct FinalizationPlan: Sendable, Equatable, Codable {
    /// The session, now ``SessionStatus/finalized``.
    public let session: SessionState
    /// Every candidate, in the order given, with running tests ended by the finalisation.
    public let candidates: [CandidateState]
    /// Tests that started and did not complete, in the order given: score them with this reason.
    public let toScore: [ScoringOrder]
    /// Candidates who never started (absent); nothing to score.
    public let absentCandidateIds: [String]
}

/// The invigilator's finalisation of a session, as a pure function over values.
///
/// Owned by CertCore's lifecycle. Every started, uncompleted candidate needs an abort reason,
/// either recorded earlier (``CandidateState/setAbortReason(_:)``) or given here; a reason
/// given here wins over a recorded one.
///
/// ```swift
/// let plan = try Finalization.plan(session: session, candidates: candidates,
///                                  abortReasons: ["C2": .technical], nowSeconds: now)
/// // store plan.session and plan.candidates, then score each of plan.toScore
/// ```
public enum Finalization {
    /// Checks everything, then returns the finalised values and the scoring orders.
    /// Refusals: SESSION_ALREADY_FINALIZED / SESSION_ALREADY_PUBLISHED, CANDIDATE_NOT_IN_SESSION,
    /// FINALIZATION_DUPLICATE_CANDIDATE, FINALIZATION_UNKNOWN_CANDIDATE,
    /// FINALIZATION_UNEXPECTED_ABORT_REASON, FINALIZATION_MISSING_ABORT_REASON (naming every id).
    public static func plan(
        session: SessionState, candidates: [CandidateState], abortReasons: [String: AbortReason],
        nowSeconds: Double
    ) throws(LifecycleError) -> FinalizationPlan {
        var finalized = session
        try finalized.finalize(nowSeconds: nowSeconds)

        var seen = Set<String>()
        for candidate in candidates {
            try session.checkBelongs(candidate)
            guard seen.insert(candidate.id).inserted else {
                throw LifecycleError(.finalizationDuplicateCandidate,
                    "Candidate \(candidate.id) appears twice in the finalisation of session \(session.id).")
            }
        }
        // DESIGN §3.6: a session where nobody started has nothing to finalise.
        guard candidates.contains(where: \.status.hasStarted) else {
            throw LifecycleError(.finalizationNoStartedCandidate,
                "Session \(session.id) cannot be finalised: no candidate has started a test.")
        }
        let unknown = abortReasons.keys.filter { !seen.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw LifecycleError(.finalizationUnknownCandidate,
                "Session \(session.id) has no candidate \(unknown.joined(separator: ", ")).")
        }
        let unexpected = candidates
            .filter { abortReasons[$0.id] != nil && (!$0.status.hasStarted || $0.status == .completed) }
            .map(\.id).sorted()
        if !unexpected.isEmpty {
            throw LifecycleError(.finalizationUnexpectedAbortReason,
                "An abort reason was given for candidates who never started or who completed: \(unexpected.joined(separator: ", ")).")
        }
        let missing = candidates
            .filter { $0.status.hasStarted && $0.status != .completed }
            .filter { abortReasons[$0.id] == nil && $0.abortReason == nil }
            .map(\.id).sorted()
        if !missing.isEmpty {
            throw LifecycleError(.finalizationMissingAbortReason,
                "Give an abort reason (candidate or technical) for every unfinished test before finalising: \(missing.joined(separator: ", ")).")
        }

        var updated: [CandidateState] = []
        var toScore: [ScoringOrder] = []
        var absent: [String] = []
        updated.reserveCapacity(candidates.count)
        for var candidate in candidates {
            switch candidate.status {
            case .enrolled, .authorizedToStart:
                absent.append(candidate.id)
            case .completed:
                break
            case .started, .endedByInvigilator, .endedDueToFinalization, .endedDueToDurationExceeded:
                // Checked above: a reason exists, and these transitions accept these statuses.
                let reason = abortReasons[candidate.id] ?? candidate.abortReason!
                do {
                    try candidate.setAbortReason(reason)
                    if candidate.status == .started {
                        try candidate.endDueToFinalization(abortReason: reason, nowSeconds: nowSeconds)
                    }
                } catch {
                    preconditionFailure("finalisation checks missed a refusal: \(error)")
                }
                toScore.append(ScoringOrder(candidateId: candidate.id, abortReason: reason,
                                            finalStatus: candidate.status))
            }
            updated.append(candidate)
        }
        return FinalizationPlan(session: finalized, candidates: updated, toScore: toScore,
                                absentCandidateIds: absent)
    }
}
