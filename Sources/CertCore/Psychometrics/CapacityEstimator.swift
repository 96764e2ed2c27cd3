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
            var largest = 0.0
            for k in 0..<count {
                likelihood[k] *= factors[k]
                largest = max(largest, likelihood[k])
            }
            if largest > 0 {
                for k in 0..<count { likelihood[k] /= largest }
            }
        }
        answerCount += 1
        estimate = kind == .flash ? flashStep() : eapStep()
    }

    /// Posterior moments in one pass over a stack buffer: the normalised weights' total, the
    /// mean, and the spread around `centre(mean)`.
    @inline(__always)
    private func moments(priorMean: Double?, centre: (Double) -> Double) -> (mean: Double, centre: Double, spread: Double) {
        let count = grid.count
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { weights in
            grid.withUnsafeBufferPointer { grid in
                likelihood.withUnsafeBufferPointer { likelihood in
                    if let priorMean {
                        prior.fill(mean: priorMean, grid: grid, into: weights)
                    } else {
                        fixedPrior.withUnsafeBufferPointer { fixed in
                            for k in 0..<count { weights[k] = fixed[k] }
                        }
                    }
                    var total = 0.0
                    var first = 0.0
                    for k in 0..<count {
                        let weight = likelihood[k] * weights[k]
                        weights[k] = weight
                        total += weight
                        first += grid[k] * weight
                    }
                    precondition(total > 0 && total.isFinite, "posterior mass must be positive")
                    let mean = first / total
                    let middle = centre(mean)
                    var spread = 0.0
                    for k in 0..<count {
                        let deviation = grid[k] - middle
                        spread += weights[k] * deviation * deviation
                    }
                    return (mean, middle, spread / total)
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
