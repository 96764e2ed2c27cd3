import CertCore
import CertDaemon
import Foundation

/// The groups of a run (DESIGN §3.8, §5): for each, the rules its sessions run, the bank and true
/// item parameters its candidates answer by, and the complementary certification they are also
/// enrolled in. A scenario without `population.groups` is one group: its version and population.
///
/// Owned by the runner.
struct RunGroups: Sendable {
    struct Group: Sendable {
        let name: String
        /// The scenario's group; nil on a one-group day (the scenario's population and behaviour).
        let definition: PopulationGroup?
        let rules: CertificationRules
        let items: TrueItemParameters
        let complementary: Complementary?
    }

    enum Complementary: Sendable {
        /// A second adaptive test, on its version and bank.
        case test(CertificationRules, TrueItemParameters)
        /// CléA: no test; acquired from the core result.
        case clea(CleaVersion)

        var versionId: String {
            switch self {
            case .test(let rules, _): rules.version.id
            case .clea(let clea): clea.id
            }
        }
    }

    let groups: [Group]
    /// What the embedded daemon loads: every bank, every version, the groups' own overrides.
    let banks: [ItemBank]
    let versions: [CertificationVersion]
    let cleaVersions: [CleaVersion]
    let versionOverrides: [String: [String: JSONValue]]

    /// Whether the day has more than one kind of certification (groups, or a complementary one):
    /// then the summary breaks consistency and throughput down by version.
    var isMixed: Bool { groups.count > 1 || groups.contains { $0.complementary != nil } }

    init(scenario: Scenario, draws: RunnerDraws) throws(RunError) {
        var banks = [try ScenarioRunner.loadBank(scenario.bank)]
        for path in scenario.additionalBanks { banks.append(try ScenarioRunner.loadBank(.file(path: path))) }
        let scenarioOverrides = try Self.overrides(scenario.algorithmConfigurationJSON())
        var itemsByBank: [String: TrueItemParameters] = [:]
        func items(for bank: ItemBank) -> TrueItemParameters {
            if let known = itemsByBank[bank.version] { return known }
            let made = TrueItemParameters(bank: bank, noise: scenario.calibrationNoise, draws: draws)
            itemsByBank[bank.version] = made
            return made
        }
        var versions: [CertificationVersion] = []
        var cleas: [CleaVersion] = []
        var versionOverrides: [String: [String: JSONValue]] = [:]
        func load(_ path: String?) throws(RunError) -> VersionDocument {
            guard let path else { return .test(BuiltInVersions.coreV3) }
            do {
                return try VersionDocument.load(path: path)
            } catch {
                throw RunError(.runBadOption, "cannot load the certification version \(path): \(error.message)")
            }
        }
        func served(_ version: CertificationVersion, groupOverrides: [String: JSONValue], group: String)
            throws(RunError) -> (CertificationRules, TrueItemParameters)
        {
            let bank: ItemBank
            do {
                bank = try version.servingBank(from: banks)
                try version.check(bank: bank)
            } catch {
                throw RunError(.runBank, "group \(group): \(error.message)")
            }
            if let known = versions.first(where: { $0.id == version.id }) {
                guard known == version else {
                    throw RunError(.runBadOption, "two different certification versions have the id \(version.id)")
                }
                guard (versionOverrides[version.id] ?? [:]) == groupOverrides else {
                    throw RunError(.runBadOption, "groups running version \(version.id) give it different algorithm settings; give each setting its own version id")
                }
            } else {
                versions.append(version)
                if !groupOverrides.isEmpty { versionOverrides[version.id] = groupOverrides }
            }
            do {
                let rules = try CertificationRules(version: version, overrides: scenarioOverrides.merging(groupOverrides) { $1 })
                return (rules, items(for: bank))
            } catch {
                throw RunError(.runBadOption, "group \(group): the algorithm settings are refused by the engine: \(error.message)")
            }
        }

        var groups: [Group] = []
        let definitions: [PopulationGroup?] = scenario.population.groups.isEmpty ? [nil] : scenario.population.groups
        for definition in definitions {
            let name = definition?.name ?? "all"
            guard case .test(let version) = try load(definition?.version ?? scenario.version) else {
                throw RunError(.runBadOption, "group \(name): a CLEA version runs no test of its own; name it as the group's `complementary`")
            }
            let groupOverrides = try Self.overrides(definition?.algorithm ?? [:])
            let (rules, groupItems) = try served(version, groupOverrides: groupOverrides, group: name)
            var complementary: Complementary?
            if let path = definition?.complementary {
                switch try load(path) {
                case .clea(let clea):
                    guard clea.coreVersion == version.id else {
                        throw RunError(.runBadOption, "group \(name): CléA version \(clea.id) applies to \(clea.coreVersion), the group runs \(version.id)")
                    }
                    if !cleas.contains(where: { $0.id == clea.id }) { cleas.append(clea) }
                    complementary = .clea(clea)
                case .test(let other):
                    guard version.framework == .core, other.framework != .core else {
                        throw RunError(.runBadOption, "group \(name): a complementary certification is a Pix+ version added to a core one")
                    }
                    let (otherRules, otherItems) = try served(other, groupOverrides: [:], group: name)
                    complementary = .test(otherRules, otherItems)
                }
            }
            groups.append(Group(name: name, definition: definition, rules: rules, items: groupItems,
                                complementary: complementary))
        }
        self.groups = groups
        self.banks = banks
        self.versions = versions
        self.cleaVersions = cleas
        self.versionOverrides = versionOverrides
    }

    /// Algorithm overrides as the engine's JSON values.
    static func overrides(_ values: [String: AlgorithmValue]) throws(RunError) -> [String: JSONValue] {
        guard !values.isEmpty else { return [:] }
        let text = "{" + values.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value.jsonText)" }.joined(separator: ",") + "}"
        return try overrides(Data(text.utf8))
    }

    static func overrides(_ json: Data) throws(RunError) -> [String: JSONValue] {
        do {
            return try JSONValue.parse(json).objectValue ?? [:]
        } catch {
            throw RunError(.runBadOption, "the scenario's algorithm settings cannot be read: \(error)")
        }
    }
}
