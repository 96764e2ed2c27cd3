import CertCore

/// One challenge's exposure in a run, as written to exposure.csv.
///
/// Owned by CertLoad's measures half; built by ``ItemSecurity/measure(bank:served:settings:seed:)``.
public struct ExposureRow: Sendable, Equatable {
    public var challengeId: String
    public var competence: String
    /// Skill level, 1–8.
    public var level: Int
    /// Calibrated 2PL discriminant a.
    public var discriminant: Double
    /// Calibrated 2PL difficulty b.
    public var difficulty: Double
    /// Certifications the challenge was served in.
    public var timesGiven: Int
    /// timesGiven ÷ certifications (0 when the run had none).
    public var rate: Double

    public init(challengeId: String, competence: String, level: Int, discriminant: Double, difficulty: Double,
                timesGiven: Int, rate: Double) {
        self.challengeId = challengeId
        self.competence = competence
        self.level = level
        self.discriminant = discriminant
        self.difficulty = difficulty
        self.timesGiven = timesGiven
        self.rate = rate
    }
}

/// Item security of a run (DESIGN §7), as CAT psychometricians check it (catR, simCAT, catsim):
/// how often each challenge was given and how much two candidates' tests have in common.
///
/// Definitions:
/// - a challenge is *given* in a certification when the daemon served it to the candidate
///   (a challenge whose live alert was validated counts; the downgrade's simulated answers do not:
///   nobody saw them); a challenge served twice (a resume, a dismissed alert) counts once;
/// - *certifications* are the tests that were served at least one challenge;
/// - exposure rate r_i = times given ÷ certifications; the rates add up to the mean test length Q̄;
/// - test overlap, directly: Σ over pairs of |A ∩ B| ÷ Σ over pairs of (|A| + |B|) / 2, over every
///   pair of certifications or, past `overlapPairsMax` pairs, over that many pairs drawn from the
///   seed (with a fixed test length it is the mean share of challenges two tests have in common);
/// - test overlap by Barrada's formula T = (N/Q)·Var(r) + Q/N, with N the bank's size, Var the
///   population variance of the N rates (as catsim computes it) and Q = Q̄, the mean test length
///   (tests vary in length: abandoned tests are shorter, validated alerts add a challenge). With a
///   fixed length over every pair the direct rate is (m·T − 1)/(m − 1) for m certifications.
///
/// Owned by CertLoad's measures half.
public struct ItemSecurity: Sendable, Codable, Equatable {
    /// The bank measured (its `version`); nil in files written before a run could serve several.
    public var bank: String?
    /// Certifications measured (served at least one challenge).
    public var certifications: Int
    /// Challenges in the bank (N).
    public var bankChallenges: Int
    /// Mean challenges given per certification (Q̄, the Q of Barrada's formula).
    public var meanTestLength: Double?
    public var testLengthMin: Int?
    public var testLengthMax: Int?
    /// Largest exposure rate, and the first challenge (in bank order) that has it.
    public var maxExposureRate: Double?
    public var maxExposureChallengeId: String?
    /// Mean exposure rate over the bank (Q̄ / N).
    public var meanExposureRate: Double?
    /// Population variance of the exposure rates over the bank.
    public var exposureRateVariance: Double?
    /// Share of the bank never given.
    public var neverGivenShare: Double?
    /// The rate above which a challenge counts as over-exposed (scenario `item_security.exposure_threshold`).
    public var exposureThreshold: Double
    /// Share of the bank whose exposure rate is above `exposureThreshold`.
    public var aboveThresholdShare: Double?
    /// Exposure by competence, in the bank's order.
    public var byCompetence: [ExposureGroup]
    /// Exposure by skill level, ascending.
    public var byLevel: [ExposureGroup]
    public var overlap: TestOverlap

    /// Exposure of a group of challenges (a competence, a skill level).
    public struct ExposureGroup: Sendable, Codable, Equatable {
        /// The competence id, or the level as text.
        public var key: String
        public var challenges: Int
        /// Times given, all challenges of the group together.
        public var timesGiven: Int
        public var meanRate: Double?
        public var maxRate: Double?
        public var neverGivenShare: Double?

        public init(key: String, challenges: Int, timesGiven: Int, meanRate: Double?, maxRate: Double?, neverGivenShare: Double?) {
            self.key = key
            self.challenges = challenges
            self.timesGiven = timesGiven
            self.meanRate = meanRate
            self.maxRate = maxRate
            self.neverGivenShare = neverGivenShare
        }
    }

