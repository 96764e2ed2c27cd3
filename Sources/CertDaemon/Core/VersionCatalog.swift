import CertCore
import Foundation
import CertStore

/// The certification versions a daemon knows (DESIGN §3.7): those it was given
/// (`--certification-version`, repeated; the first is the default for new sessions) and those its
/// store holds from earlier runs, which rebuild and score the sessions created under them but
/// start no new session. Built once by `DaemonCore.open`; immutable afterwards.
///
/// Owned by the daemon core.
struct VersionCatalog: Sendable {
    /// The version a session created without one runs.
    let defaultId: String
    /// Versions new sessions may name, in the order given.
    let loadedIds: [String]
    private let rulesById: [String: CertificationRules]
    /// The bank each version is served from (DESIGN §3.7); absent for a stored version no
    /// loaded bank can serve (its in-progress tests cannot be rebuilt).
    private let bankById: [String: ItemBank]
    private let cleaById: [String: CleaVersion]
    /// The CléA versions this daemon was given (a stored one only serves stored enrolments).
    private let loadedCleaIds: Set<String>

    /// Checks the given versions against the bank and the overrides, and against the copies the
    /// store holds (an id with other content is VERSION_CONFLICT). Stored versions not given are
    /// kept for the sessions that ran them; a migrated store's sessions name `core-v3-2023`,
    /// which the binary holds.
    init(configuration: DaemonConfiguration, stored: [VersionRecord]) throws(CertError) {
        guard let first = configuration.versions.first else {
            throw CertError(.versionMissingKey, "The daemon needs at least one certification version.")
        }
        var rules: [String: CertificationRules] = [:]
        var storedCleas: [CleaVersion] = []
        var loadedIds: [String] = []
        var banks: [String: ItemBank] = [:]
        for version in configuration.versions {
            guard rules[version.id] == nil else {
                throw CertError(.versionDuplicate, "Certification version \(version.id) is given twice.")
            }
            let bank = try configuration.bank(for: version)
            try version.check(bank: bank)
            banks[version.id] = bank
            rules[version.id] = try CertificationRules(
                version: version,
                overrides: configuration.algorithmOverrides.merging(configuration.versionOverrides[version.id] ?? [:]) { $1 })
            loadedIds.append(version.id)
        }
        for record in stored {
            if let given = rules[record.id] {
                guard given.version.contentHash == record.contentHash else {
                    throw CertError(.versionConflict, "The store already holds certification version \(record.id) with other content (\(record.contentHash.prefix(12)), given \(given.version.contentHash.prefix(12))); give the changed version a new id.")
                }
                continue
            }
            // A CLEA version runs no test: kept for the certificates of stored enrolments.
            if record.framework == CertificationFramework.clea.rawValue {
                if !configuration.cleaVersions.contains(where: { $0.id == record.id }),
                   let clea = try? CleaVersion.decode(Data(record.document.utf8)) {
                    storedCleas.append(clea)
                }
                continue
            }
            let version: CertificationVersion
            do {
                version = try CertificationVersion.decode(Data(record.document.utf8))
            } catch let error as CertError {
                throw CertError(.storeCorrupt, "Table versions, row \(record.id), column document: \(error.message); the store is damaged.")
            }
            rules[record.id] = try CertificationRules(version: version, overrides: configuration.algorithmOverrides)
        }
        for (id, text) in BuiltInVersions.all where rules[id] == nil {
            if let version = try? CertificationVersion.decode(Data(text.utf8)) {
                rules[id] = try CertificationRules(version: version, overrides: configuration.algorithmOverrides)
            }
        }
        self.defaultId = first.id
        self.loadedIds = loadedIds
        for (id, served) in rules where banks[id] == nil {
            if let bank = try? configuration.bank(for: served.version), (try? served.version.check(bank: bank)) != nil {
                banks[id] = bank
            }
        }
        var cleas: [String: CleaVersion] = [:]
        for clea in configuration.cleaVersions {
            guard rules[clea.id] == nil, cleas[clea.id] == nil else {
                throw CertError(.versionDuplicate, "Certification version \(clea.id) is given twice.")
            }
            if let record = stored.first(where: { $0.id == clea.id }), record.contentHash != clea.contentHash {
                throw CertError(.versionConflict, "The store already holds certification version \(clea.id) with other content (\(record.contentHash.prefix(12)), given \(clea.contentHash.prefix(12))); give the changed version a new id.")
            }
            cleas[clea.id] = clea
        }
        self.loadedCleaIds = Set(cleas.keys)
        for clea in storedCleas where cleas[clea.id] == nil { cleas[clea.id] = clea }
        self.rulesById = rules
        self.bankById = banks
        self.cleaById = cleas
    }

