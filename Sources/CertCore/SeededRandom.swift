import Foundation

/// The only source of randomness in the rules: xoshiro256** seeded through SplitMix64 from a
/// seed and a list of keys (candidate index, purpose, question number...), so that every draw
/// replays from the scenario seed. Owned by CertCore; callers create one per purpose.
///
/// ```swift
/// var random = SeededRandom(seed: 42, SeededRandom.key("candidate-7"), 3)
/// let u = random.nextUnitInterval()
/// ```
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Mixes `seed` and every key, in order, into one SplitMix64 state, then draws the four
    /// xoshiro words from it. Different key lists give independent streams.
    public init(seed: UInt64, keys: [UInt64]) {
        var mix = KeyMix(seed: seed)
        for key in keys { mix.add(key) }
        self.init(mix)
    }

    /// A seed and keys mixed one at a time, for hot paths that draw without building an array
    /// of keys: `SeededRandom(mix)` after adding k1…kn is `SeededRandom(seed:keys: [k1…kn])`.
    public struct KeyMix: Sendable {
        var mixed: UInt64

        @inline(__always)
        public init(seed: UInt64) { mixed = SplitMix64.mix(seed) }

        @inline(__always)
        public mutating func add(_ key: UInt64) { mixed = SplitMix64.mix(mixed ^ SplitMix64.mix(key)) }

        /// This mix with `key` added.
        @inline(__always)
        public func adding(_ key: UInt64) -> KeyMix {
            var next = self
            next.add(key)
            return next
        }
    }

    /// The generator of a finished `KeyMix`.
    public init(_ mix: KeyMix) {
        var splitMix = SplitMix64(state: mix.mixed)
        s0 = splitMix.next()
        s1 = splitMix.next()
        s2 = splitMix.next()
        s3 = splitMix.next()
        // xoshiro's only bad state; SplitMix64 cannot produce four zeros in a row, but the
        // invariant is cheap to keep.
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// Raw xoshiro state, for checking the generator against its reference outputs.
    init(state: (UInt64, UInt64, UInt64, UInt64)) {
        (s0, s1, s2, s3) = state
    }

    public init(seed: UInt64, _ keys: UInt64...) {
        self.init(seed: seed, keys: keys)
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnitInterval() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal draw (Box–Muller, two uniforms per draw: simple and replayable).
    public mutating func nextStandardNormal() -> Double {
        let u1 = 1.0 - nextUnitInterval()  // (0, 1]: log is finite
        let u2 = nextUnitInterval()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }

    /// Stable FNV-1a 64 of the UTF-8 bytes, to turn string ids into keys.
    public static func key(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}

/// SplitMix64 (Steele, Lea, Flood), used only to seed xoshiro.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
