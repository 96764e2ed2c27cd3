/// Finds the most informative eligible challenges at a capacity without computing the
/// information of every challenge.
///
/// The capacity axis is cut into cells. Fisher information a²P(1−P) is unimodal in θ with its
/// peak at θ = b, so over a cell it is at most its value at the cell end nearer b (or a²/4 when
/// b lies inside the cell). For every cell and competence the challenges are listed by that
/// upper bound, largest first, and all challenges of the cell are listed the same way. A search
/// walks the cell's whole list when most competences are allowed (others are skipped by a bit
/// test), else the lists of the allowed competences, and stops a list as soon as its bound falls
/// below the fifth best information found so far: nothing further down can enter the top five. Bounds carry a small margin above the computed
/// values so that rounding in the information formula can never beat them; the result is the
/// exact top five of the plain ranking (information descending, bank index ascending).
/// Owned by `BankTables`.
struct InformationIndex: Sendable {
    /// Capacities covered by cells; outside them the search scans every challenge.
    static let minimumCapacity = CapacityGrid.minimumCapacity
    static let maximumCapacity = CapacityGrid.maximumCapacity
    /// Width of one cell (capacity units): narrower cells give tighter bounds and more memory.
    static let cellWidth = 0.1
    /// Relative and absolute (per a²) margins added to every bound. The absolute one covers the
    /// cancellation in 1 − P when P rounds near 1 (absolute error ≤ 2⁻⁵³ per factor).
    static let relativeMargin = 1e-12
    static let absoluteMarginPerSquaredDiscriminant = 1e-15
    /// Cells are widened by this much on each side, so a capacity rounded into a cell is inside it.
    static let cellOverlap = 1e-9

    let cellCount: Int
    let competenceCount: Int
    /// For cell c and competence k, the segment `segmentStart[c * (K + 1) + k] ..<
    /// segmentStart[c * (K + 1) + k + 1]` of `order`/`bound` lists that competence's challenges
    /// by bound, largest first (ties by bank index).
    let segmentStart: [Int32]
    let order: [Int32]
    let bound: [Double]
    /// All challenges of cell c by bound at `c * challengeCount ..< (c + 1) * challengeCount`.
    let cellOrder: [Int32]
    let cellBound: [Double]
    let challengeCount: Int
    let discriminant: [Double]
    let difficulty: [Double]

    init(challenges: [Challenge], competenceIndex: [Int32], competenceCount: Int) {
        let width = Self.cellWidth
        let cells = Int(((Self.maximumCapacity - Self.minimumCapacity) / width).rounded(.up))
        cellCount = cells
        self.competenceCount = competenceCount
        discriminant = challenges.map(\.discriminant)
        difficulty = challenges.map(\.difficulty)
        var members = [[Int32]](repeating: [], count: competenceCount)
        for index in challenges.indices { members[Int(competenceIndex[index])].append(Int32(index)) }
        var segmentStart: [Int32] = []
        segmentStart.reserveCapacity(cells * (competenceCount + 1))
        var order: [Int32] = []
        order.reserveCapacity(cells * challenges.count)
        var bound: [Double] = []
        bound.reserveCapacity(cells * challenges.count)
        var cellOrder: [Int32] = []
        cellOrder.reserveCapacity(cells * challenges.count)
        var cellBound: [Double] = []
        cellBound.reserveCapacity(cells * challenges.count)
        challengeCount = challenges.count
        for cell in 0..<cells {
            let low = Self.minimumCapacity + Double(cell) * width - Self.cellOverlap
            let high = Self.minimumCapacity + Double(cell + 1) * width + Self.cellOverlap
            let all = challenges.indices
                .map { (index: Int32($0), bound: Self.bound(challenges[$0], low: low, high: high)) }
                .sorted { $0.bound != $1.bound ? $0.bound > $1.bound : $0.index < $1.index }
            cellOrder.append(contentsOf: all.map(\.index))
            cellBound.append(contentsOf: all.map(\.bound))
            for competence in 0..<competenceCount {
                segmentStart.append(Int32(order.count))
                let ranked = members[competence]
                    .map { index -> (index: Int32, bound: Double) in
                        let challenge = challenges[Int(index)]
                        return (index, Self.bound(challenge, low: low, high: high))
                    }
                    .sorted { $0.bound != $1.bound ? $0.bound > $1.bound : $0.index < $1.index }
                order.append(contentsOf: ranked.map(\.index))
                bound.append(contentsOf: ranked.map(\.bound))
            }
            segmentStart.append(Int32(order.count))
        }
        self.segmentStart = segmentStart
        self.order = order
        self.bound = bound
        self.cellOrder = cellOrder
        self.cellBound = cellBound
    }

