/// The codes people type: certificate verification codes, session access codes and
/// invigilator passwords. Generation draws from the caller's generator: a seeded one for access
/// codes, so a run replays; the daemon's `Secrets` passes the system's cryptographic generator
/// for invigilator passwords and verification codes, which must not follow from the public seed.
///
/// Owned by CertCore. Index draws use this file's own bounded-integer routine rather than the
/// standard library's, so a seed gives the same codes whatever the toolchain.
///
/// ```swift
/// var random = SeededRandom(seed: 42, SeededRandom.key("verification"))
/// let code = try Codes.unique(.verificationCode, using: &random) { store.hasCode($0) }
/// ```
public enum Codes {
    /// Characters of a verification code (no vowels, no look-alikes such as 0/O, 1/I, 5/S).
    public static let verificationAlphabet = Array("2346789BCDFGHJKMPQRTVWXY".utf8)
    public static let verificationPrefix = "P-"
    /// Distinct characters after the prefix.
    public static let verificationLength = 8
    public static let accessLetters = Array("BCDFGHJKMPQRTVWXY".utf8)
    public static let accessDigits = Array("2346789".utf8)
    public static let accessLetterCount = 4
    public static let accessDigitCount = 2
    public static let invigilatorPasswordAlphabet = Array("23456789bcdfghjkmpqrstvwxyBCDFGHJKMPQRSTVWXY!*?".utf8)
    public static let invigilatorPasswordLength = 6
    /// Draws tried by ``unique(_:using:limit:isTaken:)`` before it gives up.
    public static let defaultUniqueDrawLimit = 32

    /// The kinds of code, for ``unique(_:using:limit:isTaken:)``.
    public enum Kind: String, Sendable, CaseIterable {
        case verificationCode, accessCode, invigilatorPassword

        /// The error code thrown when no free code was found.
        public var exhaustedCode: ErrorCode {
            switch self {
            case .verificationCode: .verificationCodeExhausted
            case .accessCode: .accessCodeExhausted
            case .invigilatorPassword: .invigilatorPasswordExhausted
            }
        }

        /// Draws one code of this kind.
        public func draw<R: RandomNumberGenerator>(using random: inout R) -> String {
            switch self {
            case .verificationCode: Codes.verificationCode(using: &random)
            case .accessCode: Codes.accessCode(using: &random)
            case .invigilatorPassword: Codes.invigilatorPassword(using: &random)
            }
        }
    }

    /// "P-" followed by 8 distinct characters of ``verificationAlphabet`` (partial Fisher–Yates,
    /// so every character can appear in every position).
    public static func verificationCode<R: RandomNumberGenerator>(using random: inout R) -> String {
        var pool = verificationAlphabet
        for position in 0..<verificationLength {
            let pick = position + uniformIndex(below: pool.count - position, using: &random)
            pool.swapAt(position, pick)
        }
        return verificationPrefix + String(decoding: pool[0..<verificationLength], as: UTF8.self)
    }

    /// 4 letters of ``accessLetters`` then 2 digits of ``accessDigits``, repeats allowed.
    public static func accessCode<R: RandomNumberGenerator>(using random: inout R) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(accessLetterCount + accessDigitCount)
        for _ in 0..<accessLetterCount {
            bytes.append(accessLetters[uniformIndex(below: accessLetters.count, using: &random)])
        }
        for _ in 0..<accessDigitCount {
            bytes.append(accessDigits[uniformIndex(below: accessDigits.count, using: &random)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// 6 distinct characters of ``invigilatorPasswordAlphabet`` (DESIGN §3.6; partial
    /// Fisher–Yates as in ``verificationCode(using:)``, so every character can appear in every
    /// position). The daemon draws it with the system's cryptographic generator, never a seeded one.
    public static func invigilatorPassword<R: RandomNumberGenerator>(using random: inout R) -> String {
        var pool = invigilatorPasswordAlphabet
        for position in 0..<invigilatorPasswordLength {
            let pick = position + uniformIndex(below: pool.count - position, using: &random)
            pool.swapAt(position, pick)
        }
        return String(decoding: pool[0..<invigilatorPasswordLength], as: UTF8.self)
    }

    /// Draws codes of `kind` until `isTaken` says one is free, at most `limit` times, then throws
    /// `<KIND>_EXHAUSTED`. With 24·23·…·17 ≈ 3·10¹⁰ verification codes, exhaustion means the
    /// predicate or the generator is wrong, not bad luck.
    public static func unique<R: RandomNumberGenerator>(
        _ kind: Kind, using random: inout R, limit: Int = defaultUniqueDrawLimit,
        isTaken: (String) -> Bool
    ) throws(CodesError) -> String {
        precondition(limit > 0, "at least one draw")
        for _ in 0..<limit {
            let candidate = kind.draw(using: &random)
            if !isTaken(candidate) { return candidate }
        }
        throw CodesError(kind.exhaustedCode,
            "No free \(kind.rawValue) found after \(limit) draws; every one drawn was already in use.")
    }

    /// Exactly "P-" and 8 distinct characters of ``verificationAlphabet`` (case-sensitive).
    public static func isWellFormedVerificationCode(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let prefix = Array(verificationPrefix.utf8)
        guard bytes.count == prefix.count + verificationLength, bytes.starts(with: prefix) else { return false }
        let body = bytes[prefix.count...]
        return body.allSatisfy(verificationAlphabet.contains) && Set(body).count == verificationLength
    }

    /// Exactly 4 letters of ``accessLetters`` then 2 digits of ``accessDigits`` (case-sensitive).
    public static func isWellFormedAccessCode(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == accessLetterCount + accessDigitCount else { return false }
        return bytes[..<accessLetterCount].allSatisfy(accessLetters.contains)
            && bytes[accessLetterCount...].allSatisfy(accessDigits.contains)
    }

    /// Exactly 6 distinct characters of ``invigilatorPasswordAlphabet`` (case-sensitive).
    public static func isWellFormedInvigilatorPassword(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == invigilatorPasswordLength && bytes.allSatisfy(invigilatorPasswordAlphabet.contains)
            && Set(bytes).count == invigilatorPasswordLength
    }

    /// A typed verification code made canonical (surrounding spaces removed, upper case), or nil
    /// when it is not well formed even then.
    public static func normalizedVerificationCode(_ text: String) -> String? {
        let trimmed = text.split(whereSeparator: \.isWhitespace).joined()
        let upper = trimmed.uppercased()
        return isWellFormedVerificationCode(upper) ? upper : nil
    }

    /// Uniform integer in 0..<bound (Lemire's multiply-and-reject): unbiased, and fixed here so
    /// that codes for a seed do not depend on the standard library's implementation.
    static func uniformIndex<R: RandomNumberGenerator>(below bound: Int, using random: inout R) -> Int {
        precondition(bound > 0, "a non-empty range")
        let n = UInt64(bound)
        var product = random.next().multipliedFullWidth(by: n)
        if product.low < n {
            let threshold = (0 &- n) % n
            while product.low < threshold {
                product = random.next().multipliedFullWidth(by: n)
            }
        }
        return Int(product.high)
    }
}
