/// How a certificate prints a capacity interval's label (Pix's French names).
public enum LevelNames {
    /// The printed name of `label`; an unknown label prints as itself.
    public static func name(of label: String) -> String {
        names[label] ?? label
    }

    /// What a certificate prints for a REJECTED certification of `framework`: Pix+ Édu's
    /// "Non admissible" (capacity below the admissible interval, or too few answers); nil where
    /// a rejected certification prints no level.
    public static func rejectedName(framework: CertificationFramework) -> String? {
        framework.isEdu ? notAdmissible : nil
    }

    /// Pix+ Édu's name for a candidate below the admissible interval.
    public static let notAdmissible = "Non admissible"

    static let names: [String: String] = [
        "LEVEL_PRE_BEGINNER": "Pré-débutant",
        "LEVEL_BEGINNER_1": "Débutant 1",
        "LEVEL_BEGINNER_2": "Débutant 2",
        "LEVEL_INDEPENDENT_3": "Indépendant 3",
        "LEVEL_INDEPENDENT_4": "Indépendant 4",
        "LEVEL_ADVANCED_5": "Avancé 5",
        "LEVEL_ADVANCED_6": "Avancé 6",
        "LEVEL_EXPERT_7": "Expert 7",
        "LEVEL_INDEPENDENT": "Indépendant",
        "LEVEL_CONFIRMED": "Confirmé",
        "LEVEL_ADVANCED": "Avancé",
        "LEVEL_EXPERT": "Expert",
        "LEVEL_ADMISSIBLE": "Confirmé",
    ]
}
