import CertCore
import Crypto

/// The daemon's secrets: invigilator passwords, candidate bearer tokens and certificate
/// verification codes, and the salted hashes under which the store keeps passwords and tokens.
/// Owned by the daemon core; the sessions and the engine call it, the store only sees hashes.
///
/// Every draw comes from `SystemRandomNumberGenerator`, which on Linux is the kernel's
/// cryptographic generator (`getrandom(2)`, blocking only until the pool is first seeded; on
/// Apple platforms `arc4random_buf`). None of these functions takes a seed or a generator: the
/// daemon seed is public (it is in scenario files and reports, and defaults to 1), so anything
/// drawn from it can be recomputed by anyone. That is the point of `Draws` (a run replays) and
/// exactly what a secret must not do (DESIGN §3.5, §3.6). No result depends on a secret, so
/// replay is unaffected. This is the one place in the daemon that reads the system generator
/// (STYLE: randomness inside the rules is seeded).
///
/// ```swift
/// let password = Secrets.invigilatorPassword()          // shown once to the invigilator
/// let stored = Secrets.hash(password)                   // "sha256$<salt>$<digest>", kept
/// Secrets.verify(typed, against: stored)                // at login
/// ```
enum Secrets {
    /// The scheme named at the front of a stored hash, so a later scheme can sit beside it.
    static let hashScheme = "sha256"
    static let hashSeparator: Character = "$"
    /// Random salt per hash: two sessions with the same password store different hashes, and no
    /// table computed in advance applies.
    static let saltByteCount = 16
    static let digestByteCount = SHA256.byteCount
    /// Bearer token size: 128 bits, beyond guessing even online without a lockout.
    static let tokenByteCount = 16

    // MARK: Draws

    /// 6 distinct characters of `Codes.invigilatorPasswordAlphabet` (DESIGN §3.6), from the
    /// system's cryptographic generator. Shown once to whoever created the session; keep only
    /// ``hash(_:)`` of it.
    static func invigilatorPassword() -> String {
        var system = SystemRandomNumberGenerator()
        return Codes.invigilatorPassword(using: &system)
    }

    /// A bearer token: ``tokenByteCount`` random bytes as lowercase hex (32 digits). Keep only
    /// ``hash(_:)`` of it.
    static func token() -> String {
        hex(randomBytes(count: tokenByteCount))
    }

    /// "P-" and 8 distinct characters of `Codes.verificationAlphabet`, from the system's
    /// cryptographic generator (a verification code proves a certificate, so it must not be
    /// computable from the seed and the assessment id). Uniqueness in the store is the caller's:
    /// see ``uniqueVerificationCode(limit:isTaken:)``.
    static func verificationCode() -> String {
        var system = SystemRandomNumberGenerator()
        return Codes.verificationCode(using: &system)
    }

    /// A verification code that `isTaken` accepts, drawing at most `limit` times, then
    /// VERIFICATION_CODE_EXHAUSTED (`Codes.unique` with the system's cryptographic generator).
    static func uniqueVerificationCode(
        limit: Int = Codes.defaultUniqueDrawLimit, isTaken: (String) -> Bool
    ) throws(CodesError) -> String {
        var system = SystemRandomNumberGenerator()
        return try Codes.unique(.verificationCode, using: &system, limit: limit, isTaken: isTaken)
    }

    // MARK: Hashes

    /// `sha256$<salt>$<digest>`: a fresh random salt of ``saltByteCount`` bytes and
    /// SHA-256(salt ‖ UTF-8 of `secret`), both as lowercase hex (32 and 64 digits).
    ///
    /// A fast hash is enough for 128-bit tokens. For the 6-character password (47·46·…·42 ≈
    /// 7.6·10⁹ ≈ 2³³) it keeps the password out of the store file and defeats precomputed
    /// tables, but someone holding the file can still search the whole space offline: the store
    /// must stay readable by the daemon's user only (`serve` makes its data directory 0o700),
    /// and online guessing meets the control socket's login lockout.
    static func hash(_ secret: String) -> String {
        hash(secret, salt: randomBytes(count: saltByteCount))
    }

    /// ``hash(_:)`` with a given salt: the entry point of the known-answer tests.
    static func hash(_ secret: String, salt: [UInt8]) -> String {
        precondition(salt.count == saltByteCount, "a \(saltByteCount)-byte salt")
        return hashScheme + String(hashSeparator) + hex(salt) + String(hashSeparator) + hex(digest(secret, salt: salt))
    }

    /// Whether `secret` is the one `stored` (a ``hash(_:)`` string) was made from. The digests
    /// are compared in constant time; a malformed `stored` (another scheme, wrong lengths,
    /// non-hex digits, the FNV-1a digests stores held before this scheme) is never matched.
    static func verify(_ secret: String, against stored: String) -> Bool {
        let parts = stored.split(separator: hashSeparator, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == hashScheme,
              let salt = bytes(fromHex: parts[1]), salt.count == saltByteCount,
              let expected = bytes(fromHex: parts[2]), expected.count == digestByteCount
        else { return false }
        return constantTimeEquals(digest(secret, salt: salt), expected)
    }

    /// Byte-wise equality whose time depends only on the lengths: every byte pair is looked at
    /// (differences are OR-ed together, no early exit). Different lengths are unequal at once;
    /// the length of a digest is no secret.
    static func constantTimeEquals<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// `constantTimeEquals` of two strings' UTF-8 bytes, read in place: every request checks
    /// its token this way, and the generic walk over two `String.UTF8View`s cost about 2 % of
    /// an academy day's CPU (profiled).
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        var (a, b) = (a, b)
        return a.withUTF8 { x in b.withUTF8 { y in constantTimeEquals(x, y) } }
    }

    // MARK: Helpers

    static func digest(_ secret: String, salt: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(data: Array(secret.utf8))
        return Array(hasher.finalize())
    }

    static func randomBytes(count: Int) -> [UInt8] {
        var system = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            withUnsafeBytes(of: system.next()) { bytes.append(contentsOf: $0) }
        }
        return Array(bytes.prefix(count))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Lowercase hex (as ``hex(_:)`` writes it) back to bytes; nil for anything else.
    static func bytes(fromHex text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
