import CertCore

/// Every seeded draw of the daemon besides the challenge picks (`CandidateTest.pickRandom`), in
/// one place: which keys feed which generator. A draw depends only on the daemon seed and the
/// ids involved, never on timing or arrival order, so a run replays. Secrets (passwords,
/// tokens, verification codes) are not drawn here: they come from `Secrets`, never the seed.
/// Owned by the daemon core.
enum Draws {
    static let accessCodePurpose = SeededRandom.key("access-code")
    static let assessmentIdPurpose = SeededRandom.key("assessment-id")
    static let sessionIdPurpose = SeededRandom.key("session-id")

    /// Access codes of one session; successive draws are the successive attempts.
    static func accessCodes(seed: UInt64, sessionId: String) -> SeededRandom {
        SeededRandom(seed: seed, keys: [SeededRandom.key(sessionId), accessCodePurpose])
    }

    /// `A-` and 16 hex digits from (seed, session, candidate, attempt): stable across runs.
    static func assessmentId(seed: UInt64, sessionId: String, candidateId: String, attempt: Int) -> String {
        var random = SeededRandom(
            seed: seed,
            keys: [SeededRandom.key(sessionId), SeededRandom.key(candidateId), UInt64(attempt), assessmentIdPurpose])
        return "A-" + hex16(random.next())
    }

    /// `S-` and 12 hex digits for a session created without a client-chosen id.
    static func sessionId(seed: UInt64, ordinal: Int) -> String {
        var random = SeededRandom(seed: seed, keys: [UInt64(ordinal), sessionIdPurpose])
        return "S-" + String(hex16(random.next()).prefix(12))
    }

    static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
