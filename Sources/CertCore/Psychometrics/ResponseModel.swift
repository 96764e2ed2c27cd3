import Foundation

/// The 2PL item response model without the 1.7 scaling constant (DESIGN §3.2).
public enum ResponseModel {
    /// P(correct | θ) = 1 / (1 + exp(a·(b − θ))).
    public static func probabilityCorrect(capacity: Double, discriminant: Double, difficulty: Double) -> Double {
        1.0 / (1.0 + exp(discriminant * (difficulty - capacity)))
    }

    /// Fisher information P(1 − P)·a², which peaks at θ = b with value a²/4.
    public static func information(capacity: Double, discriminant: Double, difficulty: Double) -> Double {
        let p = probabilityCorrect(capacity: capacity, discriminant: discriminant, difficulty: difficulty)
        return p * (1.0 - p) * discriminant * discriminant
    }
}

extension Challenge {
    func probabilityCorrect(capacity: Double) -> Double {
        ResponseModel.probabilityCorrect(capacity: capacity, discriminant: discriminant, difficulty: difficulty)
    }

    func information(capacity: Double) -> Double {
        ResponseModel.information(capacity: capacity, discriminant: discriminant, difficulty: difficulty)
    }
}
