@testable import CertCore
import Testing

@Suite struct SeededRandomTests {
    @Test func splitMix64MatchesTheReferenceOutputs() {
        // Published outputs of the reference SplitMix64 for seed 1234567.
        var generator = SplitMix64(state: 1_234_567)
        let expected: [UInt64] = [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
                                  4_593_380_528_125_082_431, 16_408_922_859_458_223_821]
        #expect((0..<5).map { _ in generator.next() } == expected)
    }

    @Test func xoshiroStepMatchesAHandComputation() {
        // State (1, 2, 3, 4): first output rotl(2·5, 7)·9 = 1280·9; the state update by hand gives
        // s = (7, 0, 262146, 211106232532992), whose output is 0.
        var generator = SeededRandom(state: (1, 2, 3, 4))
        #expect(generator.next() == 11_520)
        #expect(generator.next() == 0)
        // Third: s1 after step two = s1 ^ s2 ^ ... computed naively below.
        var s: [UInt64] = [1, 2, 3, 4]
        func naive() -> UInt64 {
            func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
            let result = rotl(s[1] &* 5, 7) &* 9
            let t = s[1] << 17
            s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45)
            return result
        }
        var again = SeededRandom(state: (1, 2, 3, 4))
        for _ in 0..<100 { #expect(again.next() == naive()) }
    }

    @Test func sameSeedAndKeysReplayTheSameStream() {
        var a = SeededRandom(seed: 42, SeededRandom.key("candidate-7"), 3)
        var b = SeededRandom(seed: 42, keys: [SeededRandom.key("candidate-7"), 3])
        let first = (0..<64).map { _ in a.next() }
        #expect(first == (0..<64).map { _ in b.next() })
        var otherKey = SeededRandom(seed: 42, SeededRandom.key("candidate-7"), 4)
        var otherSeed = SeededRandom(seed: 43, SeededRandom.key("candidate-7"), 3)
        #expect(first != (0..<64).map { _ in otherKey.next() })
        #expect(first != (0..<64).map { _ in otherSeed.next() })
        // Key order matters: (1, 2) and (2, 1) are different streams.
        var oneTwo = SeededRandom(seed: 0, 1, 2)
        var twoOne = SeededRandom(seed: 0, 2, 1)
        #expect(oneTwo.next() != twoOne.next())
    }

    @Test func unitIntervalStaysInRangeAndIsRoughlyUniform() {
        var random = SeededRandom(seed: 9)
        var buckets = [Int](repeating: 0, count: 10)
        let draws = 100_000
        for _ in 0..<draws {
            let u = random.nextUnitInterval()
            #expect(u >= 0 && u < 1)
            buckets[Int(u * 10)] += 1
        }
        for count in buckets { #expect(abs(Double(count) / Double(draws) - 0.1) < 0.01) }
    }

    @Test func fnv1aMatchesKnownValues() {
        // FNV-1a 64 reference values: empty string is the offset basis; "a" is 0xaf63dc4c8601ec8c.
        #expect(SeededRandom.key("") == 0xCBF2_9CE4_8422_2325)
        #expect(SeededRandom.key("a") == 0xAF63_DC4C_8601_EC8C)
        #expect(SeededRandom.key("foobar") == 0x8594_4171_F739_67E8)
    }

    /// Keys mixed one at a time give the generator of the same key list, mixed as DESIGN says:
    /// SplitMix64's finaliser over the seed, then over (state ^ mix(key)) for each key.
    @Test func keysMixedOneAtATimeGiveTheSameGeneratorAsTheList() {
        func mix(_ value: UInt64) -> UInt64 {
            var z = value
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        for keys: [UInt64] in [[], [1], [7, 0, 5], [.max, 3, 9, 11, 13]] {
            var oneAtATime = SeededRandom.KeyMix(seed: 42)
            var byHand = mix(42)
            for key in keys {
                oneAtATime.add(key)
                byHand = mix(byHand ^ mix(key))
            }
            var a = SeededRandom(oneAtATime)
            var b = SeededRandom(seed: 42, keys: keys)
            var splitMix = SplitMix64(state: byHand)
            var c = SeededRandom(state: (splitMix.next(), splitMix.next(), splitMix.next(), splitMix.next()))
            for _ in 0..<8 {
                let x = a.next()
                #expect(x == b.next())
                #expect(x == c.next())
            }
        }
    }
}
