import CertCore

/// Why the runner draws a random number. Each purpose has its own stream, so adding a draw of
/// one kind never shifts the draws of another (DESIGN §6).
///
/// Owned by the runner's simulation half. The raw values are part of the replay contract: a
/// regression scenario's digest depends on them, so never renumber one.
public enum DrawPurpose: UInt64, Sendable, CaseIterable {
    case ability = 1
    case accessibility = 2
    case arrival = 3
    case thinkTime = 4
    case answer = 5
    case abandon = 6
    case liveAlert = 7
    case technicalIncident = 8
    case companionAlert = 9
    case proctorAuthoriseDelay = 10
    case proctorAlertDecision = 11
    case proctorAlertDelay = 12
    case proctorCompanionDelay = 13
    case calibrationNoise = 14
    case sessionSize = 15
    case incidentOfflineTime = 16
    case proctorAlertReason = 17
    /// Which population group a session of a mixed day holds.
    case sessionGroup = 18
    /// A person's true ability on the complementary certification's scale.
    case complementaryAbility = 19
    /// Pairs of certifications compared for the direct test overlap rate (a measure, not a behaviour).
    case overlapSample = 20
}

/// The runner's random draws, each from a generator keyed by (scenario seed, namespace, purpose,
/// keys…): the person, the sitting, a question number, an ordinal. Nothing depends on the order
/// in which candidates run, so results replay whatever the concurrency and the transport.
///
/// Owned by the runner's simulation half.
///
/// ```swift
/// let draws = RunnerDraws(seed: 42)
/// let u = draws.unit(.answer, 17, 0, 5)   // person 17, first sitting, question 5
/// ```
public struct RunnerDraws: Sendable, Equatable {
    /// Separates the runner's streams from the daemon's (which key by session and candidate ids).
    static let namespace: UInt64 = 0x5255_4E4E_4552  // "RUNNER"

    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    /// A generator for one purpose and keys.
    public func generator(_ purpose: DrawPurpose, _ keys: UInt64...) -> SeededRandom {
        SeededRandom(seed: seed, keys: [Self.namespace, purpose.rawValue] + keys)
    }

    // One to five keys: every draw of the runner (three per answer: a think time, a live alert,
    // the answer itself). The keys are mixed one at a time, with the draws of the key list
    // (namespace, purpose, keys…) and without building it.

    /// One uniform draw in [0, 1).
    public func unit(_ purpose: DrawPurpose, _ k1: UInt64) -> Double {
        unit(mix(purpose).adding(k1))
    }

    public func unit(_ purpose: DrawPurpose, _ k1: UInt64, _ k2: UInt64) -> Double {
        unit(mix(purpose).adding(k1).adding(k2))
    }

    public func unit(_ purpose: DrawPurpose, _ k1: UInt64, _ k2: UInt64, _ k3: UInt64) -> Double {
        unit(mix(purpose).adding(k1).adding(k2).adding(k3))
    }

    public func unit(_ purpose: DrawPurpose, _ k1: UInt64, _ k2: UInt64, _ k3: UInt64, _ k4: UInt64) -> Double {
        unit(mix(purpose).adding(k1).adding(k2).adding(k3).adding(k4))
    }

    public func unit(_ purpose: DrawPurpose, _ k1: UInt64, _ k2: UInt64, _ k3: UInt64, _ k4: UInt64,
                     _ k5: UInt64) -> Double {
        unit(mix(purpose).adding(k1).adding(k2).adding(k3).adding(k4).adding(k5))
    }

    /// One standard normal draw (four keys: a think time).
    public func standardNormal(_ purpose: DrawPurpose, _ k1: UInt64, _ k2: UInt64, _ k3: UInt64,
                               _ k4: UInt64) -> Double {
        var random = SeededRandom(mix(purpose).adding(k1).adding(k2).adding(k3).adding(k4))
        return random.nextStandardNormal()
    }

    private func unit(_ mix: SeededRandom.KeyMix) -> Double {
        var random = SeededRandom(mix)
        return random.nextUnitInterval()
    }

    /// The seed, the namespace and the purpose mixed: the start of every draw's key list.
    private func mix(_ purpose: DrawPurpose) -> SeededRandom.KeyMix {
        SeededRandom.KeyMix(seed: seed).adding(Self.namespace).adding(purpose.rawValue)
    }
}