    /// The test overlap rate, measured and by formula.
    public struct TestOverlap: Sendable, Codable, Equatable {
        /// Σ|A ∩ B| ÷ Σ(|A| + |B|)/2 over the pairs measured; nil with fewer than two certifications.
        public var direct: Double?
        /// Pairs measured.
        public var pairs: Int
        /// Pairs of certifications in the run, m(m − 1)/2.
        public var pairsTotal: Int
        /// True when `pairs` were drawn from the seed rather than all taken.
        public var sampled: Bool
        /// Barrada's T = (N/Q̄)·Var(r) + Q̄/N; nil without a certification.
        public var barrada: Double?

        public init(direct: Double?, pairs: Int, pairsTotal: Int, sampled: Bool, barrada: Double?) {
            self.direct = direct
            self.pairs = pairs
            self.pairsTotal = pairsTotal
            self.sampled = sampled
            self.barrada = barrada
        }
    }

    public init(certifications: Int, bankChallenges: Int, meanTestLength: Double?, testLengthMin: Int?, testLengthMax: Int?,
                maxExposureRate: Double?, maxExposureChallengeId: String?, meanExposureRate: Double?,
                exposureRateVariance: Double?, neverGivenShare: Double?, exposureThreshold: Double,
                aboveThresholdShare: Double?, byCompetence: [ExposureGroup], byLevel: [ExposureGroup], overlap: TestOverlap) {
        self.certifications = certifications
        self.bankChallenges = bankChallenges
        self.meanTestLength = meanTestLength
        self.testLengthMin = testLengthMin
        self.testLengthMax = testLengthMax
        self.maxExposureRate = maxExposureRate
        self.maxExposureChallengeId = maxExposureChallengeId
        self.meanExposureRate = meanExposureRate
        self.exposureRateVariance = exposureRateVariance
        self.neverGivenShare = neverGivenShare
        self.exposureThreshold = exposureThreshold
        self.aboveThresholdShare = aboveThresholdShare
        self.byCompetence = byCompetence
        self.byLevel = byLevel
        self.overlap = overlap
    }

    /// Barrada's T = (N/Q)·Var(r) + Q/N; nil when N or Q is not positive.
    public static func barradaOverlap(bankChallenges n: Int, testLength q: Double, rateVariance: Double) -> Double? {
        guard n > 0, q > 0 else { return nil }
        return Double(n) / q * rateVariance + q / Double(n)
    }

    /// Measures a run. `served` holds, per certification (in a fixed order: the pair sample
    /// depends on it), the bank indices of the challenges it was served, in any order, repeats
    /// allowed; an empty list is a test that never started and is left out. Indices outside the
    /// bank are ignored.
    public static func measure(bank: ItemBank, served: [[Int32]], settings: ItemSecuritySettings = ItemSecuritySettings(),
                               seed: UInt64) -> (summary: ItemSecurity, rows: [ExposureRow]) {
        let n = bank.challenges.count
        var tests: [[Int32]] = []
        tests.reserveCapacity(served.count)
        for list in served {
            // Distinct, sorted: a challenge served again on a resume counts once; sorted lists
            // intersect in one pass.
            var distinct = list.filter { $0 >= 0 && Int($0) < n }
            distinct.sort()
            var write = 0
            for value in distinct where write == 0 || distinct[write - 1] != value {
                distinct[write] = value
                write += 1
            }
            distinct.removeLast(distinct.count - write)
            if !distinct.isEmpty { tests.append(distinct) }
        }
        let m = tests.count
        var counts = [Int](repeating: 0, count: n)
        for test in tests { for index in test { counts[Int(index)] += 1 } }
        let rates = counts.map { m == 0 ? 0 : Double($0) / Double(m) }
        let rows = bank.challenges.enumerated().map { index, challenge in
            ExposureRow(challengeId: challenge.id, competence: challenge.competence, level: challenge.level,
                        discriminant: challenge.discriminant, difficulty: challenge.difficulty,
                        timesGiven: counts[index], rate: rates[index])
        }

        let lengths = tests.map(\.count)
        let meanLength = m == 0 ? nil : Double(lengths.reduce(0, +)) / Double(m)
        let measured = m > 0 && n > 0
        let meanRate = measured ? rates.reduce(0, +) / Double(n) : nil
        let variance = meanRate.map { mean in rates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n) }
        var maxIndex: Int?
        for index in rates.indices where maxIndex.map({ rates[index] > rates[$0] }) ?? true { maxIndex = index }

