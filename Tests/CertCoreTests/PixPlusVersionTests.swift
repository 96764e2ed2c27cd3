import CertCore
import Foundation
import Testing

/// The shipped Pix+ versions (DESIGN §3.8) say the numbers the design gives, CléA versions are
/// read by their own strict reader, and `VersionDocument` reads either kind.
@Suite struct PixPlusVersionTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func shipped(_ id: String) throws -> Data {
        try Data(contentsOf: repository.appendingPathComponent("Scenarios/versions/\(id).json"))
    }

    // MARK: The shipped versions, against DESIGN §3.8

    /// Pix+ Édu: one interval [1, 8) labelled LEVEL_ADMISSIBLE, no Pix score, 90 minutes,
    /// variationPercent 0.3, pick probability 100, jury levels Avancé and Expert.
    @Test(arguments: [("edu-1er-degre-v3", CertificationFramework.edu1erDegre),
                      ("edu-2nd-degre-v3", .edu2ndDegre), ("edu-cpe-v3", .eduCPE)])
    func eduVersionsSayTheDesignsNumbers(id: String, framework: CertificationFramework) throws {
        let version = try CertificationVersion.decode(Self.shipped(id))
        #expect(version.id == id)
        #expect(version.framework == framework)
        #expect(version.framework.competenceFramework == "crcn-edu")
        #expect(version.status == .active)
        #expect(version.assessmentDurationMinutes == 90)
        #expect(version.challenges.variationPercent == 0.3)
        #expect(version.challenges.defaultProbabilityToPickChallenge == 100)
        #expect(version.challenges.maximumAssessmentLength == 32)
        #expect(version.challenges.defaultCandidateCapacity == -3)
        #expect(version.minimumAnswersToValidate == 20)
        #expect(version.pixScore == false && version.maximumPixScore == nil)
        #expect(version.intervals.map(\.label) == ["LEVEL_ADMISSIBLE"])
        #expect(version.intervals.map(\.min) == [1] && version.intervals.map(\.max) == [8])
        #expect(version.externalLevels == ["LEVEL_ADVANCED", "LEVEL_EXPERT"])
        #expect(version.competenceThresholds == nil && version.defaultCompetenceThresholds == nil)
        #expect(version.intervalIndex(containing: 0.999) == nil)
        #expect(version.intervalIndex(containing: 1) == 0)
        if id != "edu-2nd-degre-v3" {
            #expect(version.comment?.contains("Assumption") == true, "\(id) states its numbers are assumed")
        }
    }

    @Test func theSecondDegreFileIsTheFixture() throws {
        #expect(try Self.shipped("edu-2nd-degre-v3") == Fixtures.data("edu-2nd-degre-v3", subdirectory: "versions"))
        #expect(try Self.shipped("droit-v3") == Fixtures.data("droit-v3", subdirectory: "versions"))
    }

    /// Droit and Pro Santé: LEVEL_INDEPENDENT / CONFIRMED / ADVANCED / EXPERT on [−2.33, 0)
    /// [0, 2.33) [2.33, 4.67) [4.67, 8), no Pix score, 60 minutes (Pro Santé's bounds made up).
    @Test(arguments: [("droit-v3", CertificationFramework.droit, "droit"),
                      ("pro-sante-v3", .proSante, "pro-sante")])
    func droitAndProSanteSayTheDesignsNumbers(id: String, framework: CertificationFramework, bankFramework: String) throws {
        let version = try CertificationVersion.decode(Self.shipped(id))
        #expect(version.id == id && version.framework == framework)
        #expect(version.framework.competenceFramework == bankFramework)
        #expect(version.assessmentDurationMinutes == 60)
        #expect(version.pixScore == false)
        #expect(version.intervals.map(\.label) == ["LEVEL_INDEPENDENT", "LEVEL_CONFIRMED", "LEVEL_ADVANCED", "LEVEL_EXPERT"])
        #expect(version.intervals.map(\.min) == [-2.33, 0, 2.33, 4.67])
        #expect(version.intervals.map(\.max) == [0, 2.33, 4.67, 8])
        #expect(version.intervals.allSatisfy { $0.weight == nil && $0.coefficient == nil })
        #expect(version.externalLevels.isEmpty)
        if id == "pro-sante-v3" { #expect(version.comment?.contains("made up") == true) }
    }

    @Test func theBuiltInPixPlusVersionsAreTheShippedOnes() throws {
        #expect(BuiltInVersions.edu2ndDegreV3 == (try CertificationVersion.decode(Self.shipped("edu-2nd-degre-v3"))))
        #expect(BuiltInVersions.edu1erDegreV3.framework == .edu1erDegre)
        #expect(BuiltInVersions.eduCPEV3.framework == .eduCPE)
        #expect(BuiltInVersions.droitV3.framework == .droit)
        #expect(BuiltInVersions.proSanteV3.framework == .proSante)
        #expect(BuiltInVersions.cleaV3.id == "clea-v3")
        #expect(Set(BuiltInVersions.all.keys) == ["core-v3", "core-v3-2023", "edu-1er-degre-v3", "edu-2nd-degre-v3",
                                                  "edu-cpe-v3", "droit-v3", "pro-sante-v3"])
        #expect(Set(BuiltInVersions.clea.keys) == ["clea-v3"])
        #expect(BuiltInVersions.documents["clea-v3"]?.framework == .clea)
        #expect(BuiltInVersions.documents["droit-v3"]?.testVersion == BuiltInVersions.droitV3)
    }

    @Test func levelNamesCoverThePixPlusLabels() {
        #expect(LevelNames.name(of: "LEVEL_ADMISSIBLE") == "Confirmé")
        #expect(LevelNames.name(of: "LEVEL_INDEPENDENT") == "Indépendant")
        #expect(LevelNames.name(of: "LEVEL_CONFIRMED") == "Confirmé")
        #expect(LevelNames.name(of: "LEVEL_ADVANCED") == "Avancé")
        #expect(LevelNames.name(of: "LEVEL_EXPERT") == "Expert")
        #expect(LevelNames.rejectedName(framework: .edu1erDegre) == "Non admissible")
        #expect(LevelNames.rejectedName(framework: .edu2ndDegre) == "Non admissible")
        #expect(LevelNames.rejectedName(framework: .eduCPE) == "Non admissible")
        #expect(LevelNames.rejectedName(framework: .core) == nil)
        #expect(LevelNames.rejectedName(framework: .droit) == nil)
        // Every label of every shipped version has a French name.
        for version in BuiltInVersions.documents.values.compactMap(\.testVersion) {
            for label in version.intervals.map(\.label) + version.externalLevels {
                #expect(LevelNames.name(of: label) != label, "\(version.id): \(label)")
            }
        }
    }

    // MARK: CléA

    static func result(_ status: CertificationStatus, pixScore: Int?) -> CertificationResult {
        CertificationResult(capacity: 0, errorRate: 0.5, pixScore: pixScore, meshLevel: pixScore == nil ? nil : 1,
                            level: pixScore == nil ? nil : "LEVEL_BEGINNER_1", competenceLevels: nil, status: status,
                            statusReason: status == .validated ? nil : .belowFirstInterval, answersCount: 32,
                            history: [], version: "core-v3")
    }

    @Test func cleaIsAcquiredFromSeventyPixOnAValidatedCore() throws {
        let clea = try CleaVersion.decode(Self.shipped("clea-v3"))
        #expect(clea.id == "clea-v3" && clea.framework == .clea && clea.status == .active)
        #expect(clea.coreVersion == "core-v3")
        #expect(clea.minimumEarnedPix == 70)
        #expect(clea.acquired(core: Self.result(.validated, pixScore: 70)))
        #expect(clea.acquired(core: Self.result(.validated, pixScore: 895)))
        #expect(!clea.acquired(core: Self.result(.validated, pixScore: 69)))
        #expect(!clea.acquired(core: Self.result(.rejected, pixScore: nil)))
        #expect(!clea.acquired(core: Self.result(.cancelled, pixScore: nil)))
        // A rejected result never acquires, even if a score were somehow attached.
        #expect(!clea.acquired(core: Self.result(.rejected, pixScore: 500)))
        // A validated result without a Pix score (a Pix+ version's) does not either.
        #expect(!clea.acquired(core: Self.result(.validated, pixScore: nil)))
    }

    /// θ such that core-v3 scores 70 and 69, worked by hand in interval [−1.4, −0.519)
    /// (weight 64, coefficient 1): floor(64·(2 − (−0.519 − θ)/0.881)).
    /// θ = −1.31: 64·(2 − 0.791/0.881) = 70.54 → 70; θ = −1.33: 64·(2 − 0.811/0.881) = 69.08 → 69.
    @Test func cleaReadsScoresOfTheCoreScoring() throws {
        let bank = try Fixtures.scoreBank()
        let clea = BuiltInVersions.cleaV3
        for (theta, expected, acquired) in [(-1.31, 70, true), (-1.33, 69, false)] {
            var configuration = BuiltInVersions.coreV3.challenges
            configuration.defaultCandidateCapacity = theta
            let core = try Scoring.score(answers: [], abortReason: nil, validatedAlertChallengeIds: [], bank: bank,
                                         version: BuiltInVersions.coreV3, configuration: configuration)
            #expect(core.pixScore == expected)
            #expect(clea.acquired(core: core) == acquired)
        }
    }

    static func cleaObject() -> [String: Any] {
        ["id": "clea-v3", "framework": "CLEA", "comment": "c", "coreVersion": "core-v3", "minimumEarnedPix": 70]
    }

    /// Each broken CléA file: (what is changed, expected code, a phrase the message must name).
    @Test(arguments: [
        ("unknown key", ErrorCode.versionUnknownKey, "challenges"),
        ("missing id", .versionMissingKey, "\"id\""),
        ("missing coreVersion", .versionMissingKey, "coreVersion"),
        ("missing minimumEarnedPix", .versionMissingKey, "minimumEarnedPix"),
        ("string minimum", .versionBadValue, "minimumEarnedPix"),
        ("fractional minimum", .versionBadValue, "minimumEarnedPix"),
        ("negative minimum", .versionBadValue, "minimumEarnedPix"),
        ("minimum above the scale", .versionBadValue, "minimumEarnedPix"),
        ("bad status", .versionBadValue, "status"),
        ("bad id", .versionBadValue, "id"),
        ("empty coreVersion", .versionBadValue, "coreVersion"),
        ("comment not a string", .versionBadValue, "comment"),
        ("not CLEA", .versionBadValue, "framework"),
    ])
    func aBrokenCleaFileIsRefusedNamingTheKey(change: String, code: ErrorCode, names: String) throws {
        var object = Self.cleaObject()
        switch change {
        case "unknown key": object["challenges"] = [String: Any]()
        case "missing id": object["id"] = nil
        case "missing coreVersion": object["coreVersion"] = nil
        case "missing minimumEarnedPix": object["minimumEarnedPix"] = nil
        case "string minimum": object["minimumEarnedPix"] = "70"
        case "fractional minimum": object["minimumEarnedPix"] = 70.5
        case "negative minimum": object["minimumEarnedPix"] = -1
        case "minimum above the scale": object["minimumEarnedPix"] = 1025
        case "bad status": object["status"] = "retired"
        case "bad id": object["id"] = "clea v3"
        case "empty coreVersion": object["coreVersion"] = ""
        case "comment not a string": object["comment"] = 3
        case "not CLEA": object["framework"] = "CORE"
        default: Issue.record("unknown change \(change)")
        }
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect { try CleaVersion.decode(data) } throws: { error in
            guard let error = error as? CertError else { return false }
            return error.code == code && error.message.contains(names)
        }
        if change != "not CLEA" {
            // The document reader picks the CléA reader by the framework word: the same refusal.
            #expect { try VersionDocument.decode(data) } throws: { ($0 as? CertError)?.code == code }
        }
    }

    @Test func aCleaFileIsNotATestVersion() throws {
        let data = try Self.shipped("clea-v3")
        #expect { try CertificationVersion.decode(data) } throws: { error in
            guard let error = error as? CertError else { return false }
            return error.code == .versionBadValue && error.message.contains("framework")
                && error.message.contains("runs no test")
        }
        #expect { try CertificationVersion.load(path: Self.repository.appendingPathComponent("Scenarios/versions/clea-v3.json").path) }
            throws: { ($0 as? CertError)?.code == .versionBadValue }
    }

    @Test func aCleaVersionHashesItsCanonicalContent() throws {
        let object = Self.cleaObject()
        let compact = try CleaVersion.decode(JSONSerialization.data(withJSONObject: object))
        let pretty = try CleaVersion.decode(JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]))
        #expect(compact.contentHash == pretty.contentHash)
        #expect(compact.contentHash.count == 64 && compact.contentHash.allSatisfy(\.isHexDigit))
        #expect(compact.document == #"{"comment":"c","coreVersion":"core-v3","framework":"CLEA","id":"clea-v3","minimumEarnedPix":70}"#)
        var changed = object
        changed["minimumEarnedPix"] = 71
        #expect(try CleaVersion.decode(JSONSerialization.data(withJSONObject: changed)).contentHash != compact.contentHash)
        let record = compact.record(storedSeconds: 12)
        #expect(record == VersionRecord(id: "clea-v3", contentHash: compact.contentHash, framework: "CLEA",
                                        document: compact.document, storedSeconds: 12))
        #expect(compact.summaryText.contains("version clea-v3: framework CLEA, active"))
        #expect(compact.summaryText.contains("core-v3 certification is validated with a Pix score of at least 70"))
    }

    // MARK: VersionDocument

    @Test func aDocumentIsEitherKind() throws {
        let test = try VersionDocument.decode(Self.shipped("droit-v3"))
        let droit = try CertificationVersion.decode(Self.shipped("droit-v3"))
        #expect(test == .test(droit))
        #expect(test.id == "droit-v3" && test.framework == .droit && test.contentHash == droit.contentHash)
        #expect(test.summaryText == droit.summaryText)
        #expect(test.record(storedSeconds: 3) == droit.record(storedSeconds: 3))

        let clea = try VersionDocument.load(path: Self.repository.appendingPathComponent("Scenarios/versions/clea-v3.json").path)
        guard case .clea(let version) = clea else {
            Issue.record("clea-v3 read as \(clea)")
            return
        }
        #expect(clea.id == "clea-v3" && clea.framework == .clea && clea.testVersion == nil)
        #expect(clea.contentHash == version.contentHash && clea.document == version.document)
        #expect(clea.record(storedSeconds: 3).framework == "CLEA")
        #expect(clea.summaryText == version.summaryText)

        // A test version's refusals keep their codes through the document reader.
        #expect { try VersionDocument.decode(Data(#"{"id": "x", "framework": "DROIT"}"#.utf8)) } throws: {
            ($0 as? CertError)?.code == .versionMissingKey && ($0 as? CertError)?.message.contains("challenges") == true
        }
        #expect { try VersionDocument.decode(Data("[".utf8)) } throws: { ($0 as? CertError)?.code == .versionMalformed }
        #expect { try VersionDocument.load(path: "/nonexistent/v.json") } throws: { ($0 as? CertError)?.code == .versionNotFound }
    }
}
