import CertCore

/// Every seeded draw of the daemon, in one place: which keys feed which generator. A draw
/// depends only on the daemon seed and the ids involved, never on timing or arrival order,
/// so a run replays and a recovered test re-picks the challenges it picked before the crash.
/// Owned by the daemon core.
enum Draws {
    static let challengePickPurpose = SeededRandom.key("challenge-pick")
    static let verificationCodePurpose = SeededRandom.key("verification-code")
    static let accessCodePurpose = SeededRandom.key("access-code")
    static let invigilatorPasswordPurpose = SeededRandom.key("invigilator-password")
    static let assessmentIdPurpose = SeededRandom.key("assessment-id")
    static let sessionIdPurpose = SeededRandom.key("session-id")

    /// The pick of question `questionNumber` (from 1) of a candidate (contract: seed, session,
    /// candidate, question number, purpose).
    static func challengePick(seed: UInt64, sessionKey: UInt64, candidateKey: UInt64, questionNumber: Int) -> SeededRandom {
        SeededRandom(seed: seed, keys: [sessionKey, candidateKey, UInt64(questionNumber), challengePickPurpose])
    }

    /// Verification codes of one assessment; successive draws are the successive attempts.
    static func verificationCodes(seed: UInt64, assessmentId: String) -> SeededRandom {
        SeededRandom(seed: seed, keys: [SeededRandom.key(assessmentId), verificationCodePurpose])
    }

    /// Access codes of one session; successive draws are the successive attempts.
    static func accessCodes(seed: UInt64, sessionId: String) -> SeededRandom {
        SeededRandom(seed: seed, keys: [SeededRandom.key(sessionId), accessCodePurpose])
    }

    /// The invigilator password of a session: the first draw (recovery draws it again to
    /// give the same password back after a restart with the same seed).
    static func invigilatorPassword(seed: UInt64, sessionId: String) -> String {
        var random = SeededRandom(seed: seed, keys: [SeededRandom.key(sessionId), invigilatorPasswordPurpose])
        return Codes.invigilatorPassword(using: &random)
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

    /// A bearer token: 128 random bits from the system generator. Tokens are not part of the
    /// rules (no result depends on them) and are never stored, only their hash.
    static func token() -> String {
        var system = SystemRandomNumberGenerator()
        return hex16(system.next()) + hex16(system.next())
    }

    /// A non-cryptographic digest (FNV-1a 64, salted) used to store passwords and tokens
    /// without keeping them in clear in the store file. The store is not a security boundary.
    static func digest(_ secret: String, salt: String) -> String {
        hex16(SeededRandom.key(salt + ":" + secret))
    }

    static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
