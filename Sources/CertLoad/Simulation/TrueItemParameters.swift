import CertCore

/// The "true" 2PL parameters simulated people answer by: the bank's calibrated ones plus the
/// scenario's calibration noise, drawn once per challenge from the seed (so a miscalibrated bank
/// is the same bank in every run of a scenario). With no noise they are the calibrated ones.
///
/// Owned by the runner's simulation half.
public struct TrueItemParameters: Sendable {
    /// The smallest true discriminant kept, so noise never flips an item's direction.
    public static let discriminantMin = 0.05

    /// One reference to the arrays and the bank: a candidate's flow hands these around at every
    /// answer, and a copy of the struct then costs one retain, not one per field.
    private final class Storage: Sendable {
        let discriminants: [Double]
        let difficulties: [Double]
        let bank: ItemBank

        init(discriminants: [Double], difficulties: [Double], bank: ItemBank) {
            self.discriminants = discriminants
            self.difficulties = difficulties
            self.bank = bank
        }
    }

    private let storage: Storage
    /// The bank these are the true parameters of.
    public var bank: ItemBank { storage.bank }

    public init(bank: ItemBank, noise: CalibrationNoise, draws: RunnerDraws) {
        var discriminants: [Double] = []
        var difficulties: [Double] = []
        discriminants.reserveCapacity(bank.challenges.count)
        difficulties.reserveCapacity(bank.challenges.count)
        for (index, challenge) in bank.challenges.enumerated() {
            if noise.isZero {
                discriminants.append(challenge.discriminant)
                difficulties.append(challenge.difficulty)
                continue
            }
            var random = draws.generator(.calibrationNoise, UInt64(index))
            let zA = random.nextStandardNormal()
            let zB = random.nextStandardNormal()
            discriminants.append(max(Self.discriminantMin,
                                     challenge.discriminant + noise.discriminantStandardDeviation * zA))
            difficulties.append(challenge.difficulty + noise.difficultyStandardDeviation * zB)
        }
        storage = Storage(discriminants: discriminants, difficulties: difficulties, bank: bank)
    }

    /// P(correct) for a person of true ability `theta` on the challenge; nil for an id the bank
    /// does not hold.
    public func probabilityCorrect(challengeId: String, theta: Double) -> Double? {
        guard let index = storage.bank.index(ofChallenge: challengeId) else { return nil }
        return probabilityCorrect(atIndex: index, theta: theta)
    }

    /// The challenge's index in the bank, nil for an id the bank does not hold.
    public func index(ofChallenge challengeId: String) -> Int? {
        storage.bank.index(ofChallenge: challengeId)
    }

    /// P(correct) for a person of true ability `theta` on the challenge at `index` in the bank.
    public func probabilityCorrect(atIndex index: Int, theta: Double) -> Double {
        ResponseModel.probabilityCorrect(capacity: theta, discriminant: storage.discriminants[index],
                                         difficulty: storage.difficulties[index])
    }

    /// True (discriminant, difficulty) of the challenge at `index` in the bank.
    public func parameters(atIndex index: Int) -> (discriminant: Double, difficulty: Double) {
        (storage.discriminants[index], storage.difficulties[index])
    }
}
