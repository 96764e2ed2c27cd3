/// One test's side of the fast rule chain (DESIGN §3.4): which challenges are still open (in
/// the pool, tube — or skill — not yet answered) as a bit set, how many are open per
/// competence, and which competences the pool holds and the counted answers covered. Updated in
/// place by each counted answer; rebuilt when the pool or the counted answers change (live
/// alert, replay). Owned by `AdaptiveTest`; the shared half is `BankTables`.
struct SelectionState: Sendable {
    /// Bit i of word i / 64: challenge i is in the pool and its tube (or skill) is unanswered.
    private var open: [UInt64]
    private var openByCompetence: [Int32]
    /// Competences with at least one challenge in the pool, and those already answered.
    private var poolCompetences: UInt64 = 0
    private var answeredCompetences: UInt64 = 0
    private let oneQuestionPerTube: Bool

    /// The pool of DESIGN §3.4 rule 2, then the counted answers `answered` (bank indices).
    init(tables: BankTables, bank: ItemBank, locale: String, needsAccessibility: Bool, excludedSkills: Set<String>,
         oneQuestionPerTube: Bool, answered: [Int]) {
        precondition(tables.supportsMasks, "competence masks hold at most 64 competences")
        self.oneQuestionPerTube = oneQuestionPerTube
        open = [UInt64](repeating: 0, count: (tables.challengeCount + 63) / 64)
        openByCompetence = [Int32](repeating: 0, count: tables.competenceCount)
        let excluded = Set(excludedSkills.compactMap { tables.skillIds[$0] })
        if let localeId = tables.localeIds[locale] {
            for index in 0..<tables.challengeCount
            where tables.localeIndex[index] == localeId && !excluded.contains(tables.skillIndex[index])
                && (!needsAccessibility || bank.challenges[index].accessible) {
                open[index >> 6] |= 1 << UInt64(index & 63)
                let competence = Int(tables.competenceIndex[index])
                openByCompetence[competence] += 1
                poolCompetences |= 1 << UInt64(competence)
            }
        }
        for index in answered { record(index, tables: tables) }
    }

    @inline(__always)
    func isOpen(_ index: Int) -> Bool {
        open.withUnsafeBufferPointer { ($0[index >> 6] >> UInt64(index & 63)) & 1 == 1 }
    }

    /// Bank indices of the pool's challenges still open, in bank order (the plain path's input).
    func openIndices(count: Int) -> [Int] {
        (0..<count).filter(isOpen)
    }

    /// A counted answer to challenge `index`: its tube (or skill) closes, its competence is covered.
    mutating func record(_ index: Int, tables: BankTables) {
        answeredCompetences |= 1 << UInt64(tables.competenceIndex[index])
        let members = oneQuestionPerTube
            ? tables.challengesByTube[Int(tables.tubeIndex[index])]
            : tables.challengesBySkill[Int(tables.skillIndex[index])]
        open.withUnsafeMutableBufferPointer { open in
            openByCompetence.withUnsafeMutableBufferPointer { openByCompetence in
                for member in members {
                    let member = Int(member)
                    let bit: UInt64 = 1 << UInt64(member & 63)
                    if open[member >> 6] & bit != 0 {
                        open[member >> 6] &= ~bit
                        openByCompetence[Int(tables.competenceIndex[member])] -= 1
                    }
                }
            }
        }
    }

    /// Rules 3 of DESIGN §3.4 as a competence mask: passage by all competences, then challenges
    /// between same competence unless that empties the list. A challenge is eligible iff it is
    /// open and its competence bit is set. Throws LACK_OF_CHALLENGES when none is.
    func eligibleCompetences(answered: [Int], tables: BankTables,
                             configuration: AlgorithmConfiguration) throws(SelectionError) -> UInt64 {
        var available: UInt64 = 0
        for competence in openByCompetence.indices where openByCompetence[competence] > 0 {
            available |= 1 << UInt64(competence)
        }
        var eligible = available
        if configuration.enablePassageByAllCompetences {
            let unanswered = poolCompetences & ~answeredCompetences
            if unanswered != 0 { eligible &= unanswered }
        }
        if configuration.challengesBetweenSameCompetence > 0 {
            var recent: UInt64 = 0
            for index in answered.suffix(configuration.challengesBetweenSameCompetence) {
                recent |= 1 << UInt64(tables.competenceIndex[index])
            }
            let spaced = eligible & ~recent
            if spaced != 0 { eligible = spaced }
        }
        guard eligible != 0 else {
            throw SelectionError(.lackOfChallenges, "no challenge left to serve after \(answered.count) answers")
        }
        return eligible
    }

    /// The most informative eligible challenges at `capacity`, best first (exactly the plain
    /// ranking's top five; see `InformationIndex`).
    func ranked(capacity: Double, competences: UInt64, tables: BankTables) -> TopChallenges {
        var top = TopChallenges()
        let index = tables.information
        guard let cell = index.cell(of: capacity) else {
            // Outside the indexed capacities: every eligible challenge is scored.
            for challenge in 0..<tables.challengeCount
            where isOpen(challenge) && (competences >> UInt64(tables.competenceIndex[challenge])) & 1 == 1 {
                top.offer(index: challenge, information: index.information(of: challenge, capacity: capacity))
            }
            return top
        }
        if competences.nonzeroBitCount * 2 > index.competenceCount {
            // Most competences allowed: one walk down the cell's list, others skipped by a bit test.
            index.cellOrder.withUnsafeBufferPointer { order in
                index.cellBound.withUnsafeBufferPointer { bound in
                    tables.competenceIndex.withUnsafeBufferPointer { competenceIndex in
                        let start = cell * index.challengeCount
                        for position in start..<(start + index.challengeCount) {
                            if let threshold = top.threshold, bound[position] < threshold { break }
                            let challenge = Int(order[position])
                            if isOpen(challenge) && (competences >> UInt64(competenceIndex[challenge])) & 1 == 1 {
                                top.offer(index: challenge, information: index.information(of: challenge, capacity: capacity))
                            }
                        }
                    }
                }
            }
            return top
        }
        let stride = index.competenceCount + 1
        index.segmentStart.withUnsafeBufferPointer { segmentStart in
            index.order.withUnsafeBufferPointer { order in
                index.bound.withUnsafeBufferPointer { bound in
                    var remaining = competences
                    while remaining != 0 {
                        let competence = remaining.trailingZeroBitCount
                        remaining &= remaining - 1
                        let start = Int(segmentStart[cell * stride + competence])
                        let end = Int(segmentStart[cell * stride + competence + 1])
                        var position = start
                        while position < end {
                            if let threshold = top.threshold, bound[position] < threshold { break }
                            let challenge = Int(order[position])
                            if isOpen(challenge) {
                                top.offer(index: challenge, information: index.information(of: challenge, capacity: capacity))
                            }
                            position += 1
                        }
                    }
                }
            }
        }
        return top
    }
}
