import Foundation

/// Everything the engine precomputes once per item bank and shares between all the candidates
/// of a daemon or a run: the response tables of the estimator, integer ids for tubes, skills,
/// competences and locales, and the information index of the selection. Immutable. Owned by
/// CertCore: `AdaptiveTest` asks `BankTables.shared(for:)` and keeps the reference.
final class BankTables: Sendable {
    /// Banks whose tables are kept; the least recently used beyond this is dropped.
    static let cachedBanksMax = 4

    let challengeCount: Int
    let response: ResponseTables
    let information: InformationIndex
    /// Per challenge: index of its competence in `ItemBank.competences`, of its tube, skill and
    /// locale among the bank's distinct ones.
    let competenceIndex: [Int32]
    let tubeIndex: [Int32]
    let skillIndex: [Int32]
    let localeIndex: [Int32]
    let localeIds: [String: Int32]
    let skillIds: [String: Int32]
    /// Bank indices of each tube's and each skill's challenges, in bank order.
    let challengesByTube: [[Int32]]
    let challengesBySkill: [[Int32]]
    let competenceCount: Int
    /// Whether competences fit the 64-bit masks of `SelectionState` (else the rules run on
    /// `ChallengeSelection`'s plain path).
    var supportsMasks: Bool { competenceCount <= 64 }

    init(bank: ItemBank) {
        let challenges = bank.challenges
        challengeCount = challenges.count
        response = ResponseTables(challenges: challenges, grid: CapacityGrid.points)
        competenceCount = bank.competences.count
        var competenceIds: [String: Int32] = [:]
        for (index, competence) in bank.competences.enumerated() { competenceIds[competence.id] = Int32(index) }
        func ids(_ key: (Challenge) -> String) -> (perChallenge: [Int32], byName: [String: Int32], members: [[Int32]]) {
            var byName: [String: Int32] = [:]
            var members: [[Int32]] = []
            var perChallenge: [Int32] = []
            perChallenge.reserveCapacity(challenges.count)
            for (index, challenge) in challenges.enumerated() {
                let name = key(challenge)
                let id: Int32
                if let known = byName[name] {
                    id = known
                } else {
                    id = Int32(members.count)
                    byName[name] = id
                    members.append([])
                }
                members[Int(id)].append(Int32(index))
                perChallenge.append(id)
            }
            return (perChallenge, byName, members)
        }
        let tubes = ids(\.tube)
        let skills = ids(\.skill)
        let locales = ids(\.locale)
        tubeIndex = tubes.perChallenge
        challengesByTube = tubes.members
        skillIndex = skills.perChallenge
        skillIds = skills.byName
        challengesBySkill = skills.members
        localeIndex = locales.perChallenge
        localeIds = locales.byName
        // The bank guarantees every challenge names a listed competence.
        competenceIndex = challenges.map { competenceIds[$0.competence] ?? 0 }
        information = InformationIndex(challenges: challenges, competenceIndex: competenceIndex,
                                       competenceCount: competenceCount)
    }

    /// The tables of `bank`, built on first use and shared afterwards. A bank is recognised by
    /// the storage of its challenge list (copies of an `ItemBank` share it); the cache keeps that
    /// storage alive, so an address is never mistaken for another bank's.
    static func shared(for bank: ItemBank) -> BankTables {
        let address = bank.challenges.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        return cache.tables(address: address, bank: bank)
    }

    private static let cache = Cache()

    /// Guards the few cached banks. A lock rather than an actor: lookups happen in synchronous
    /// `AdaptiveTest.init`, once per candidate, never on the answer path.
    private final class Cache: @unchecked Sendable {
        private struct Entry {
            let address: UInt
            let challenges: [Challenge]
            let tables: BankTables
        }

        private let lock = NSLock()
        private var entries: [Entry] = []

        func tables(address: UInt, bank: ItemBank) -> BankTables {
            lock.lock()
            if let position = entries.firstIndex(where: { $0.address == address }) {
                let entry = entries.remove(at: position)
                entries.append(entry)
                lock.unlock()
                return entry.tables
            }
            lock.unlock()
            // Built outside the lock: two first users of a bank may both build; one wins.
            let built = BankTables(bank: bank)
            lock.lock()
            defer { lock.unlock() }
            if let existing = entries.first(where: { $0.address == address }) { return existing.tables }
            entries.append(Entry(address: address, challenges: bank.challenges, tables: built))
            if entries.count > BankTables.cachedBanksMax { entries.removeFirst() }
            return built
        }
    }
}
