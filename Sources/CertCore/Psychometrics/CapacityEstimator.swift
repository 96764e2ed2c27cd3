import Foundation

/// Incremental capacity estimator (flash or EAP, DESIGN §3.3): holds the likelihood over the
/// grid so each answer costs one pass over 81 points. A value; `AdaptiveTest` and `Scoring`
/// each own theirs.
///
/// ```swift
/// var estimator = CapacityEstimator(configuration: .default)
/// estimator.add(challenge, correct: true)
/// print(estimator.estimate.capacity)
/// ```
public struct CapacityEstimator: Sendable, Equatable {
    /// Error rate reported before any counted answer.
    public static let noAnswerErrorRate = 5.0
    /// Variance of flash's prior, re-centred on the previous estimate at every answer.
    public static let flashPriorVariance = 1.5
    /// Flash subtracts the variance of a uniform over one grid step from the posterior spread.
    public static let flashGridCorrection = (9.0 / 80.0) * (9.0 / 80.0) / 12.0

    public let kind: EstimatorKind
    public let variationPercent: Double?
    /// θ̂₀: flash's first prior centre and the capacity reported with no answer.
    public let initialCapacity: Double
    public private(set) var estimate: CapacityEstimate
    /// Quadrature points; `CapacityGrid.points` except in tests of the arithmetic.
    let grid: [Double]
    /// Subtracted from flash's posterior spread; tied to the grid step.
    let gridCorrection: Double
    public private(set) var answerCount = 0
    /// Likelihood over `grid`, rescaled to a maximum of 1 after each answer (the posterior is
    /// normalised, so the scale is irrelevant and underflow is avoided). Mutated in place: an
    /// estimator held in a uniquely referenced value never copies it.
    private var likelihood: [Double]
    /// The prior in force (flash: variance 1.5 re-centred every answer; EAP: N(0, 1)).
    private let prior: PriorKernel
    /// EAP's fixed prior on the grid, exp(−θ²/2) point by point.
    private let fixedPrior: [Double]

    public init(configuration: AlgorithmConfiguration, initialCapacity: Double? = nil) {
        self.init(configuration: configuration, initialCapacity: initialCapacity, grid: CapacityGrid.points,
                  gridCorrection: Self.flashGridCorrection)
    }

    init(configuration: AlgorithmConfiguration, initialCapacity: Double?, grid: [Double], gridCorrection: Double) {
        self.grid = grid
        self.gridCorrection = gridCorrection
        kind = configuration.estimator
        variationPercent = configuration.variationPercent
        self.initialCapacity = initialCapacity ?? configuration.defaultCandidateCapacity
        estimate = CapacityEstimate(capacity: self.initialCapacity, errorRate: Self.noAnswerErrorRate)
        likelihood = Array(repeating: 1.0, count: grid.count)
        if grid == CapacityGrid.points {
            prior = kind == .flash ? Self.standardFlashPrior : Self.standardEAPPrior
            fixedPrior = Self.standardFixedPrior
        } else {
            prior = PriorKernel(grid: grid, variance: kind == .flash ? Self.flashPriorVariance : 1)
            fixedPrior = Self.fixedPrior(grid: grid)
        }
    }

    private static let standardFlashPrior = PriorKernel(grid: CapacityGrid.points, variance: flashPriorVariance)
    private static let standardEAPPrior = PriorKernel(grid: CapacityGrid.points, variance: 1)
    private static let standardFixedPrior = fixedPrior(grid: CapacityGrid.points)

    private static func fixedPrior(grid: [Double]) -> [Double] {
        grid.map { theta in
            let deviation = theta - 0
            return exp(-deviation * deviation / (2 * 1))
        }
    }

    public mutating func add(_ challenge: Challenge, correct: Bool) {
        let count = grid.count
        withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { factors in
            for k in 0..<count {
                let p = challenge.probabilityCorrect(capacity: grid[k])
                factors[k] = correct ? p : 1.0 - p
            }
            add(factors: UnsafeBufferPointer(factors))
        }
    }

