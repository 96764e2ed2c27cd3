/// A competence framework as a value: its id (what a bank declares in `competenceFramework`),
/// its domain names, its competences. The bank generator builds banks from one; the engine
/// itself always takes the competences from the bank file and never assumes a count.
///
/// ```swift
/// let edu = try Framework.named("crcn-edu")
/// edu.competences.count          // 17
/// edu.domains["1"]               // "Engagement professionnel"
/// ```
public struct CompetenceFramework: Sendable, Equatable {
    /// `crcn`, `crcn-edu`, `droit` or `pro-sante` for the built-in ones (DESIGN §3.7).
    public let id: String
    /// Domain names by domain code ("1" → "Information et données").
    public let domains: [String: String]
    /// The competences, in the framework's order.
    public let competences: [Competence]
    /// What a reader of a bank built on this framework should know (a made-up framework says so).
    public let comment: String?

    public init(id: String, domains: [String: String], competences: [Competence], comment: String? = nil) {
        self.id = id
        self.domains = domains
        self.competences = competences
        self.comment = comment
    }
}

/// The built-in competence frameworks (DESIGN §3.1, §3.8).
public enum Framework {
    /// CRCN domain names by domain code.
    public static let crcnDomains: [String: String] = [
        "1": "Information et données",
        "2": "Communication et collaboration",
        "3": "Création de contenu",
        "4": "Protection et sécurité",
        "5": "Environnement numérique",
    ]

    /// The 16 CRCN competences (5 domains): the core certification's framework.
    public static let crcn: [Competence] = [
        Competence(id: "1.1", domain: "1", name: "Mener une recherche et une veille d'information"),
        Competence(id: "1.2", domain: "1", name: "Gérer des données"),
        Competence(id: "1.3", domain: "1", name: "Traiter des données"),
        Competence(id: "2.1", domain: "2", name: "Interagir"),
        Competence(id: "2.2", domain: "2", name: "Partager et publier"),
        Competence(id: "2.3", domain: "2", name: "Collaborer"),
        Competence(id: "2.4", domain: "2", name: "S'insérer dans le monde numérique"),
        Competence(id: "3.1", domain: "3", name: "Développer des documents textuels"),
        Competence(id: "3.2", domain: "3", name: "Développer des documents multimédia"),
        Competence(id: "3.3", domain: "3", name: "Adapter les documents à leur finalité"),
        Competence(id: "3.4", domain: "3", name: "Programmer"),
        Competence(id: "4.1", domain: "4", name: "Sécuriser l'environnement numérique"),
        Competence(id: "4.2", domain: "4", name: "Protéger les données personnelles et la vie privée"),
        Competence(id: "4.3", domain: "4", name: "Protéger la santé, le bien-être et l'environnement"),
        Competence(id: "5.1", domain: "5", name: "Résoudre des problèmes techniques"),
        Competence(id: "5.2", domain: "5", name: "Construire un environnement numérique"),
    ]

    /// CRCN-Édu domain names by domain code.
    public static let crcnEduDomains: [String: String] = [
        "1": "Engagement professionnel",
        "2": "Gestion des ressources numériques",
        "3": "Enseignement – apprentissage avec et par le numérique",
        "4": "Prendre en compte la diversité des apprenants et les rendre autonomes",
        "5": "Développement des compétences numériques des apprenants",
    ]

    /// The 17 CRCN-Édu professional competences for teachers (5 domains): the framework of
    /// Pix+ Édu 1er degré, 2nd degré and CPE.
    public static let crcnEdu: [Competence] = [
        Competence(id: "1.1", domain: "1", name: "Communiquer"),
        Competence(id: "1.2", domain: "1", name: "Collaborer"),
        Competence(id: "1.3", domain: "1", name: "Se former, développer une veille"),
        Competence(id: "1.4", domain: "1", name: "Agir en faveur d'un numérique professionnel sûr et responsable"),
        Competence(id: "1.5", domain: "1", name: "Adopter une posture ouverte, critique et réflexive"),
        Competence(id: "2.1", domain: "2", name: "Sélectionner"),
        Competence(id: "2.2", domain: "2", name: "Concevoir"),
        Competence(id: "2.3", domain: "2", name: "Gérer des ressources"),
        Competence(id: "3.1", domain: "3", name: "Concevoir"),
        Competence(id: "3.2", domain: "3", name: "Mettre en œuvre"),
        Competence(id: "3.3", domain: "3", name: "Évaluer au travers du numérique"),
        Competence(id: "4.1", domain: "4", name: "Inclure et rendre accessible"),
        Competence(id: "4.2", domain: "4", name: "Différencier"),
        Competence(id: "4.3", domain: "4", name: "Engager les apprenants"),
        Competence(id: "5.1", domain: "5", name: "Organiser"),
        Competence(id: "5.2", domain: "5", name: "Évaluer les compétences numériques"),
        Competence(id: "5.3", domain: "5", name: "Certifier"),
    ]

