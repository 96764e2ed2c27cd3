/// Built-in competence frameworks, used by the bank generator. The engine itself always
/// takes the framework from the bank file and never assumes a competence count.
public enum Framework {
    /// CRCN domain names by domain code.
    public static let crcnDomains: [String: String] = [
        "1": "Information et données",
        "2": "Communication et collaboration",
        "3": "Création de contenu",
        "4": "Protection et sécurité",
        "5": "Environnement numérique",
    ]

    /// The 16 CRCN competences (5 domains).
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
}
