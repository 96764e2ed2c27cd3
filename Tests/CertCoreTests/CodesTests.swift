import Testing
@testable import CertCore

/// SplitMix64: a small generator independent of CertCore's own (the fuzz loops replay from their seed).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Replays fixed words, for hand-worked cases.
struct ScriptedGenerator: RandomNumberGenerator {
    var words: [UInt64]
    var position = 0
    /// Words that make a multiply-shift draw below `bound` land in the middle of bucket `index`.
    init(indices: [(index: Int, bound: Int)]) {
        words = indices.map { UInt64((Double($0.index) + 0.5) / Double($0.bound) * 18_446_744_073_709_551_616.0) }
    }
    init(words: [UInt64]) { self.words = words }
    mutating func next() -> UInt64 {
        defer { position += 1 }
        return words[position]
    }
}

struct AlwaysMax: RandomNumberGenerator {
    mutating func next() -> UInt64 { .max }
}

@Suite("Codes")
struct CodesTests {
    let verificationAlphabet = Set("2346789BCDFGHJKMPQRTVWXY")
    let accessLetters = Set("BCDFGHJKMPQRTVWXY")
    let accessDigits = Set("2346789")
    let passwordAlphabet = Set("23456789bcdfghjkmpqrstvwxyBCDFGHJKMPQRSTVWXY!*?")

    @Test func alphabetsAreTheDocumentedOnes() {
        #expect(Codes.verificationAlphabet.count == 24)
        #expect(Set(String(decoding: Codes.verificationAlphabet, as: UTF8.self)) == verificationAlphabet)
        #expect(Codes.accessLetters.count == 17 && Codes.accessDigits.count == 7)
        #expect(Codes.invigilatorPasswordAlphabet.count == 47)
        #expect(Set(String(decoding: Codes.invigilatorPasswordAlphabet, as: UTF8.self)) == passwordAlphabet)
        #expect(Codes.defaultUniqueDrawLimit == 32)
    }

    // MARK: hand-worked draws

    @Test func bucketDrawMatchesHandWorkedIndices() {
        var top = AlwaysMax()
        #expect(Codes.uniformIndex(below: 24, using: &top) == 23)
        // 2^64 mod 24 = 16: a word whose low product part is below 16 is rejected and redrawn.
        var rejecting = ScriptedGenerator(words: [0, UInt64(3.5 / 24 * 18_446_744_073_709_551_616.0)])
        #expect(Codes.uniformIndex(below: 24, using: &rejecting) == 3)
        #expect(rejecting.position == 2)
    }

    @Test func verificationCodeIsAPartialFisherYates() {
        var top = AlwaysMax()   // always swaps with the last slot
        #expect(Codes.verificationCode(using: &top) == "P-Y2346789")
        var scripted = ScriptedGenerator(indices: [(5, 24), (0, 23), (21, 22), (1, 21), (0, 20), (0, 19), (0, 18), (16, 17)])
        #expect(Codes.verificationCode(using: &scripted) == "P-83Y76294")
    }

    @Test func accessCodeAndPasswordFromHandWorkedIndices() {
        var top = AlwaysMax()
        #expect(Codes.accessCode(using: &top) == "YYYY99")
        var access = ScriptedGenerator(indices: [(0, 17), (16, 17), (8, 17), (3, 17), (0, 7), (6, 7)])
        #expect(Codes.accessCode(using: &access) == "BYMF29")
    }

    @Test func invigilatorPasswordIsAPartialFisherYates() {
        var top = AlwaysMax()   // always swaps with the last slot, like the verification code's
        #expect(Codes.invigilatorPassword(using: &top) == "?23456")
        // Bounds shrink by one a position (47, 46, …, 42); slot position + index is swapped in.
        var password = ScriptedGenerator(indices: [(0, 47), (7, 46), (24, 45), (41, 44), (41, 43), (41, 42)])
        #expect(Codes.invigilatorPassword(using: &password) == "2bB!*?")
        #expect(password.position == 6)
    }

    // MARK: format, distinctness, reachability

    @Test func verificationCodesAreWellFormedAndDistinct() {
        var random = SplitMix64(state: 1)
        var seenPerPosition = Array(repeating: Set<Character>(), count: 8)
        for _ in 0..<2_000 {
            let code = Codes.verificationCode(using: &random)
            #expect(code.hasPrefix("P-") && code.count == 10)
            let body = Array(code.dropFirst(2))
            #expect(Set(body).count == 8, "distinct characters in \(code)")
            #expect(body.allSatisfy(verificationAlphabet.contains))
            #expect(Codes.isWellFormedVerificationCode(code))
            for (position, character) in body.enumerated() { seenPerPosition[position].insert(character) }
        }
        for (position, seen) in seenPerPosition.enumerated() {
            #expect(seen == verificationAlphabet, "position \(position) misses \(verificationAlphabet.subtracting(seen))")
        }
    }