    /// The update with the answer's likelihood factors read from `ResponseTables` (same values
    /// as `add(_:correct:)` computes).
    mutating func add(factors: UnsafeBufferPointer<Double>) {
        precondition(factors.count == grid.count, "one likelihood factor per grid point")
        let count = grid.count
        likelihood.withUnsafeMutableBufferPointer { likelihood in
            // Four lanes: independent max chains instead of one waiting on each multiplication.
            var largest0 = 0.0, largest1 = 0.0, largest2 = 0.0, largest3 = 0.0
            var k = 0
            while k + 4 <= count {
                likelihood[k] *= factors[k]
                likelihood[k + 1] *= factors[k + 1]
                likelihood[k + 2] *= factors[k + 2]
                likelihood[k + 3] *= factors[k + 3]
                largest0 = max(largest0, likelihood[k])
                largest1 = max(largest1, likelihood[k + 1])
                largest2 = max(largest2, likelihood[k + 2])
                largest3 = max(largest3, likelihood[k + 3])
                k += 4
            }
            while k < count {
                likelihood[k] *= factors[k]
                largest0 = max(largest0, likelihood[k])
                k += 1
            }
            let largest = max(max(largest0, largest1), max(largest2, largest3))
            // Rescale by a power of two (exact, unlike a division) so the maximum lies in [1, 2).
            if largest > 0 && largest.exponent != 0 {
                let scale = Double(sign: .plus, exponent: -largest.exponent, significand: 1)
                for k in 0..<count { likelihood[k] *= scale }
            }
        }
        answerCount += 1
        estimate = kind == .flash ? flashStep() : eapStep()
    }

    /// Posterior moments in one pass over a stack buffer: the mean, `centre(mean)` and the
    /// spread around it. Sums run in four lanes (independent chains), then add up.
    @inline(__always)
    private func moments(priorMean: Double?, centre: (Double) -> Double) -> (mean: Double, centre: Double, spread: Double) {
        let count = grid.count
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { weights in
            grid.withUnsafeBufferPointer { grid in
                likelihood.withUnsafeBufferPointer { likelihood in
                    fixedPrior.withUnsafeBufferPointer { fixed in
                        let shape: UnsafePointer<Double>
                        if let priorMean {
                            prior.fill(mean: priorMean, grid: grid, into: weights)
                            shape = UnsafePointer(weights.baseAddress!)
                        } else {
                            shape = fixed.baseAddress!
                        }
                        var total0 = 0.0, total1 = 0.0, total2 = 0.0, total3 = 0.0
                        var first0 = 0.0, first1 = 0.0, first2 = 0.0, first3 = 0.0
                        var k = 0
                        while k + 4 <= count {
                            let w0 = likelihood[k] * shape[k]
                            let w1 = likelihood[k + 1] * shape[k + 1]
                            let w2 = likelihood[k + 2] * shape[k + 2]
                            let w3 = likelihood[k + 3] * shape[k + 3]
                            weights[k] = w0
                            weights[k + 1] = w1
                            weights[k + 2] = w2
                            weights[k + 3] = w3
                            total0 += w0
                            total1 += w1
                            total2 += w2
                            total3 += w3
                            first0 += grid[k] * w0
                            first1 += grid[k + 1] * w1
                            first2 += grid[k + 2] * w2
                            first3 += grid[k + 3] * w3
                            k += 4
                        }
                        while k < count {
                            let w = likelihood[k] * shape[k]
                            weights[k] = w
                            total0 += w
                            first0 += grid[k] * w
                            k += 1
                        }
                        let total = (total0 + total1) + (total2 + total3)
                        precondition(total > 0 && total.isFinite, "posterior mass must be positive")
                        let mean = ((first0 + first1) + (first2 + first3)) / total
                        let middle = centre(mean)
                        var spread0 = 0.0, spread1 = 0.0, spread2 = 0.0, spread3 = 0.0
                        k = 0
                        while k + 4 <= count {
                            let d0 = grid[k] - middle
                            let d1 = grid[k + 1] - middle
                            let d2 = grid[k + 2] - middle
                            let d3 = grid[k + 3] - middle
                            spread0 += weights[k] * d0 * d0
                            spread1 += weights[k + 1] * d1 * d1
                            spread2 += weights[k + 2] * d2 * d2
                            spread3 += weights[k + 3] * d3 * d3
                            k += 4
                        }
                        while k < count {
                            let d = grid[k] - middle
                            spread0 += weights[k] * d * d
                            k += 1
                        }
                        return (mean, middle, ((spread0 + spread1) + (spread2 + spread3)) / total)
                    }
                }
            }
        }
    }

    private func flashStep() -> CapacityEstimate {
        let previous = estimate.capacity
        let variation = variationPercent
        let posterior = moments(priorMean: previous) { raw in
            guard let v = variation else { return raw }
            let gap = (-v < previous && previous < v) ? v : abs(previous * v)
            return min(max(raw, previous - gap), previous + gap)
        }
        return CapacityEstimate(capacity: posterior.centre,
                                errorRate: max(0, posterior.spread - gridCorrection).squareRoot())
    }

    private func eapStep() -> CapacityEstimate {
        let posterior = moments(priorMean: nil) { $0 }
        return CapacityEstimate(capacity: posterior.mean, errorRate: posterior.spread.squareRoot())
    }
}