    /// A CléA version, loaded or stored (for certificates).
    func clea(id: String) -> CleaVersion? { cleaById[id] }

    /// A loaded CléA version, for a new enrolment.
    func cleaForEnrolment(id: String) -> CleaVersion? { loadedCleaIds.contains(id) ? cleaById[id] : nil }

    /// The loaded, active version `id` with its bank, for a complementary enrolment.
    func servedForEnrolment(versionId id: String) throws(DaemonError) -> (rules: CertificationRules, bank: ItemBank) {
        guard loadedIds.contains(id), let rules = rulesById[id], let bank = bankById[id] else {
            throw .notFound(.versionUnknown, "This daemon has no certification version \(id); it loaded \(loadedIds.joined(separator: ", ")).")
        }
        if rules.version.status == .archived {
            throw .conflict(.versionArchived, "Certification version \(id) is archived: it starts no test.")
        }
        return (rules, bank)
    }

    /// The bank version `id` is served from; a coded store error when no loaded bank serves it.
    func bank(forStored id: String, sessionId: String) throws(StoreError) -> ItemBank {
        guard let bank = bankById[id] else {
            throw StoreError(.storeCorrupt, "Session \(sessionId) has tests of certification version \(id), and no loaded bank serves its framework; load that bank (serve --bank) to recover them.")
        }
        return bank
    }

    /// The bank of a loaded version (every loaded version has one).
    func bank(of rules: CertificationRules) -> ItemBank {
        bankById[rules.version.id]!
    }

    /// Any known version (loaded, stored or built in), for views of stored rows.
    func rules(id: String) -> CertificationRules? { rulesById[id] }

    /// The rules of a new session: the named loaded version (VERSION_UNKNOWN otherwise,
    /// VERSION_ARCHIVED for an archived one), or the default; `contentHash`, when the caller
    /// sends its copy's, must match (VERSION_CONFLICT).
    func rulesForNewSession(versionId: String?, contentHash: String?) throws(DaemonError) -> CertificationRules {
        let id = versionId ?? defaultId
        guard loadedIds.contains(id), let rules = rulesById[id] else {
            throw .notFound(.versionUnknown, "This daemon has no certification version \(id); it loaded \(loadedIds.joined(separator: ", ")).")
        }
        if rules.version.status == .archived {
            throw .conflict(.versionArchived, "Certification version \(id) is archived: it starts no session.")
        }
        if let contentHash, contentHash != rules.version.contentHash {
            throw .conflict(.versionConflict, "The daemon's certification version \(id) differs from yours (content \(rules.version.contentHash.prefix(12)), yours \(contentHash.prefix(12))).")
        }
        return rules
    }

    /// The rules of a stored session's version (STORE_CORRUPT if the store names one it does
    /// not hold).
    func rulesForStoredSession(_ sessionId: String, versionId: String) throws(StoreError) -> CertificationRules {
        guard let rules = rulesById[versionId] else {
            throw StoreError(.storeCorrupt, "Table sessions, row \(sessionId), column version_id: no certification version \(versionId) in the store or the binary; the store is damaged.")
        }
        return rules
    }

    /// Rows that store the given versions (the ones the store does not hold yet are inserted).
    func writes(nowSeconds: Double) -> [StoreWrite] {
        loadedIds.compactMap { rulesById[$0] }.map { .version($0.version.record(storedSeconds: nowSeconds)) }
            + loadedCleaIds.sorted().map { .version(cleaById[$0]!.record(storedSeconds: nowSeconds)) }
    }

    /// Every known version's rules, loaded ones first.
    var loaded: [CertificationRules] { loadedIds.compactMap { rulesById[$0] } }
}