    @Test func accessCodesReachEveryCharacterInEveryPosition() {
        var random = SplitMix64(state: 2)
        var seenPerPosition = Array(repeating: Set<Character>(), count: 6)
        for _ in 0..<2_000 {
            let code = Codes.accessCode(using: &random)
            #expect(Codes.isWellFormedAccessCode(code), "\(code)")
            for (position, character) in code.enumerated() { seenPerPosition[position].insert(character) }
        }
        for position in 0..<4 { #expect(seenPerPosition[position] == accessLetters) }
        for position in 4..<6 { #expect(seenPerPosition[position] == accessDigits) }
    }

    @Test func invigilatorPasswordsAreDistinctAndReachEveryCharacterInEveryPosition() {
        var random = SplitMix64(state: 3)
        var seenPerPosition = Array(repeating: Set<Character>(), count: 6)
        for _ in 0..<2_000 {
            let password = Codes.invigilatorPassword(using: &random)
            #expect(password.count == 6 && password.allSatisfy(passwordAlphabet.contains))
            #expect(Set(password).count == 6, "distinct characters in \(password)")
            #expect(Codes.isWellFormedInvigilatorPassword(password))
            for (position, character) in password.enumerated() { seenPerPosition[position].insert(character) }
        }
        for (position, seen) in seenPerPosition.enumerated() {
            #expect(seen == passwordAlphabet, "position \(position) misses \(passwordAlphabet.subtracting(seen))")
        }
    }

    // MARK: determinism

    @Test func aSeedGivesTheSameCodes() {
        func draw(seed: UInt64) -> [String] {
            var random = SeededRandom(seed: seed, SeededRandom.key("verification"))
            return (0..<20).map { _ in Codes.verificationCode(using: &random) + Codes.accessCode(using: &random) }
        }
        #expect(draw(seed: 7) == draw(seed: 7))
        #expect(draw(seed: 7) != draw(seed: 8))
        var a = SplitMix64(state: 99), b = SplitMix64(state: 99)
        #expect(Codes.verificationCode(using: &a) == Codes.verificationCode(using: &b))
    }

    // MARK: uniqueness retry

    @Test func uniqueSkipsTakenCodes() throws {
        var reference = SplitMix64(state: 5)
        let drawn = (0..<4).map { _ in Codes.verificationCode(using: &reference) }
        var random = SplitMix64(state: 5)
        let taken = Set(drawn.prefix(3))
        let code = try Codes.unique(.verificationCode, using: &random) { taken.contains($0) }
        #expect(code == drawn[3])
    }

    @Test func uniqueGivesUpAfterTheLimit() {
        var random = SplitMix64(state: 6)
        var draws = 0
        do {
            _ = try Codes.unique(.verificationCode, using: &random) { _ in draws += 1; return true }
            Issue.record("an always-taken predicate was satisfied")
        } catch {
            #expect(error.code == .verificationCodeExhausted)
            #expect(error.message.contains("32"))
        }
        #expect(draws == 32)
    }

    @Test func uniqueHonoursACustomLimitAndKind() {
        var random = SplitMix64(state: 7)
        var draws = 0
        #expect(throws: CodesError(.accessCodeExhausted, "No free accessCode found after 3 draws; every one drawn was already in use.")) {
            try Codes.unique(.accessCode, using: &random, limit: 3) { _ in draws += 1; return true }
        }
        #expect(draws == 3)
    }

    // MARK: validators

    @Test(arguments: ["P-2346789B", "P-YXWVTRQP", "P-83Y76294"])
    func wellFormedVerificationCodes(code: String) {
        #expect(Codes.isWellFormedVerificationCode(code))
    }

    @Test(arguments: ["", "P-", "P-2346789", "P-2346789BC", "P-22346789", "p-2346789B", "X-2346789B",
                      "P-2346789b", "P-0346789B", "P-A346789B", "P-5346789B", "P 2346789B", "P-2346789É"])
    func malformedVerificationCodes(code: String) {
        #expect(!Codes.isWellFormedVerificationCode(code))
    }

    @Test func normalisingATypedVerificationCode() {
        #expect(Codes.normalizedVerificationCode(" p-2346789b \n") == "P-2346789B")
        #expect(Codes.normalizedVerificationCode("P-2346789B") == "P-2346789B")
        #expect(Codes.normalizedVerificationCode("p-22346789") == nil)
    }

    @Test(arguments: ["BCDF23", "YYYY99", "MPQR47"])
    func wellFormedAccessCodes(code: String) {
        #expect(Codes.isWellFormedAccessCode(code))
    }

    @Test(arguments: ["", "BCDF2", "BCDF234", "ABCD23", "BCD223", "BCDF25", "BCDF20", "bcdf23", "23BCDF", "BCDFG2"])
    func malformedAccessCodes(code: String) {
        #expect(!Codes.isWellFormedAccessCode(code))
    }

    @Test func invigilatorPasswordValidator() {
        #expect(Codes.isWellFormedInvigilatorPassword("2bB!*?"))
        #expect(!Codes.isWellFormedInvigilatorPassword("2bB!*"))
        #expect(!Codes.isWellFormedInvigilatorPassword("2bB!*a"))   // vowel
        #expect(!Codes.isWellFormedInvigilatorPassword("1bB!*?"))   // 1 is not in the alphabet
        #expect(!Codes.isWellFormedInvigilatorPassword("2bB!*2"))   // a repeated character
        #expect(!Codes.isWellFormedInvigilatorPassword("??????"))
        #expect(!Codes.isWellFormedInvigilatorPassword("2bB!*?2"))
        #expect(!Codes.isWellFormedInvigilatorPassword("2BB!*?"))   // B twice; b and B differ
    }
}
