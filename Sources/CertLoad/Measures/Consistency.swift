import Foundation

/// One certification as the consistency measures see it.
///
/// Owned by CertLoad's measures half; the runner builds one per scored certification.
public struct ConsistencySample: Sendable, Equatable {
    public var trueTheta: Double
    public var estimatedTheta: Double
    public var reportedErrorRate: Double
    public var score: Int
    /// Mesh level of the global score from θ̂ (what the certificate says).
    public var meshLevel: Int
    /// Mesh level the true θ would have given.
    public var meshLevelFromTrueTheta: Int

    public init(trueTheta: Double, estimatedTheta: Double, reportedErrorRate: Double, score: Int,
                meshLevel: Int, meshLevelFromTrueTheta: Int) {
        self.trueTheta = trueTheta
        self.estimatedTheta = estimatedTheta
        self.reportedErrorRate = reportedErrorRate
        self.score = score
        self.meshLevel = meshLevel
        self.meshLevelFromTrueTheta = meshLevelFromTrueTheta
    }
}

/// The same simulated person's two sittings (retest), by score and mesh level.
public struct RetestPair: Sendable, Equatable {
    public var firstScore: Int
    public var secondScore: Int
    public var firstMeshLevel: Int
    public var secondMeshLevel: Int

    public init(firstScore: Int, secondScore: Int, firstMeshLevel: Int, secondMeshLevel: Int) {
        self.firstScore = firstScore
        self.secondScore = secondScore
        self.firstMeshLevel = firstMeshLevel
        self.secondMeshLevel = secondMeshLevel
    }
}

/// Scoring consistency of a run (DESIGN §7): how close θ̂ is to the true θ and how stable scores are.
/// Statistics that need data the run did not have (no samples, zero variance, no retest) are nil,
/// never NaN, so the summary stays valid JSON.
///
/// Owned by CertLoad's measures half.
public struct Consistency: Sendable, Codable, Equatable {
    /// Certifications measured.
    public var count: Int
    /// mean(θ̂ − θ).
    public var bias: Double?
    /// sqrt(mean((θ̂ − θ)²)).
    public var rmse: Double?
    /// Pearson correlation of θ̂ with θ.
    public var pearson: Double?
    /// Mean of the error rate the estimator reported.
    public var meanReportedErrorRate: Double?
    /// Observed error: standard deviation of θ̂ − θ (population form, divisor n), to compare with
    /// the mean reported error rate.
    public var observedError: Double?
    /// Share of certifications whose mesh level from θ̂ equals the one from θ.
    public var meshAgreement: Double?
    /// Bias and RMSE by band of true ability.
    public var bands: [AbilityBand]
    /// Bias, RMSE and mean reported error by decile of the true θ (conditional consistency); nil in
    /// summaries written before it.
    public var deciles: [DecileBand]? = nil
    /// Test–retest: pairs measured, mean |Δscore|, share of pairs with the same mesh level.
    public var retestPairs: Int
    public var retestMeanAbsoluteDeltaScore: Double?
    public var retestSameLevelShare: Double?

    /// Band edges of true ability: width 1 from −3 to 3, plus the two open tails.
    public static let bandEdges: [Double] = [-3, -2, -1, 0, 1, 2, 3]

    /// One band of true ability, [lower, upper); a nil bound is an open tail.
    public struct AbilityBand: Sendable, Codable, Equatable {
        public var lowerTheta: Double?
        public var upperTheta: Double?
        public var count: Int
        public var bias: Double?
        public var rmse: Double?

        public init(lowerTheta: Double?, upperTheta: Double?, count: Int, bias: Double?, rmse: Double?) {
            self.lowerTheta = lowerTheta
            self.upperTheta = upperTheta
            self.count = count
            self.bias = bias
            self.rmse = rmse
        }

        /// "[-1, 0)", "< -3", "≥ 3".
        public var label: String {
            switch (lowerTheta, upperTheta) {
            case (nil, let upper?): return "< \(Self.format(upper))"
            case (let lower?, nil): return "≥ \(Self.format(lower))"
            case (let lower?, let upper?): return "[\(Self.format(lower)), \(Self.format(upper)))"
            case (nil, nil): return "all"
            }
        }

        static func format(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(value)
        }
    }

    /// One tenth of the certifications measured, by true θ: the certifications sorted by true θ
    /// (ties in input order), the i-th tenth being positions ⌊(i−1)·n/10⌋ ..< ⌊i·n/10⌋.
    public struct DecileBand: Sendable, Codable, Equatable {
        /// 1 (lowest true θ) to 10.
        public var decile: Int
        public var count: Int
        /// Smallest and largest true θ in the decile.
        public var lowestTheta: Double
        public var highestTheta: Double
        /// mean(θ̂ − θ) in the decile.
        public var bias: Double
        /// sqrt(mean((θ̂ − θ)²)) in the decile.
        public var rmse: Double
        /// Mean of the error rate the estimator reported in the decile.
        public var meanReportedErrorRate: Double

