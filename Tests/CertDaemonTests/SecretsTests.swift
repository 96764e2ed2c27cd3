import CertCore
import Testing

@testable import CertDaemon

/// The daemon's secrets: salted SHA-256 hashes checked against an independent computation,
/// constant-time comparison, and draws that come from the system's generator, not the seed.
///
/// Draws are random here, so the reachability checks use bounds whose failure odds are given
/// next to them (all below 10⁻²⁵); the exact draw sequences are tested with seeded generators
/// in CertCoreTests' CodesTests.
@Suite struct SecretsTests {
    static let passwordAlphabet = Set("23456789bcdfghjkmpqrstvwxyBCDFGHJKMPQRSTVWXY!*?")
    static let verificationAlphabet = Set("2346789BCDFGHJKMPQRTVWXY")

    // MARK: Hashes

    @Test func hashThenVerifyRoundTrips() {
        for secret in ["2bB!*?", Secrets.token(), Secrets.invigilatorPassword(), "", "é", "a$b"] {
            let stored = Secrets.hash(secret)
            #expect(Secrets.verify(secret, against: stored), "\(secret) against \(stored)")
        }
    }

    @Test func aWrongSecretIsRefused() {
        let stored = Secrets.hash("2bB!*?")
        for wrong in ["2bB!*", "2bB!*?x", "2bb!*?", " 2bB!*?", "", "?*!Bb2"] {
            #expect(!Secrets.verify(wrong, against: stored), "\(wrong)")
        }
    }

    @Test func twoHashesOfOneSecretDifferByTheirSalt() {
        let first = Secrets.hash("2bB!*?"), second = Secrets.hash("2bB!*?")
        #expect(first != second)
        #expect(first.split(separator: "$")[1] != second.split(separator: "$")[1])
        #expect(Secrets.verify("2bB!*?", against: first) && Secrets.verify("2bB!*?", against: second))
    }

    @Test func storedHashHasTheDocumentedShape() {
        let parts = Secrets.hash("2bB!*?").split(separator: "$", omittingEmptySubsequences: false)
        #expect(parts.count == 3)
        #expect(parts[0] == "sha256")
        #expect(parts[1].count == 32 && parts[1].allSatisfy(\.isHexDigit) && parts[1] == parts[1].lowercased())
        #expect(parts[2].count == 64 && parts[2].allSatisfy(\.isHexDigit) && parts[2] == parts[2].lowercased())
    }

    /// SHA-256(salt ‖ UTF-8 secret), computed independently with Python's hashlib:
    ///   python3 -c "import hashlib; print(hashlib.sha256(bytes(range(16)) + '2bB!*?'.encode()).hexdigest())"
    ///   python3 -c "import hashlib; print(hashlib.sha256(bytes.fromhex('ff'*16) + 'é'.encode()).hexdigest())"
    ///   python3 -c "import hashlib; print(hashlib.sha256(bytes(range(16))).hexdigest())"
    @Test(arguments: [
        ("2bB!*?", [UInt8](0..<16), "000102030405060708090a0b0c0d0e0f",
         "c63dcd783486011f4bcf6dc0d29d2105307a35c6ab2b2d38c0227f09075baf7a"),
        ("é", [UInt8](repeating: 0xff, count: 16), "ffffffffffffffffffffffffffffffff",
         "e83031d130c4df60e3c8e44022d03f2fe24787aaecc0084b127b0b5684fdb0a8"),
        ("", [UInt8](0..<16), "000102030405060708090a0b0c0d0e0f",
         "be45cb2605bf36bebde684841a28f0fd43c69850a3dce5fedba69928ee3a8991"),
    ])
    func knownAnswer(secret: String, salt: [UInt8], saltHex: String, digestHex: String) {
        let stored = Secrets.hash(secret, salt: salt)
        #expect(stored == "sha256$\(saltHex)$\(digestHex)")
        #expect(Secrets.verify(secret, against: stored))
        // A hash written by hand (here: by Python) is accepted too, not only our own output.
        #expect(Secrets.verify(secret, against: "sha256$\(saltHex)$\(digestHex)"))
    }

    @Test(arguments: [
        "",
        "sha256",
        "sha256$",
        "sha256$$",
        // Today's FNV-1a digests (16 hex digits, no scheme) are not matched.
        "3f2a9c0d11e4b7a8",
        // Right salt and digest of "2bB!*?", but another scheme name, or its case changed.
        "sha1$000102030405060708090a0b0c0d0e0f$c63dcd783486011f4bcf6dc0d29d2105307a35c6ab2b2d38c0227f09075baf7a",
        "SHA256$000102030405060708090a0b0c0d0e0f$c63dcd783486011f4bcf6dc0d29d2105307a35c6ab2b2d38c0227f09075baf7a",
        // Salt of 15 bytes, digest of 31 bytes, an odd digit count, upper case, a non-hex digit.
        "sha256$0102030405060708090a0b0c0d0e0f$c63dcd783486011f4bcf6dc0d29d2105307a35c6ab2b2d38c0227f09075baf7a",
        "sha256$000102030405060708090a0b0c0d0e0f$c63dcd783486011f4bcf6dc0d29d2105307a35c6ab2b2d38c0227f09075baf",
        "sha256$000102030405060708090a0b0c0d0e0f$c63dcd783486011f4bcf6dc0d29d2105307a35c6ab2b2d38c0227f09075baf7",
        "sha256$000102030405060708090a0b0c0d0e0f$C63DCD783486011F4BCF6DC0D29D2105307A35C6AB2B2D38C0227F09075BAF7A",
        "sha256$000102030405060708090a0b0c0d0e0g$c63dcd783486011f4bcf6dc0d29d2105307a35c6ab2b2d38c0227f09075baf7a",
        // An extra field, a missing one.
        "sha256$000102030405060708090a0b0c0d0e0f$c63dcd783486011f4bcf6dc0d29d2105307a35c6ab2b2d38c0227f09075baf7a$",
        "sha256$c63dcd783486011f4bcf6dc0d29d2105307a35c6ab2b2d38c0227f09075baf7a",
    ])
    func malformedStoredHashIsNeverMatched(stored: String) {
        #expect(!Secrets.verify("2bB!*?", against: stored))
        #expect(!Secrets.verify("", against: stored))
    }