        func group(_ key: String, _ members: [Int]) -> ExposureGroup {
            let memberRates = members.map { rates[$0] }
            return ExposureGroup(
                key: key, challenges: members.count, timesGiven: members.reduce(0) { $0 + counts[$1] },
                meanRate: measured && !members.isEmpty ? memberRates.reduce(0, +) / Double(members.count) : nil,
                maxRate: measured ? memberRates.max() : nil,
                neverGivenShare: measured && !members.isEmpty
                    ? Double(members.filter { counts[$0] == 0 }.count) / Double(members.count) : nil)
        }
        var membersByCompetence: [String: [Int]] = [:]
        var membersByLevel: [Int: [Int]] = [:]
        for (index, challenge) in bank.challenges.enumerated() {
            membersByCompetence[challenge.competence, default: []].append(index)
            membersByLevel[challenge.level, default: []].append(index)
        }
        let byCompetence = bank.competences.map { group($0.id, membersByCompetence[$0.id] ?? []) }
        let byLevel = membersByLevel.keys.sorted().map { group(String($0), membersByLevel[$0]!) }

        var summary = ItemSecurity(
            certifications: m, bankChallenges: n, meanTestLength: meanLength, testLengthMin: lengths.min(),
            testLengthMax: lengths.max(), maxExposureRate: measured ? maxIndex.map { rates[$0] } : nil,
            maxExposureChallengeId: measured ? maxIndex.map { bank.challenges[$0].id } : nil, meanExposureRate: meanRate,
            exposureRateVariance: variance,
            neverGivenShare: measured ? Double(counts.filter { $0 == 0 }.count) / Double(n) : nil,
            exposureThreshold: settings.exposureThreshold,
            aboveThresholdShare: measured ? Double(rates.filter { $0 > settings.exposureThreshold }.count) / Double(n) : nil,
            byCompetence: byCompetence, byLevel: byLevel,
            overlap: directOverlap(tests, pairsMax: settings.overlapPairsMax, seed: seed,
                                   barrada: variance.flatMap { v in
                                       meanLength.flatMap { barradaOverlap(bankChallenges: n, testLength: $0, rateVariance: v) }
                                   }))
        summary.bank = bank.version
        return (summary, rows)
    }

    /// The direct overlap over every pair, or over `pairsMax` pairs drawn from the seed.
    static func directOverlap(_ tests: [[Int32]], pairsMax: Int, seed: UInt64, barrada: Double?) -> TestOverlap {
        let m = tests.count
        let pairsTotal = m < 2 ? 0 : m * (m - 1) / 2
        guard pairsTotal > 0 else { return TestOverlap(direct: nil, pairs: 0, pairsTotal: 0, sampled: false, barrada: barrada) }
        var common = 0
        var lengthSum = 0  // Σ(|A| + |B|), halved at the end
        func add(_ a: [Int32], _ b: [Int32]) {
            common += intersectionCount(a, b)
            lengthSum += a.count + b.count
        }
        let sampled = pairsTotal > pairsMax
        let pairs: Int
        if !sampled {
            for i in 0..<m { for j in (i + 1)..<m { add(tests[i], tests[j]) } }
            pairs = pairsTotal
        } else {
            var random = RunnerDraws(seed: seed).generator(.overlapSample)
            for _ in 0..<pairsMax {
                // Two distinct certifications, uniformly (the modulo bias is below 2⁻⁴⁰ for any run).
                let i = Int(random.next() % UInt64(m))
                var j = Int(random.next() % UInt64(m - 1))
                if j >= i { j += 1 }
                add(tests[i], tests[j])
            }
            pairs = pairsMax
        }
        return TestOverlap(direct: lengthSum == 0 ? nil : Double(2 * common) / Double(lengthSum), pairs: pairs,
                           pairsTotal: pairsTotal, sampled: sampled, barrada: barrada)
    }

    /// |a ∩ b| for two sorted lists of distinct values.
    static func intersectionCount(_ a: [Int32], _ b: [Int32]) -> Int {
        var i = 0, j = 0, count = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                count += 1
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return count
    }
}

/// How a run measures item security. YAML section `item_security`.
///
/// ```yaml
/// item_security:
///   exposure_threshold: 0.2     # a challenge given to more than 20 % of the candidates is over-exposed
///   overlap_pairs_max: 100000   # pairs of certifications compared for the direct overlap rate
/// ```
///
/// Owned by CertLoad's scenario half.
public struct ItemSecuritySettings: Sendable, Codable, Equatable {
    /// Exposure rate above which a challenge counts as over-exposed. YAML `exposure_threshold`.
    public var exposureThreshold: Double = 0.2
    /// Most pairs of certifications compared for the direct overlap rate; a run with more pairs
    /// compares this many, drawn from the seed. YAML `overlap_pairs_max`.
    public var overlapPairsMax: Int = 100_000

    /// Largest accepted `overlap_pairs_max` (each pair costs about a hundred comparisons).
    public static let overlapPairsMaxLimit = 10_000_000

    public init() {}
}
