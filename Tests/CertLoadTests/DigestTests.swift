import Foundation
import Testing
@testable import CertLoad
import Crypto
import CertTestSupport

@Suite struct DigestTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256MatchesPublishedVectors(input: String, expected: String) {
        #expect(Digest.hex(SHA256.hash(data: Array(input.utf8))) == expected)
    }

    @Test func sha256OfAMillionAs() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(data: chunk) }
        #expect(Digest.hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The digest of `records()` and of no record, computed independently (Python's hashlib over
    /// the same canonical lines, doubles as their bit patterns): the hash's implementation may
    /// change, the digest may not. The regression scenarios' pinned digests say the same of real runs.
    @Test func digestMatchesAnIndependentComputation() {
        #expect(Digest.hex(of: Self.records()) == "b0e2a76d3952ac4cec8608747c08bbfa42045e26625c6accd93de4a8c9cbe9ff")
        #expect(Digest.hex(of: []) == "51cb0467d788c21364d6a50f4c84b71b35ea3c261252271e38a2d4f8582c6b80")
    }

    static func records() -> [DigestRecord] {
        (0..<20).map { (i: Int) -> DigestRecord in
            let capacity: Double = Double(i) * 0.137 - 1.3
            let errorRate: Double = 0.3 + Double(i) / 100
            let levels: [String: Int] = ["1.1": i % 6, "2.3": 2, "5.2": 4]
            return DigestRecord(candidateKey: String(format: "c%04d", i), capacity: capacity, errorRate: errorRate,
                                pixScore: 100 + i * 17, meshLevel: i % 8, competenceLevels: levels,
                                status: i == 7 ? "rejected" : "validated")
        }
    }

    @Test func digestIsIndependentOfOrder() {
        let records = Self.records()
        var random = SplitMix64(seed: 3)
        let shuffled = records.shuffled(using: &random)
        #expect(shuffled != records)
        #expect(Digest.hex(of: shuffled) == Digest.hex(of: records))
        #expect(Digest.hex(of: records.reversed()) == Digest.hex(of: records))
        #expect(Digest.hex(of: records).count == Digest.hexLength)
    }

    @Test func digestSeesOneUlpOfCapacity() {
        let records = Self.records()
        var changed = records
        changed[5].capacity = changed[5].capacity.nextUp
        #expect(Digest.hex(of: changed) != Digest.hex(of: records))
        var changedError = records
        changedError[0].errorRate = changedError[0].errorRate.nextDown
        #expect(Digest.hex(of: changedError) != Digest.hex(of: records))
    }

    @Test func digestSeesEveryField() {
        let base = Digest.hex(of: Self.records())
        var a = Self.records(); a[3].pixScore += 1
        var b = Self.records(); b[3].meshLevel += 1
        var c = Self.records(); c[3].competenceLevels["1.1"]! += 1
        var d = Self.records(); d[3].status = "rejected"
        var e = Self.records(); e[3].candidateKey = "z"
        for changed in [a, b, c, d, e] { #expect(Digest.hex(of: changed) != base) }
    }

    @Test func canonicalLineSortsCompetencesAndUsesBitPatterns() {
        let record = DigestRecord(candidateKey: "k", capacity: 1.0, errorRate: -0.0, pixScore: 3, meshLevel: 0,
                                  competenceLevels: ["2.1": 1, "1.10": 2, "1.2": 3], status: "validated")
        #expect(record.canonicalLine == "k\t3ff0000000000000\t8000000000000000\t3\t0\t1.10=2,1.2=3,2.1=1\tvalidated\n")
    }
}