    @Test func constantTimeEqualsComparesWholeCollections() {
        let digest = [UInt8](0..<32)
        #expect(Secrets.constantTimeEquals(digest, digest))
        #expect(Secrets.constantTimeEquals([UInt8](), [UInt8]()))
        #expect(!Secrets.constantTimeEquals(digest, digest.dropLast()), "different lengths")
        #expect(!Secrets.constantTimeEquals(digest.dropLast(), digest), "different lengths")
        #expect(!Secrets.constantTimeEquals(digest, digest + [0]), "a prefix is not equal")
        #expect(!Secrets.constantTimeEquals([UInt8](), [0]))
        for position in [0, 15, 31] {
            var other = digest
            other[position] ^= 0x80
            #expect(!Secrets.constantTimeEquals(digest, other), "differs at \(position)")
        }
    }

    // MARK: Draws

    /// A character is missing from one password with probability 41/47; from all 500, with
    /// (41/47)^500 ≈ 2·10⁻³⁰, so the whole check fails with odds below 47 × that ≈ 10⁻²⁸.
    @Test func passwordsAreSixDistinctCharactersAndReachTheWholeAlphabet() {
        var seen = Set<Character>()
        for _ in 0..<500 {
            let password = Secrets.invigilatorPassword()
            #expect(password.count == 6 && Set(password).count == 6, "\(password)")
            #expect(password.allSatisfy(Self.passwordAlphabet.contains), "\(password)")
            #expect(Codes.isWellFormedInvigilatorPassword(password), "\(password)")
            seen.formUnion(password)
        }
        #expect(seen == Self.passwordAlphabet, "missing \(Self.passwordAlphabet.subtracting(seen))")
    }

    @Test func tokensAreLongHexAndDistinct() {
        let tokens = (0..<1_000).map { _ in Secrets.token() }
        #expect(Set(tokens).count == tokens.count)
        for token in tokens {
            #expect(token.count == 32, "128 bits as hex")
            #expect(token.allSatisfy { "0123456789abcdef".contains($0) }, "\(token)")
        }
    }

    /// A character is missing from one code with probability 16/24; from all 500, with
    /// (2/3)^500 ≈ 10⁻⁸⁸. `Y` (never drawn by Pix's generator, DESIGN §3.5) included.
    @Test func verificationCodesAreWellFormedAndReachTheWholeAlphabet() throws {
        var seen = Set<Character>()
        for _ in 0..<500 {
            let code = Secrets.verificationCode()
            #expect(Codes.isWellFormedVerificationCode(code), "\(code)")
            seen.formUnion(code.dropFirst(2))
        }
        #expect(seen == Self.verificationAlphabet, "missing \(Self.verificationAlphabet.subtracting(seen))")

        let taken: Set<String> = []
        let code = try Secrets.uniqueVerificationCode { taken.contains($0) }
        #expect(Codes.isWellFormedVerificationCode(code))
        var draws = 0
        #expect(throws: CodesError.self) {
            try Secrets.uniqueVerificationCode(limit: 3) { _ in draws += 1; return true }
        }
        #expect(draws == 3)
    }

    /// Two daemons started with the same seed replay the same seeded draws (here an access
    /// code) but not the same secrets: `Secrets` takes no seed at all, so this holds by
    /// construction. (Two equal passwords by chance: odds 1 in 47·46·…·42 ≈ 7.6·10⁹.)
    @Test func twoDaemonsWithTheSameSeedDrawDifferentSecrets() {
        struct DaemonDraws {
            let accessCode: String, password: String, token: String, verificationCode: String
            init(seed: UInt64) {
                var random = Draws.accessCodes(seed: seed, sessionId: "S1")
                accessCode = Codes.accessCode(using: &random)
                password = Secrets.invigilatorPassword()
                token = Secrets.token()
                verificationCode = Secrets.verificationCode()
            }
        }
        let first = DaemonDraws(seed: 1), second = DaemonDraws(seed: 1)
        #expect(first.accessCode == second.accessCode, "seeded draws replay")
        #expect(first.password != second.password)
        #expect(first.token != second.token)
        #expect(first.verificationCode != second.verificationCode)
    }
}
