/// An inclusive range of whole counts drawn uniformly (e.g. candidates per session), written in a
/// scenario as `30`, `"20..30"` or `{min: 20, max: 30}`.
///
/// Owned by CertLoad's scenario half.
public struct CountRange: Sendable, Codable, Equatable {
    public var minimum: Int
    public var maximum: Int

    public init(_ minimum: Int, _ maximum: Int) {
        precondition(minimum <= maximum, "CountRange needs minimum <= maximum")
        self.minimum = minimum
        self.maximum = maximum
    }

    public init(fixed value: Int) { self.init(value, value) }

    /// A uniform draw in the range.
    public func draw(using random: inout some RandomNumberGenerator) -> Int {
        minimum == maximum ? minimum : Int.random(in: minimum...maximum, using: &random)
    }
}

/// An inclusive range of seconds drawn uniformly (e.g. a proctor's reaction delay), written in a
/// scenario as `30`, `"10..60"` or `{min: 10, max: 60}`.
///
/// Owned by CertLoad's scenario half.
public struct SecondsRange: Sendable, Codable, Equatable {
    public var minimumSeconds: Double
    public var maximumSeconds: Double

    public init(_ minimumSeconds: Double, _ maximumSeconds: Double) {
        precondition(minimumSeconds <= maximumSeconds, "SecondsRange needs minimum <= maximum")
        self.minimumSeconds = minimumSeconds
        self.maximumSeconds = maximumSeconds
    }

    /// A uniform draw in the range, from a unit-interval draw `u` in [0, 1).
    public func value(atUnit u: Double) -> Double {
        minimumSeconds + (maximumSeconds - minimumSeconds) * u
    }
}
