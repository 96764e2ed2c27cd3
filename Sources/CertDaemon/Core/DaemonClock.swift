import Foundation

/// Where the daemon reads the time: every rule (authorisation windows, session expiry,
/// timestamps in the store) takes `nowSeconds()` from the injected clock, never `Date()`.
/// Owned by the daemon core; `SystemClock` in production, a virtual clock in the runner and a
/// manual one in tests.
public protocol DaemonClock: Sendable {
    /// Seconds on this clock's time line (Unix time for `SystemClock`).
    func nowSeconds() -> Double
}

/// The wall clock: seconds since 1970.
public struct SystemClock: DaemonClock {
    public init() {}
    public func nowSeconds() -> Double { Date().timeIntervalSince1970 }
}
