import Foundation

/// The Gaussian prior of the estimators on a uniform quadrature grid, evaluated with one
/// exponential per update instead of one per point.
///
/// Why it is exact up to rounding: with θ_k = θ_0 + k·h, c the grid index nearest the prior
/// mean m and d = m − θ_c,
/// exp(−(θ_k − m)²/2v) = exp(−d²/2v) · exp(−((k−c)h)²/2v) · r^(k−c), with r = exp(h·d/v).
/// The first factor is the same for every point and cancels when the posterior is normalised;
/// the second is tabulated once per grid; the third is one exponential raised to the powers
/// −c, 1 − c, ... by repeated multiplication in four interleaved chains (|d| ≤ h/2 keeps r near
/// 1, so the powers stay well scaled). The rounding differs from one exponential per point by a
/// few units in the last place; the estimates move by less than 1e-14.
/// Owned by `CapacityEstimator`.
struct PriorKernel: Sendable, Equatable {
    let variance: Double
    let step: Double
    /// exp(−(j·h)²/2v) at `j + pointCount − 1` for j in −(pointCount − 1)...(pointCount − 1).
    let offsetShape: [Double]
    /// Whether the grid is uniform (else every point pays its own exponential).
    let isUniform: Bool

    init(grid: [Double], variance: Double) {
        self.variance = variance
        let count = grid.count
        step = count > 1 ? (grid[count - 1] - grid[0]) / Double(count - 1) : 1
        var uniform = count > 1
        for k in grid.indices where abs(grid[k] - (grid[0] + Double(k) * step)) > 1e-9 * max(1, abs(step)) {
            uniform = false
        }
        isUniform = uniform
        offsetShape = count > 0
            ? (-(count - 1)...(count - 1)).map { j in
                let offset = Double(j) * (count > 1 ? (grid[count - 1] - grid[0]) / Double(count - 1) : 1)
                return exp(-offset * offset / (2 * variance))
            }
            : []
    }

    /// Writes the unnormalised prior centred on `mean` over `grid` into `shape`.
    @inline(__always)
    func fill(mean: Double, grid: UnsafeBufferPointer<Double>, into shape: UnsafeMutableBufferPointer<Double>) {
        let count = grid.count
        let nearest = isUniform ? ((mean - grid[0]) / step).rounded() : -1
        guard nearest >= 0 && nearest <= Double(count - 1) else {
            // Off the grid (a configured start far outside it) or a non-uniform grid.
            for k in 0..<count {
                let deviation = grid[k] - mean
                shape[k] = exp(-deviation * deviation / (2 * variance))
            }
            return
        }
        let centre = Int(nearest)
        let ratio = exp(step * (mean - grid[centre]) / variance)
        // r^(k−c) for k = 0, 1, 2, ...: four interleaved chains, each stepping by r⁴, so the
        // multiplications do not wait on one another.
        let ratio2 = ratio * ratio
        let ratio4 = ratio2 * ratio2
        var power0 = Self.power(1 / ratio, centre)
        var power1 = power0 * ratio
        var power2 = power0 * ratio2
        var power3 = power1 * ratio2
        offsetShape.withUnsafeBufferPointer { offsets in
            let base = offsets.baseAddress! + (count - 1 - centre)
            var k = 0
            while k + 4 <= count {
                shape[k] = base[k] * power0
                shape[k + 1] = base[k + 1] * power1
                shape[k + 2] = base[k + 2] * power2
                shape[k + 3] = base[k + 3] * power3
                power0 *= ratio4
                power1 *= ratio4
                power2 *= ratio4
                power3 *= ratio4
                k += 4
            }
            var power = power0
            while k < count {
                shape[k] = base[k] * power
                power *= ratio
                k += 1
            }
        }
    }

    /// x^n by squaring (n ≥ 0): log₂ n multiplications.
    @inline(__always)
    static func power(_ x: Double, _ n: Int) -> Double {
        var result = 1.0
        var base = x
        var exponent = n
        while exponent > 0 {
            if exponent & 1 == 1 { result *= base }
            base *= base
            exponent >>= 1
        }
        return result
    }
}
