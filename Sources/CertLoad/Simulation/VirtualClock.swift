import CertDaemon
import Foundation

/// The run's simulated clock, injected into the embedded daemon (`DaemonConfiguration.clock`)
/// and used by the runner to pace candidates.
///
/// - `time_scale: 0` (as fast as possible): the day has no wall time, so the daemon's clock stays
///   at the day's start. Every time rule (15-minute authorisation, 24-hour session expiry) sees no
///   time pass and none fires — candidates wait for a concurrency slot, not for the clock, and a
///   rule that fired because of that wait would be spurious. Each candidate still keeps its own
///   virtual time (think times, proctor delays) for the run's timeline.
/// - `time_scale: k > 0`: simulated seconds = day start + real seconds elapsed since `begin()` × k,
///   so the day plays k times faster than real time and the daemon's rules see the day's times.
///   Before `begin()` (while sessions are set up) the clock stays at the day's start.
///
/// Owned by the runner's simulation half.
public struct VirtualClock: DaemonClock {
    /// Simulated time of the day's start: 2026-01-05 08:00 UTC, a Monday morning (fixed so that
    /// stored timestamps are the same from run to run with `time_scale: 0`).
    public static let dayStartSeconds: Double = 1_767_600_000

    /// Simulated seconds per real second; 0 means as fast as possible.
    public let timeScale: Double
    private let origin = Origin()

    public init(timeScale: Double) {
        precondition(timeScale >= 0 && timeScale.isFinite, "timeScale must be finite and >= 0")
        self.timeScale = timeScale
    }

    /// Starts the day now (call once, when the first candidate may arrive).
    public func begin() {
        origin.set(Self.uptimeNanoseconds())
    }

    /// Real monotonic time (nanoseconds) at which the day began; nil before `begin()`.
    public var beganUptimeNanoseconds: UInt64? { origin.get() }

    public func nowSeconds() -> Double {
        Self.dayStartSeconds + dayOffsetSeconds()
    }

    /// Simulated seconds since the day's start (always 0 with `time_scale: 0`).
    public func dayOffsetSeconds() -> Double {
        guard timeScale > 0, let began = origin.get() else { return 0 }
        let now = Self.uptimeNanoseconds()
        return now > began ? Double(now - began) / 1e9 * timeScale : 0
    }

    /// Real monotonic time at which simulated offset `offsetSeconds` is due (scaled mode, after
    /// `begin()`; otherwise now).
    public func dueUptimeNanoseconds(atDayOffsetSeconds offsetSeconds: Double) -> UInt64 {
        guard timeScale > 0, let began = origin.get() else { return Self.uptimeNanoseconds() }
        let realNanoseconds = max(0, offsetSeconds / timeScale * 1e9)
        return began &+ UInt64(min(realNanoseconds, 9.0e18))
    }

    /// The process's monotonic clock, in nanoseconds.
    public static func uptimeNanoseconds() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }

    /// The moment the day began, written once by `begin()` and read by every daemon call.
    private final class Origin: @unchecked Sendable {
        private let lock = NSLock()
        private var uptimeNanoseconds: UInt64?

        func set(_ value: UInt64) {
            lock.lock()
            uptimeNanoseconds = value
            lock.unlock()
        }

        func get() -> UInt64? {
            lock.lock()
            defer { lock.unlock() }
            return uptimeNanoseconds
        }
    }
}