    /// Pix does not publish the Pix+ Droit framework: these domains are made up.
    public static let droitDomains: [String: String] = [
        "1": "Recherche et veille juridiques",
        "2": "Production d'actes et de documents juridiques",
        "3": "Protection des données et conformité",
        "4": "Outils numériques du praticien du droit",
    ]

    /// A plausible, made-up Pix+ Droit framework (10 competences, 4 domains).
    public static let droit: [Competence] = [
        Competence(id: "1.1", domain: "1", name: "Rechercher des sources juridiques en ligne"),
        Competence(id: "1.2", domain: "1", name: "Exploiter les bases de données juridiques"),
        Competence(id: "1.3", domain: "1", name: "Assurer une veille juridique"),
        Competence(id: "2.1", domain: "2", name: "Rédiger des actes et des documents juridiques"),
        Competence(id: "2.2", domain: "2", name: "Gérer et archiver des documents juridiques numériques"),
        Competence(id: "3.1", domain: "3", name: "Protéger les données personnelles des clients"),
        Competence(id: "3.2", domain: "3", name: "Sécuriser les échanges confidentiels"),
        Competence(id: "3.3", domain: "3", name: "Mettre en conformité une activité numérique"),
        Competence(id: "4.1", domain: "4", name: "Utiliser les plateformes de procédure dématérialisée"),
        Competence(id: "4.2", domain: "4", name: "Comprendre les technologies émergentes du droit"),
    ]

    /// Pix does not publish the Pix+ Pro Santé framework: these domains are made up.
    public static let proSanteDomains: [String: String] = [
        "1": "Information en santé",
        "2": "Données de santé",
        "3": "Communication et coordination des soins",
        "4": "Télésanté et environnement numérique professionnel",
    ]

    /// A plausible, made-up Pix+ Pro Santé framework (10 competences, 4 domains).
    public static let proSante: [Competence] = [
        Competence(id: "1.1", domain: "1", name: "Rechercher une information de santé fiable"),
        Competence(id: "1.2", domain: "1", name: "Évaluer la qualité d'une source en santé"),
        Competence(id: "2.1", domain: "2", name: "Tenir le dossier patient numérique"),
        Competence(id: "2.2", domain: "2", name: "Protéger les données de santé"),
        Competence(id: "2.3", domain: "2", name: "Partager des données de santé de façon sécurisée"),
        Competence(id: "3.1", domain: "3", name: "Communiquer avec les patients par le numérique"),
        Competence(id: "3.2", domain: "3", name: "Coordonner les soins avec les outils numériques"),
        Competence(id: "4.1", domain: "4", name: "Pratiquer la télésanté"),
        Competence(id: "4.2", domain: "4", name: "Utiliser les applications et dispositifs connectés de santé"),
        Competence(id: "4.3", domain: "4", name: "Sécuriser son environnement numérique professionnel"),
    ]

    /// Every built-in framework: crcn, crcn-edu, droit, pro-sante.
    public static let all: [CompetenceFramework] = [.crcn, .crcnEdu, .droit, .proSante]

    /// The ids of ``all``, in order.
    public static var ids: [String] { all.map(\.id) }

    /// The built-in framework with this id; BANK_UNKNOWN_FRAMEWORK for any other id.
    public static func named(_ id: String) throws(BankError) -> CompetenceFramework {
        guard let framework = all.first(where: { $0.id == id }) else {
            throw BankError(.bankUnknownFramework, "unknown competence framework \"\(id)\" (known: \(ids.joined(separator: ", ")))")
        }
        return framework
    }
}

extension CompetenceFramework {
    /// CRCN (16 competences): the core certification's framework, and the generator's default.
    public static let crcn = CompetenceFramework(id: "crcn", domains: Framework.crcnDomains, competences: Framework.crcn)
    /// CRCN-Édu (17 competences): Pix+ Édu 1er degré, 2nd degré and CPE.
    public static let crcnEdu = CompetenceFramework(
        id: "crcn-edu", domains: Framework.crcnEduDomains, competences: Framework.crcnEdu,
        comment: "CRCN-Édu: the 17 professional competences of teachers, on which Pix+ Édu certifies.")
    /// Pix+ Droit, made up.
    public static let droit = CompetenceFramework(
        id: "droit", domains: Framework.droitDomains, competences: Framework.droit,
        comment: "Pix+ Droit: a made-up framework (Pix does not publish its competences); the items are synthetic.")
    /// Pix+ Pro Santé, made up.
    public static let proSante = CompetenceFramework(
        id: "pro-sante", domains: Framework.proSanteDomains, competences: Framework.proSante,
        comment: "Pix+ Pro Santé: a made-up framework (Pix does not publish its competences); the items are synthetic.")
}
