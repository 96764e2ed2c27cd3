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
        #expect(error.code == "BANK_MISSING_FIELD")
        #expect(error.message.contains("\"\(field)\""))
        if field != "id" { #expect(error.message.contains("\"c1\"")) }
    }

    @Test(arguments: [0.0, -0.5])
    func nonPositiveDiscriminant(value: Double) throws {
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.edited { $0["discriminant"] = value }])))
        #expect(error.code == "BANK_BAD_DISCRIMINANT")
        #expect(error.message.contains("\"c1\"") && error.message.contains("discriminant"))
    }

    @Test func duplicateId() throws {
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.good, Self.good])))
        #expect(error.code == "BANK_DUPLICATE_ID")
        #expect(error.message.contains("\"c1\""))
    }

    @Test func unknownCompetence() throws {
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.edited { $0["competence"] = "9.9" }])))
        #expect(error.code == "BANK_UNKNOWN_COMPETENCE")
        #expect(error.message.contains("\"c1\"") && error.message.contains("9.9"))
    }

    @Test func competenceWithoutChallenges() throws {
        let competences: [[String: Any]] = [["id": "1.1", "domain": "1", "name": "a"], ["id": "1.2", "domain": "1", "name": "b"]]
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.good], competences: competences)))
        #expect(error.code == "BANK_EMPTY_COMPETENCE")
        #expect(error.message.contains("1.2"))
    }

    @Test(arguments: [0, 9, -1])
    func levelOutOfRange(level: Int) throws {
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.edited { $0["level"] = level }])))
        #expect(error.code == "BANK_BAD_LEVEL")
        #expect(error.message.contains("\"c1\"") && error.message.contains("level"))
    }

    @Test func fractionalLevel() throws {
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.edited { $0["level"] = 2.5 }])))
        #expect(error.code == "BANK_BAD_LEVEL")
    }

    @Test func wrongTypeIsMalformedAndNamed() throws {
        let error = try #require(Self.error(Self.bankJSON(challenges: [Self.edited { $0["difficulty"] = "hard" }])))
        #expect(error.code == "BANK_MALFORMED")
        #expect(error.message.contains("\"c1\"") && error.message.contains("difficulty"))
    }

    @Test func nonFiniteNumbers() throws {
        // JSON cannot spell NaN or infinity: such a file is refused as malformed, never crashes.
        let text = #"{"version":"t","competences":[{"id":"1.1","domain":"1","name":"a"}],"challenges":[{"id":"c1","competence":"1.1","tube":"@t","skill":"@t1","level":1,"discriminant":1e999,"difficulty":0,"accessible":true,"locale":"fr-fr"}]}"#
        #expect(Self.error(Data(text.utf8))?.code == "BANK_MALFORMED")
        // Built in code, a non-finite parameter is named.
        do {
            _ = try ItemBank(version: "t", competences: [Competence(id: "1.1", domain: "1", name: "a")], challenges: [
                Challenge(id: "c1", competence: "1.1", tube: "@t", skill: "@t1", level: 1, discriminant: 1,
                          difficulty: .nan, accessible: true, locale: "fr-fr"),
            ])
            Issue.record("NaN difficulty must be refused")
        } catch {
            #expect(error.code == "BANK_NON_FINITE")
            #expect(error.message.contains("\"c1\"") && error.message.contains("difficulty"))
        }
    }

    @Test func notJSONAtAll() {
        #expect(Self.error(Data("{".utf8))?.code == "BANK_MALFORMED")
        #expect(Self.error(Data("[]".utf8))?.code == "BANK_MALFORMED")
    }

    @Test func missingFileIsUnreadable() {
        do {
            _ = try ItemBank.load(path: "/nonexistent/bank.json")
            Issue.record("missing file must be refused")
        } catch {
            #expect(error.code == "BANK_UNREADABLE")
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

    @Test func builtInBankIsTheShippedFileByteForByte() throws {
        let shipped = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scenarios/banks").appendingPathComponent(DefaultBank.fileName)
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
