import CertCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The engine's own speed in this process: the CPU time of one step (`EngineStepLoop`: record an
/// answer, pick the next challenge) on the calling thread, with no store, no daemon and no
/// runner around it — the limit that a run's CPU per answer is compared with.
///
/// Times are the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall time, so that another
/// process on the machine slows the figure only through the caches it shares.
///
/// ```swift
/// let speed = try EngineSpeed.measure(bank: bank, configuration: .default, wholeTests: 64)
/// print(speed.stepNanoseconds)   // ns per step over whole tests
/// ```
///
/// Owned by CertLoad's measures half.
public struct EngineSpeed: Sendable, Codable, Equatable {
    /// CPU nanoseconds per step over whole tests (the pick and the answer of every question),
    /// the median of `rounds` rounds.
    public var stepNanoseconds: Double
    /// Steps timed over whole tests, all rounds together.
    public var steps: Int
    /// CPU nanoseconds per step at the questions of `EngineStepLoop.questions` (the answer to
    /// question q and the pick of q + 1), keyed "q1", "q16", "q31"; empty when not measured.
    public var stepNanosecondsByQuestion: [String: Double]
    /// Challenges in the bank it ran on.
    public var bankChallenges: Int
    public var estimator: String

    /// Tests a round of whole tests holds at most, and rounds at most (a bound on the work).
    public static let testsMax = 100_000
    public static let roundsMax = 101

    /// Times `rounds` rounds of `wholeTests` whole tests, and, when `testsPerQuestion` > 0, of
    /// that many steps at each question of `EngineStepLoop.questions`. Throws when the bank
    /// cannot serve a whole test under `configuration`.
    public static func measure(bank: ItemBank, configuration: AlgorithmConfiguration, wholeTests: Int,
                               testsPerQuestion: Int = 0, rounds: Int = 1) throws(SelectionError) -> EngineSpeed {
        let loop = try EngineStepLoop(bank: bank, configuration: configuration)
        let tests = min(max(1, wholeTests), testsMax)
        let perQuestion = min(max(0, testsPerQuestion), testsMax)
        let roundCount = min(max(1, rounds), roundsMax)
        var wholeRounds: [Double] = []
        var steps = 0
        for _ in 0..<roundCount {
            var fresh = try loop.tests(answered: 0, count: tests)
            let began = threadCPUNanoseconds()
            let taken = try loop.wholeTests(&fresh)
            let elapsed = threadCPUNanoseconds() - began
            steps += taken
            wholeRounds.append(Double(elapsed) / Double(max(1, taken)))
        }
        var byQuestion: [String: Double] = [:]
        if perQuestion > 0 {
            for question in EngineStepLoop.questions where question < loop.length {
                var samples: [Double] = []
                for _ in 0..<roundCount {
                    var pending = try loop.tests(pendingQuestion: question, count: perQuestion)
                    var randoms = loop.randoms(question: question + 1, count: pending.count)
                    let began = threadCPUNanoseconds()
                    try loop.step(&pending, randoms: &randoms, question: question)
                    samples.append(Double(threadCPUNanoseconds() - began) / Double(perQuestion))
                }
                byQuestion["q\(question)"] = median(samples)
            }
        }
        return EngineSpeed(stepNanoseconds: median(wholeRounds), steps: steps, stepNanosecondsByQuestion: byQuestion,
                           bankChallenges: bank.challenges.count, estimator: configuration.estimator.rawValue)
    }

    /// Examinees of `length` answers one thread serves per CPU second at this speed.
    public func examineesPerCPUSecond(length: Int) -> Double {
        1e9 / (stepNanoseconds * Double(max(1, length)))
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// CPU time of the calling thread, nanoseconds.
    static func threadCPUNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
