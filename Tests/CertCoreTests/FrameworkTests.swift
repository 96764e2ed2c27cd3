import CertCore
import Foundation
import Testing

/// The built-in competence frameworks (DESIGN §3.1, §3.8), checked against the names as written
/// in the design, not against the code's own lists.
@Suite struct FrameworkTests {
    /// CRCN-Édu as DESIGN §3.1 writes it: (id, name), in order.
    static let crcnEdu: [(String, String)] = [
        ("1.1", "Communiquer"),
        ("1.2", "Collaborer"),
        ("1.3", "Se former, développer une veille"),
        ("1.4", "Agir en faveur d'un numérique professionnel sûr et responsable"),
        ("1.5", "Adopter une posture ouverte, critique et réflexive"),
        ("2.1", "Sélectionner"),
        ("2.2", "Concevoir"),
        ("2.3", "Gérer des ressources"),
        ("3.1", "Concevoir"),
        ("3.2", "Mettre en œuvre"),
        ("3.3", "Évaluer au travers du numérique"),
        ("4.1", "Inclure et rendre accessible"),
        ("4.2", "Différencier"),
        ("4.3", "Engager les apprenants"),
        ("5.1", "Organiser"),
        ("5.2", "Évaluer les compétences numériques"),
        ("5.3", "Certifier"),
    ]

    @Test func crcnEduIsTheSeventeenCompetencesOfTheDesign() throws {
        let edu = try Framework.named("crcn-edu")
        #expect(edu.id == "crcn-edu")
        #expect(edu.competences.count == 17)
        #expect(edu.competences.map(\.id) == Self.crcnEdu.map(\.0))
        #expect(edu.competences.map(\.name) == Self.crcnEdu.map(\.1))
        // The domain is the part of the id before the dot.
        #expect(edu.competences.allSatisfy { $0.domain == String($0.id.prefix(1)) })
        #expect(edu.domains == [
            "1": "Engagement professionnel",
            "2": "Gestion des ressources numériques",
            "3": "Enseignement – apprentissage avec et par le numérique",
            "4": "Prendre en compte la diversité des apprenants et les rendre autonomes",
            "5": "Développement des compétences numériques des apprenants",
        ])
        #expect(edu == CompetenceFramework.crcnEdu)
    }

    @Test func crcnIsStillTheSixteenCompetences() throws {
        let crcn = try Framework.named("crcn")
        #expect(crcn.competences == Framework.crcn)
        #expect(crcn.competences.count == 16)
        #expect(crcn.domains["5"] == "Environnement numérique")
        #expect(crcn.comment == nil)
    }

    @Test func theMadeUpFrameworksSaySoAndAreWellFormed() throws {
        for id in ["droit", "pro-sante"] {
            let framework = try Framework.named(id)
            #expect(framework.comment?.contains("made-up") == true, "\(id)")
            #expect((8...12).contains(framework.competences.count), "\(id)")
            let domains = Set(framework.competences.map(\.domain))
            #expect((3...5).contains(domains.count), "\(id)")
            #expect(domains == Set(framework.domains.keys), "\(id): every domain named, none unused")
            #expect(Set(framework.competences.map(\.id)).count == framework.competences.count, "\(id): ids unique")
            #expect(framework.competences.allSatisfy { !$0.name.isEmpty })
        }
    }

    @Test func allListsTheFourFrameworksTheVersionsNeed() {
        #expect(Framework.all.map(\.id) == ["crcn", "crcn-edu", "droit", "pro-sante"])
        // Every certification framework's competence framework is a built-in one.
        for framework in CertificationFramework.allCases {
            #expect(Framework.ids.contains(framework.competenceFramework), "\(framework)")
        }
    }

    @Test func anUnknownFrameworkIsACodedError() {
        #expect { try Framework.named("crcn-pro") } throws: { error in
            guard let error = error as? CertError else { return false }
            return error.code == .bankUnknownFramework && error.message.contains("crcn-pro")
                && error.message.contains("crcn-edu")
        }
        #expect(ErrorCode.bankUnknownFramework.rawValue == "BANK_UNKNOWN_FRAMEWORK")
        #expect(ErrorCode.bankUnknownFramework.family == .badRequest)
    }
}