        public init(decile: Int, count: Int, lowestTheta: Double, highestTheta: Double, bias: Double, rmse: Double,
                    meanReportedErrorRate: Double) {
            self.decile = decile
            self.count = count
            self.lowestTheta = lowestTheta
            self.highestTheta = highestTheta
            self.bias = bias
            self.rmse = rmse
            self.meanReportedErrorRate = meanReportedErrorRate
        }
    }

    /// Deciles of true θ; a decile with no certification (fewer than ten measured) is left out.
    public static func deciles(_ samples: [ConsistencySample]) -> [DecileBand] {
        let n = samples.count
        let order = samples.indices.sorted {
            samples[$0].trueTheta == samples[$1].trueTheta ? $0 < $1 : samples[$0].trueTheta < samples[$1].trueTheta
        }
        return (1...10).compactMap { decile -> DecileBand? in
            let members = order[((decile - 1) * n / 10)..<(decile * n / 10)].map { samples[$0] }
            guard !members.isEmpty else { return nil }
            let errors = members.map { $0.estimatedTheta - $0.trueTheta }
            let count = Double(members.count)
            return DecileBand(
                decile: decile, count: members.count, lowestTheta: members.first!.trueTheta,
                highestTheta: members.last!.trueTheta, bias: errors.reduce(0, +) / count,
                rmse: (errors.reduce(0) { $0 + $1 * $1 } / count).squareRoot(),
                meanReportedErrorRate: members.reduce(0) { $0 + $1.reportedErrorRate } / count)
        }
    }

    public init(count: Int, bias: Double?, rmse: Double?, pearson: Double?, meanReportedErrorRate: Double?,
                observedError: Double?, meshAgreement: Double?, bands: [AbilityBand], retestPairs: Int,
                retestMeanAbsoluteDeltaScore: Double?, retestSameLevelShare: Double?, deciles: [DecileBand]? = nil) {
        self.deciles = deciles
        self.count = count
        self.bias = bias
        self.rmse = rmse
        self.pearson = pearson
        self.meanReportedErrorRate = meanReportedErrorRate
        self.observedError = observedError
        self.meshAgreement = meshAgreement
        self.bands = bands
        self.retestPairs = retestPairs
        self.retestMeanAbsoluteDeltaScore = retestMeanAbsoluteDeltaScore
        self.retestSameLevelShare = retestSameLevelShare
    }

    /// Computes every measure from the scored certifications and the retest pairs.
    public init(samples: [ConsistencySample], retest: [RetestPair] = [], bandEdges: [Double] = Consistency.bandEdges) {
        let n = samples.count
        let errors = samples.map { $0.estimatedTheta - $0.trueTheta }
        count = n
        bias = Self.mean(errors)
        rmse = Self.mean(errors.map { $0 * $0 }).map { $0.squareRoot() }
        pearson = Self.pearson(samples.map(\.trueTheta), samples.map(\.estimatedTheta))
        meanReportedErrorRate = Self.mean(samples.map(\.reportedErrorRate))
        if let bias {
            observedError = Self.mean(errors.map { ($0 - bias) * ($0 - bias) }).map { $0.squareRoot() }
        } else {
            observedError = nil
        }
        meshAgreement = n == 0 ? nil : Double(samples.filter { $0.meshLevel == $0.meshLevelFromTrueTheta }.count) / Double(n)

        let edges = bandEdges.sorted()
        var bounds: [(Double?, Double?)] = []
        if let first = edges.first { bounds.append((nil, first)) }
        for (lower, upper) in zip(edges, edges.dropFirst()) { bounds.append((lower, upper)) }
        if let last = edges.last { bounds.append((last, nil)) }
        bands = bounds.map { lower, upper in
            let inBand = samples.filter { sample in
                (lower.map { sample.trueTheta >= $0 } ?? true) && (upper.map { sample.trueTheta < $0 } ?? true)
            }.map { $0.estimatedTheta - $0.trueTheta }
            return AbilityBand(lowerTheta: lower, upperTheta: upper, count: inBand.count, bias: Self.mean(inBand),
                               rmse: Self.mean(inBand.map { $0 * $0 }).map { $0.squareRoot() })
        }

        deciles = Self.deciles(samples)

        retestPairs = retest.count
        retestMeanAbsoluteDeltaScore = Self.mean(retest.map { Double(abs($0.secondScore - $0.firstScore)) })
        retestSameLevelShare = retest.isEmpty ? nil
            : Double(retest.filter { $0.firstMeshLevel == $0.secondMeshLevel }.count) / Double(retest.count)
    }

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// Pearson r; nil with fewer than two points or when either side has no variance.
    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 2, let mx = mean(x), let my = mean(y) else { return nil }
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }
}