    /// An upper bound of the computed information of `challenge` for θ in [low, high].
    static func bound(_ challenge: Challenge, low: Double, high: Double) -> Double {
        let a = challenge.discriminant
        let b = challenge.difficulty
        let peak: Double
        if b < low {
            peak = challenge.information(capacity: low)
        } else if b > high {
            peak = challenge.information(capacity: high)
        } else {
            peak = a * a / 4
        }
        return peak * (1 + relativeMargin) + a * a * absoluteMarginPerSquaredDiscriminant
    }

    /// The cell holding `capacity`, or nil outside the indexed range.
    @inline(__always)
    func cell(of capacity: Double) -> Int? {
        guard capacity >= Self.minimumCapacity && capacity <= Self.maximumCapacity else { return nil }
        return min(cellCount - 1, Int((capacity - Self.minimumCapacity) / Self.cellWidth))
    }

    /// Information at `capacity`, computed exactly as `ResponseModel.information` does.
    @inline(__always)
    func information(of index: Int, capacity: Double) -> Double {
        ResponseModel.information(capacity: capacity, discriminant: discriminant[index], difficulty: difficulty[index])
    }
}

/// The best `ChallengeSelection.rankedChallengesMax` (index, information) pairs seen so far,
/// best first, in a fixed-size buffer: no allocation. Order: information descending, then bank
/// index ascending, as the plain ranking sorts.
struct TopChallenges {
    static let capacity = 5
    private(set) var count = 0
    private var indices: (Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0)
    private var values: (Double, Double, Double, Double, Double) = (0, 0, 0, 0, 0)

    /// The information a newcomer must reach (ties then go by index) once the list is full.
    var threshold: Double? { count == Self.capacity ? value(Self.capacity - 1) : nil }

    func index(_ position: Int) -> Int {
        withUnsafeBytes(of: indices) { $0.load(fromByteOffset: position * MemoryLayout<Int>.stride, as: Int.self) }
    }

    func value(_ position: Int) -> Double {
        withUnsafeBytes(of: values) { $0.load(fromByteOffset: position * MemoryLayout<Double>.stride, as: Double.self) }
    }

    @inline(__always)
    private static func precedes(_ lhsValue: Double, _ lhsIndex: Int, _ rhsValue: Double, _ rhsIndex: Int) -> Bool {
        lhsValue != rhsValue ? lhsValue > rhsValue : lhsIndex < rhsIndex
    }

    mutating func offer(index: Int, information: Double) {
        if count == Self.capacity && !Self.precedes(information, index, value(count - 1), self.index(count - 1)) {
            return
        }
        var position = count == Self.capacity ? count - 1 : count
        if count < Self.capacity { count += 1 }
        withUnsafeMutableBytes(of: &indices) { indexBytes in
            withUnsafeMutableBytes(of: &values) { valueBytes in
                let indexSlots = indexBytes.bindMemory(to: Int.self)
                let valueSlots = valueBytes.bindMemory(to: Double.self)
                while position > 0 && Self.precedes(information, index, valueSlots[position - 1], indexSlots[position - 1]) {
                    indexSlots[position] = indexSlots[position - 1]
                    valueSlots[position] = valueSlots[position - 1]
                    position -= 1
                }
                indexSlots[position] = index
                valueSlots[position] = information
            }
        }
    }
}
