/// P(correct) and 1 − P of every challenge of a bank at every point of `CapacityGrid`, so that
/// an estimate update reads 81 factors instead of computing 81 exponentials. The values are the
/// very doubles `ResponseModel.probabilityCorrect` returns, so table-driven and direct updates
/// give bit-identical likelihoods. Built once per bank inside `BankTables`.
struct ResponseTables: Sendable {
    /// Row-major: challenge `index` occupies `index * pointCount ..< (index + 1) * pointCount`.
    let probabilityCorrect: [Double]
    /// 1 − P, row-major like `probabilityCorrect` (computed as `1.0 - p`, as the update does).
    let probabilityWrong: [Double]
    let pointCount: Int

    init(challenges: [Challenge], grid: [Double]) {
        pointCount = grid.count
        var correct = [Double](repeating: 0, count: challenges.count * grid.count)
        var wrong = correct
        for (index, challenge) in challenges.enumerated() {
            for k in grid.indices {
                let p = challenge.probabilityCorrect(capacity: grid[k])
                correct[index * grid.count + k] = p
                wrong[index * grid.count + k] = 1.0 - p
            }
        }
        probabilityCorrect = correct
        probabilityWrong = wrong
    }

    /// Calls `body` with the likelihood factors of answering challenge `index` (right or wrong).
    @inline(__always)
    func withFactors<R>(challenge index: Int, correct: Bool, _ body: (UnsafeBufferPointer<Double>) -> R) -> R {
        let table = correct ? probabilityCorrect : probabilityWrong
        return table.withUnsafeBufferPointer { all in
            body(UnsafeBufferPointer(rebasing: all[index * pointCount ..< (index + 1) * pointCount]))
        }
    }
}
