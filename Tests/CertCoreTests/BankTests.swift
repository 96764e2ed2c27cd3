import CertCore
import Foundation
import Testing

/// Bank loading refuses every bad item with a stable code naming the item and field.
@Suite struct BankTests {
    static var good: [String: Any] { [
        "id": "c1", "competence": "1.1", "tube": "@t", "skill": "@t1", "level": 1, "discriminant": 1.2,
        "difficulty": -1.0, "accessible": true, "locale": "fr-fr",
    ] }

    static func bankJSON(challenges: [[String: Any]], competences: [[String: Any]]? = nil) throws -> Data {
        let object: [String: Any] = [
            "version": "t",
            "competences": competences ?? [["id": "1.1", "domain": "1", "name": "Mener une recherche"]],
            "challenges": challenges,
        ]
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func error(_ data: Data) -> BankError? {
        do {
            _ = try ItemBank.decode(data)
            return nil
        } catch {
            return error
        }
    }

    static func edited(_ edit: (inout [String: Any]) -> Void) -> [String: Any] {
        var item = good
        edit(&item)
        return item
    }

    @Test func aGoodBankLoads() throws {
        let bank = try ItemBank.decode(Self.bankJSON(challenges: [Self.good]))
        #expect(bank.challenges.count == 1)
        #expect(bank.index(ofChallenge: "c1") == 0)
        #expect(bank.index(ofChallenge: "nope") == nil)
    }

    @Test(arguments: ["id", "competence", "tube", "skill", "level", "discriminant", "difficulty", "accessible", "locale"])
    func missingFieldIsNamed(field: String) throws {
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.edited { $0[field] = nil }])))
        #expect(error.code == .bankMissingField)
        #expect(error.message.contains("\"\(field)\""))
        if field != "id" { #expect(error.message.contains("\"c1\"")) }
    }

    @Test(arguments: [0.0, -0.5])
    func nonPositiveDiscriminant(value: Double) throws {
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.edited { $0["discriminant"] = value }])))
        #expect(error.code == .bankBadDiscriminant)
        #expect(error.message.contains("\"c1\"") && error.message.contains("discriminant"))
    }

    @Test func duplicateId() throws {
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.good, Self.good])))
        #expect(error.code == .bankDuplicateId)
        #expect(error.message.contains("\"c1\""))
    }

    @Test func unknownCompetence() throws {
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.edited { $0["competence"] = "9.9" }])))
        #expect(error.code == .bankUnknownCompetence)
        #expect(error.message.contains("\"c1\"") && error.message.contains("9.9"))
    }

    @Test func competenceWithoutChallenges() throws {
        let competences: [[String: Any]] = [["id": "1.1", "domain": "1", "name": "a"], ["id": "1.2", "domain": "1", "name": "b"]]
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.good], competences: competences)))
        #expect(error.code == .bankEmptyCompetence)
        #expect(error.message.contains("1.2"))
    }

    @Test(arguments: [0, 9, -1])
    func levelOutOfRange(level: Int) throws {
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.edited { $0["level"] = level }])))
        #expect(error.code == .bankBadLevel)
        #expect(error.message.contains("\"c1\"") && error.message.contains("level"))
    }

    @Test func fractionalLevel() throws {
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.edited { $0["level"] = 2.5 }])))
        #expect(error.code == .bankBadLevel)
    }

    @Test func wrongTypeIsMalformedAndNamed() throws {
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.edited { $0["difficulty"] = "hard" }])))
        #expect(error.code == .bankMalformed)
        #expect(error.message.contains("\"c1\"") && error.message.contains("difficulty"))
    }

    @Test func nonFiniteNumbers() throws {
        // JSON cannot spell NaN or infinity: such a file is refused as malformed, never crashes.
        let text = #"{"version":"t","competences":[{"id":"1.1","domain":"1","name":"a"}],"challenges":[{"id":"c1","competence":"1.1","tube":"@t","skill":"@t1","level":1,"discriminant":1e999,"difficulty":0,"accessible":true,"locale":"fr-fr"}]}"#
        #expect(Self.error(Data(text.utf8))?.code == .bankMalformed)
        // Built in code, a non-finite parameter is named.
        do {
            _ = try ItemBank(version: "t", competences: [Competence(id: "1.1", domain: "1", name: "a")], challenges: [
                Challenge(id: "c1", competence: "1.1", tube: "@t", skill: "@t1", level: 1, discriminant: 1,
                          difficulty: .nan, accessible: true, locale: "fr-fr"),
            ])
            Issue.record("NaN difficulty must be refused")
        } catch {
            #expect(error.code == .bankNonFinite)
            #expect(error.message.contains("\"c1\"") && error.message.contains("difficulty"))
        }
    }

    @Test func notJSONAtAll() {
        #expect(Self.error(Data("{".utf8))?.code == .bankMalformed)
        #expect(Self.error(Data("[]".utf8))?.code == .bankMalformed)
    }

    @Test func missingFileIsUnreadable() {
        do {
            _ = try ItemBank.load(path: "/nonexistent/bank.json")
            Issue.record("missing file must be refused")
        } catch {
            #expect(error.code == .bankUnreadable)
        }
    }

    @Test func encodedRoundTrips() throws {
        let bank = try Fixtures.scoreBank()
        let again = try ItemBank.decode(bank.encoded())
        #expect(again.challenges == bank.challenges)
        #expect(again.competences == bank.competences)
        #expect(again.version == bank.version)
    }

    // MARK: Generator.

    @Test func generatorIsDeterministicAndMatchesTheShippedBank() throws {
        let generated = BankGenerator.generate(challenges: 1200, seed: 1)
        #expect(generated.encoded() == BankGenerator.generate(challenges: 1200, seed: 1).encoded())
        #expect(generated.encoded() != BankGenerator.generate(challenges: 1200, seed: 2).encoded())
        // The shipped default bank is exactly what the tool generates for seed 1.
        let shipped = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scenarios/banks/crcn-synthetic-1.json")
        let bank = try ItemBank.load(path: shipped.path)
        #expect(bank.challenges == generated.challenges)
        #expect(bank.challenges.count >= 1000)
    }

    static let repository = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Every shipped bank is byte for byte what `certsim bank generate --framework F --seed 1
    /// --challenges 1200` writes (the encoded bank and a final newline).
    @Test(arguments: [("crcn", "crcn-synthetic-1.json"), ("crcn-edu", "crcn-edu-synthetic-1.json"),
                      ("droit", "droit-synthetic-1.json"), ("pro-sante", "pro-sante-synthetic-1.json")])
    func eachShippedBankIsWhatTheGeneratorWrites(framework id: String, file: String) throws {
        let framework = try Framework.named(id)
        let generated = BankGenerator.generate(challenges: 1200, seed: 1, framework: framework).encoded() + Data("\n".utf8)
        let shipped = try Data(contentsOf: Self.repository.appendingPathComponent("Scenarios/banks/\(file)"))
        #expect(shipped == generated, "Scenarios/banks/\(file) is not what the generator writes for \(id), seed 1")
        let bank = try ItemBank.decode(shipped)
        #expect(bank.challenges.count == 1200)
        #expect(bank.competences == framework.competences)
        #expect(bank.version == "\(id)-synthetic-seed1-n1200")
        if id == "crcn" {
            // The original format: no framework declared, no comment (digests depend on it).
            #expect(bank.competenceFramework == nil && bank.comment == nil)
        } else {
            #expect(bank.competenceFramework == id)
            #expect(bank.comment?.contains("Synthetic") == true)
        }
        if id == "droit" || id == "pro-sante" { #expect(bank.comment?.contains("made-up") == true) }
    }

    @Test func aBankOnAnotherFrameworkCoversEveryCompetenceWithItsOwnIds() throws {
        let edu = BankGenerator.generate(challenges: 17, seed: 9, framework: .crcnEdu)
        #expect(edu.competences.count == 17)
        #expect(Set(edu.challenges.map(\.competence)) == Set(Framework.crcnEdu.map(\.id)))
        #expect(edu.challenges.allSatisfy { $0.id.hasPrefix("e") && $0.tube.hasPrefix("@e") })
        let droit = BankGenerator.generate(challenges: 1200, seed: 1, framework: .droit)
        let crcn = BankGenerator.generate(challenges: 1200, seed: 1)
        #expect(Set(droit.challenges.map(\.id)).isDisjoint(with: crcn.challenges.map(\.id)))
        // Another framework draws from its own stream: its parameters are not CRCN's.
        #expect(droit.challenges.prefix(20).map(\.difficulty) != crcn.challenges.prefix(20).map(\.difficulty))
        for level in 1...8 { #expect(droit.challenges.contains { $0.level == level }) }
    }

    @Test func theCommentKeyIsReadAndWritten() throws {
        let data = try JSONSerialization.data(withJSONObject: [
            "version": "t", "comment": "made up for a test", "competenceFramework": "droit",
            "competences": [["id": "1.1", "domain": "1", "name": "Mener une recherche"]], "challenges": [Self.good],
        ] as [String: Any])
        let bank = try ItemBank.decode(data)
        #expect(bank.comment == "made up for a test")
        #expect(try ItemBank.decode(bank.encoded()).comment == "made up for a test")
        #expect(try ItemBank.decode(Self.bankJSON(challenges: [Self.good])).comment == nil)
        let wrong = try JSONSerialization.data(withJSONObject: [
            "version": "t", "comment": 3,
            "competences": [["id": "1.1", "domain": "1", "name": "Mener une recherche"]], "challenges": [Self.good],
        ] as [String: Any])
        #expect(Self.error(wrong)?.code == .bankMalformed)
        #expect(Self.error(wrong)?.message.contains("comment") == true)
    }

    @Test func builtInBankIsTheShippedFileByteForByte() throws {
        let shipped = Self.repository.appendingPathComponent("Scenarios/banks").appendingPathComponent(DefaultBank.fileName)
        let bytes = try Data(contentsOf: shipped)
        #expect(DefaultBank.fileBytes == bytes)
        #expect(try ItemBank.decode(bytes).challenges == DefaultBank.bank.challenges)
    }

    @Test(arguments: [16, 200, 1200, 3000])
    func generatedBanksLookCalibrated(size: Int) {
        let bank = BankGenerator.generate(challenges: size, seed: 5)
        #expect(bank.challenges.count == size)
        #expect(bank.competences == Framework.crcn)
        if size >= 1200 {
            #expect(Set(bank.challenges.map(\.level)) == Set(1...8))
            // Several tubes per competence.
            for competence in Framework.crcn {
                #expect(Set(bank.challenges.filter { $0.competence == competence.id }.map(\.tube)).count >= 3)
            }
            // Difficulty rises with level.
            let means = (1...8).map { level -> Double in
                let items = bank.challenges.filter { $0.level == level }
                return items.map(\.difficulty).reduce(0, +) / Double(items.count)
            }
            #expect(zip(means, means.dropFirst()).allSatisfy { $0 < $1 })
            // Discriminants: median near 1.2, spread out, all positive.
            let sorted = bank.challenges.map(\.discriminant).sorted()
            #expect(abs(sorted[sorted.count / 2] - 1.2) < 0.1)
            #expect(sorted[0] > 0 && sorted.last! - sorted.first! > 1.5)
            // Some, not all, non-accessible.
            let accessible = bank.challenges.filter(\.accessible).count
            #expect(accessible < size && accessible > size / 2)
        }
    }

    @Test func summaryCountsEveryChallenge() {
        let bank = BankGenerator.generate(challenges: 500, seed: 3)
        let summary = BankSummary(bank: bank)
        #expect(summary.countsByCompetence.map { $0.byLevel.reduce(0, +) }.reduce(0, +) == 500)
        #expect(summary.countsByCompetence.count == 16)
        #expect(summary.text.contains("500 challenges"))
    }

    @Test func frameworkIsTheSixteenCRCNCompetences() {
        #expect(Framework.crcn.count == 16)
        #expect(Set(Framework.crcn.map(\.domain)) == ["1", "2", "3", "4", "5"])
        #expect(Framework.crcn.first { $0.id == "3.4" }?.name == "Programmer")
        #expect(Framework.crcn.first { $0.id == "4.2" }?.name == "Protéger les données personnelles et la vie privée")
    }
}
