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
    /// Likelihood over `CapacityGrid.points`, rescaled to a maximum of 1 after each answer
    /// (the posterior is normalised, so the scale is irrelevant and underflow is avoided).
    private var likelihood: [Double]

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
    }

    public mutating func add(_ challenge: Challenge, correct: Bool) {
        var largest = 0.0
        for k in 0..<grid.count {
            let p = challenge.probabilityCorrect(capacity: grid[k])
            likelihood[k] *= correct ? p : 1.0 - p
            largest = max(largest, likelihood[k])
        }
        if largest > 0 {
            for k in 0..<grid.count { likelihood[k] /= largest }
        }
        answerCount += 1
        estimate = kind == .flash ? flashStep() : eapStep()
    }

    private func posterior(priorMean: Double, priorVariance: Double) -> [Double] {
        var posterior = [Double](repeating: 0, count: grid.count)
        var total = 0.0
        for k in 0..<grid.count {
            let deviation = grid[k] - priorMean
            // Normalising the prior over the grid and then the posterior equals normalising once.
            posterior[k] = likelihood[k] * exp(-deviation * deviation / (2 * priorVariance))
            total += posterior[k]
        }
        precondition(total > 0 && total.isFinite, "posterior mass must be positive")
        for k in 0..<grid.count { posterior[k] /= total }
        return posterior
    }

    private func flashStep() -> CapacityEstimate {
        let previous = estimate.capacity
        let post = posterior(priorMean: previous, priorVariance: Self.flashPriorVariance)
        var raw = 0.0
        for k in 0..<grid.count { raw += grid[k] * post[k] }
        var capacity = raw
        if let v = variationPercent {
            let gap = (-v < previous && previous < v) ? v : abs(previous * v)
            capacity = min(max(raw, previous - gap), previous + gap)
        }
        var spread = 0.0
        for k in 0..<grid.count {
            let deviation = grid[k] - capacity
            spread += post[k] * deviation * deviation
        }
        return CapacityEstimate(capacity: capacity, errorRate: max(0, spread - gridCorrection).squareRoot())
    }

    private func eapStep() -> CapacityEstimate {
        let post = posterior(priorMean: 0, priorVariance: 1)
        var mean = 0.0
        for k in 0..<grid.count { mean += grid[k] * post[k] }
        var variance = 0.0
        for k in 0..<grid.count {
            let deviation = grid[k] - mean
            variance += post[k] * deviation * deviation
        }
        return CapacityEstimate(capacity: mean, errorRate: variance.squareRoot())
    }
}
