import Foundation

/// The certification versions compiled into the binary, so that `certsim score`, `serve` and
/// `run` work from any directory. Each text is the file of the same name under
/// `Scenarios/versions/`, byte for byte (a test keeps them equal): the core versions, the
/// Pix+ ones (Édu, Droit, Pro Santé) and CléA.
public enum BuiltInVersions {
    /// `core-v3`: Pix's current core seed (mesh 0 starts at −4.67); the default version.
    public static let coreV3Text = #"""
{
 "id": "core-v3",
 "framework": "CORE",
 "comment": "Pix core v3 as its current certification-version seed sets it (mesh 0 starts at -4.67).",
 "challenges": {
  "maximumAssessmentLength": 32,
  "challengesBetweenSameCompetence": 2,
  "limitToOneQuestionPerTube": true,
  "enablePassageByAllCompetences": true,
  "variationPercent": 0.5,
  "defaultCandidateCapacity": -3,
  "defaultProbabilityToPickChallenge": 51
 },
 "minimumAnswersToValidate": 20,
 "assessmentDurationMinutes": 105,
 "globalScoring": {
  "pixScore": true,
  "intervals": [
   {
    "level": 0,
    "label": "LEVEL_PRE_BEGINNER",
    "min": -4.67,
    "max": -1.4,
    "weight": 64,
    "coefficient": 0
   },
   {
    "level": 1,
    "label": "LEVEL_BEGINNER_1",
    "min": -1.4,
    "max": -0.519,
    "weight": 64,
    "coefficient": 1
   },
   {
    "level": 2,
    "label": "LEVEL_BEGINNER_2",
    "min": -0.519,
    "max": 0.6,
    "weight": 128,
    "coefficient": 1
   },
   {
    "level": 3,
    "label": "LEVEL_INDEPENDENT_3",
    "min": 0.6,
    "max": 1.5,
    "weight": 128,
    "coefficient": 2
   },
   {
    "level": 4,
    "label": "LEVEL_INDEPENDENT_4",
    "min": 1.5,
    "max": 2.25,
    "weight": 128,
    "coefficient": 3
   },
   {
    "level": 5,
    "label": "LEVEL_ADVANCED_5",
    "min": 2.25,
    "max": 3.1,
    "weight": 128,
    "coefficient": 4
   },
   {
    "level": 6,
    "label": "LEVEL_ADVANCED_6",
    "min": 3.1,
    "max": 4,
    "weight": 128,
    "coefficient": 5
   },
   {
    "level": 7,
    "label": "LEVEL_EXPERT_7",
    "min": 4,
    "max": 8,
    "weight": 128,
    "coefficient": 6
   }
  ]
 },
 "competenceScoring": {
  "default": [
   -2,
   -1,
   0.5,
   1,
   2,
   3,
   4
  ]
 }
}
"""#

    /// `core-v3-2023`: the earlier core bounds (mesh 0 starts at −8).
    public static let coreV32023Text = #"""
{
 "id": "core-v3-2023",
 "framework": "CORE",
 "comment": "The earlier core v3 bounds (mesh 0 starts at -8): the numbers certsim used before versions existed.",
 "challenges": {
  "maximumAssessmentLength": 32,
  "challengesBetweenSameCompetence": 2,
  "limitToOneQuestionPerTube": true,
  "enablePassageByAllCompetences": true,
  "variationPercent": 0.5,
  "defaultCandidateCapacity": -3,
  "defaultProbabilityToPickChallenge": 51
 },
 "minimumAnswersToValidate": 20,
 "assessmentDurationMinutes": 105,
 "globalScoring": {
  "pixScore": true,
  "intervals": [
   {
    "level": 0,
    "label": "LEVEL_PRE_BEGINNER",
    "min": -8,
    "max": -1.4,
    "weight": 64,
    "coefficient": 0
   },
   {
    "level": 1,
    "label": "LEVEL_BEGINNER_1",
    "min": -1.4,
    "max": -0.519,
    "weight": 64,
    "coefficient": 1
   },
   {
    "level": 2,
    "label": "LEVEL_BEGINNER_2",
    "min": -0.519,
    "max": 0.6,
    "weight": 128,
    "coefficient": 1
   },
   {
    "level": 3,
    "label": "LEVEL_INDEPENDENT_3",
    "min": 0.6,
    "max": 1.5,
    "weight": 128,
    "coefficient": 2
   },
   {
    "level": 4,
    "label": "LEVEL_INDEPENDENT_4",
    "min": 1.5,
    "max": 2.25,
    "weight": 128,
    "coefficient": 3
   },
   {
    "level": 5,
    "label": "LEVEL_ADVANCED_5",
    "min": 2.25,
    "max": 3.1,
    "weight": 128,
    "coefficient": 4
   },
   {
    "level": 6,
    "label": "LEVEL_ADVANCED_6",
    "min": 3.1,
    "max": 4,
    "weight": 128,
    "coefficient": 5
   },
   {
    "level": 7,
    "label": "LEVEL_EXPERT_7",
    "min": 4,
    "max": 8,
    "weight": 128,
    "coefficient": 6
   }
  ]
 },
 "competenceScoring": {
  "default": [
   -2,
   -1,
   0.5,
   1,
   2,
   3,
   4
  ]
 }
}
"""#

    /// `edu-1er-degre-v3`: Pix+ Édu premier degré (the second degré numbers, an assumption).
    public static let edu1erDegreV3Text = #"""
{
 "id": "edu-1er-degre-v3",
 "framework": "EDU_1ER_DEGRE",
 "comment": "Pix+ Édu premier degré: one admissible level (capacity 1 to 8) given by the algorithm; Avancé/Expert come from an external jury. 90 minutes. Assumption: the same numbers as Pix+ Édu second degré (edu-2nd-degre-v3); no separate figures for this certification were available.",
 "challenges": {
  "maximumAssessmentLength": 32,
  "challengesBetweenSameCompetence": 2,
  "limitToOneQuestionPerTube": true,
  "enablePassageByAllCompetences": true,
  "variationPercent": 0.3,
  "defaultCandidateCapacity": -3,
  "defaultProbabilityToPickChallenge": 100
 },
 "minimumAnswersToValidate": 20,
 "assessmentDurationMinutes": 90,
 "globalScoring": {
  "pixScore": false,
  "intervals": [
   {
    "level": 0,
    "label": "LEVEL_ADMISSIBLE",
    "min": 1,
    "max": 8
   }
  ]
 },
 "externalLevels": [
  "LEVEL_ADVANCED",
  "LEVEL_EXPERT"
 ]
}
"""#

    /// `edu-2nd-degre-v3`: Pix+ Édu second degré (one admissible interval, jury levels after).
    public static let edu2ndDegreV3Text = #"""
{
 "id": "edu-2nd-degre-v3",
 "framework": "EDU_2ND_DEGRE",
 "comment": "Pix+ Édu second degré: one admissible level (capacity 1 to 8) given by the algorithm; Avancé/Expert come from an external jury. 90 minutes.",
 "challenges": {
  "maximumAssessmentLength": 32,
  "challengesBetweenSameCompetence": 2,
  "limitToOneQuestionPerTube": true,
  "enablePassageByAllCompetences": true,
  "variationPercent": 0.3,
  "defaultCandidateCapacity": -3,
  "defaultProbabilityToPickChallenge": 100
 },
 "minimumAnswersToValidate": 20,
 "assessmentDurationMinutes": 90,
 "globalScoring": {
  "pixScore": false,
  "intervals": [
   {
    "level": 0,
    "label": "LEVEL_ADMISSIBLE",
    "min": 1,
    "max": 8
   }
  ]
 },
 "externalLevels": [
  "LEVEL_ADVANCED",
  "LEVEL_EXPERT"
 ]
}
"""#

    /// `edu-cpe-v3`: Pix+ Édu CPE (the second degré numbers, an assumption).
    public static let eduCPEV3Text = #"""
{
 "id": "edu-cpe-v3",
 "framework": "EDU_CPE",
 "comment": "Pix+ Édu CPE: one admissible level (capacity 1 to 8) given by the algorithm; Avancé/Expert come from an external jury. 90 minutes. Assumption: the same numbers as Pix+ Édu second degré (edu-2nd-degre-v3); no separate figures for this certification were available.",
 "challenges": {
  "maximumAssessmentLength": 32,
  "challengesBetweenSameCompetence": 2,
  "limitToOneQuestionPerTube": true,
  "enablePassageByAllCompetences": true,
  "variationPercent": 0.3,
  "defaultCandidateCapacity": -3,
  "defaultProbabilityToPickChallenge": 100
 },
 "minimumAnswersToValidate": 20,
 "assessmentDurationMinutes": 90,
 "globalScoring": {
  "pixScore": false,
  "intervals": [
   {
    "level": 0,
    "label": "LEVEL_ADMISSIBLE",
    "min": 1,
    "max": 8
   }
  ]
 },
 "externalLevels": [
  "LEVEL_ADVANCED",
  "LEVEL_EXPERT"
 ]
}
"""#

    /// `droit-v3`: Pix+ Droit as Pix's seeds set it.
    public static let droitV3Text = #"""
{
 "id": "droit-v3",
 "framework": "DROIT",
 "comment": "Pix+ Droit as Pix's seeds set it: 4 levels, no Pix score, 60 minutes.",
 "challenges": {
  "maximumAssessmentLength": 32,
  "challengesBetweenSameCompetence": 2,
  "limitToOneQuestionPerTube": true,
  "enablePassageByAllCompetences": true,
  "variationPercent": 0.5,
  "defaultCandidateCapacity": -3,
  "defaultProbabilityToPickChallenge": 51
 },
 "minimumAnswersToValidate": 20,
 "assessmentDurationMinutes": 60,
 "globalScoring": {
  "pixScore": false,
  "intervals": [
   {
    "level": 0,
    "label": "LEVEL_INDEPENDENT",
    "min": -2.33,
    "max": 0
   },
   {
    "level": 1,
    "label": "LEVEL_CONFIRMED",
    "min": 0,
    "max": 2.33
   },
   {
    "level": 2,
    "label": "LEVEL_ADVANCED",
    "min": 2.33,
    "max": 4.67
   },
   {
    "level": 3,
    "label": "LEVEL_EXPERT",
    "min": 4.67,
    "max": 8
   }
  ]
 }
}
"""#

    /// `pro-sante-v3`: Pix+ Pro Santé (Droit's labels; made-up bounds).
    public static let proSanteV3Text = #"""
{
 "id": "pro-sante-v3",
 "framework": "PRO_SANTE",
 "comment": "Pix+ Pro Santé: Droit's four labels, no Pix score, 60 minutes as Pix's seeds set it. The capacity bounds are made up (Pix publishes none): Droit's [-2.33, 0) [0, 2.33) [2.33, 4.67) [4.67, 8).",
 "challenges": {
  "maximumAssessmentLength": 32,
  "challengesBetweenSameCompetence": 2,
  "limitToOneQuestionPerTube": true,
  "enablePassageByAllCompetences": true,
  "variationPercent": 0.5,
  "defaultCandidateCapacity": -3,
  "defaultProbabilityToPickChallenge": 51
 },
 "minimumAnswersToValidate": 20,
 "assessmentDurationMinutes": 60,
 "globalScoring": {
  "pixScore": false,
  "intervals": [
   {
    "level": 0,
    "label": "LEVEL_INDEPENDENT",
    "min": -2.33,
    "max": 0
   },
   {
    "level": 1,
    "label": "LEVEL_CONFIRMED",
    "min": 0,
    "max": 2.33
   },
   {
    "level": 2,
    "label": "LEVEL_ADVANCED",
    "min": 2.33,
    "max": 4.67
   },
   {
    "level": 3,
    "label": "LEVEL_EXPERT",
    "min": 4.67,
    "max": 8
   }
  ]
 }
}
"""#

    /// `clea-v3`: CléA, acquired from a validated core result with at least 70 Pix; runs no test.
    public static let cleaV3Text = #"""
{
 "id": "clea-v3",
 "framework": "CLEA",
 "comment": "CléA numérique as Pix's seeds set it: no test of its own; acquired when the core certification is validated with a Pix score of at least 70.",
 "coreVersion": "core-v3",
 "minimumEarnedPix": 70
}
"""#

    /// The built-in versions that run a test, by id (each is `Scenarios/versions/ID.json`).
    public static let all: [String: String] = [
        "core-v3": coreV3Text, "core-v3-2023": coreV32023Text,
        "edu-1er-degre-v3": edu1erDegreV3Text, "edu-2nd-degre-v3": edu2ndDegreV3Text, "edu-cpe-v3": eduCPEV3Text,
        "droit-v3": droitV3Text, "pro-sante-v3": proSanteV3Text,
    ]

    /// The built-in CléA versions (no test of their own), by id.
    public static let clea: [String: String] = ["clea-v3": cleaV3Text]

    /// Every built-in version, CléA included, decoded, by id.
    public static let documents: [String: VersionDocument] = {
        var documents: [String: VersionDocument] = [:]
        for (id, text) in all.merging(clea, uniquingKeysWith: { first, _ in first }) {
            do {
                documents[id] = try VersionDocument.decode(Data(text.utf8))
            } catch {
                preconditionFailure("built-in certification version \(id) does not decode: \(error)")
            }
        }
        return documents
    }()

    /// The default version, decoded once.
    public static let coreV3: CertificationVersion = decodeBuiltIn(coreV3Text)
    public static let coreV32023: CertificationVersion = decodeBuiltIn(coreV32023Text)
    public static let edu1erDegreV3: CertificationVersion = decodeBuiltIn(edu1erDegreV3Text)
    public static let edu2ndDegreV3: CertificationVersion = decodeBuiltIn(edu2ndDegreV3Text)
    public static let eduCPEV3: CertificationVersion = decodeBuiltIn(eduCPEV3Text)
    public static let droitV3: CertificationVersion = decodeBuiltIn(droitV3Text)
    public static let proSanteV3: CertificationVersion = decodeBuiltIn(proSanteV3Text)
    public static let cleaV3: CleaVersion = {
        do {
            return try CleaVersion.decode(Data(cleaV3Text.utf8))
        } catch {
            preconditionFailure("built-in CléA version does not decode: \(error)")
        }
    }()

    private static func decodeBuiltIn(_ text: String) -> CertificationVersion {
        do {
            return try CertificationVersion.decode(Data(text.utf8))
        } catch {
            // The texts are constants checked by the tests: a failure here is a build defect.
            preconditionFailure("built-in certification version does not decode: \(error)")
        }
    }
}
