import Foundation

/// The certification versions compiled into the binary, so that `certsim score`, `serve` and
/// `run` work from any directory. Each text is the file of the same name under
/// `Scenarios/versions/`, byte for byte (a test keeps them equal).
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

    /// The built-in versions by id.
    public static let all: [String: String] = ["core-v3": coreV3Text, "core-v3-2023": coreV32023Text]

    /// The default version, decoded once.
    public static let coreV3: CertificationVersion = decodeBuiltIn(coreV3Text)
    public static let coreV32023: CertificationVersion = decodeBuiltIn(coreV32023Text)

    private static func decodeBuiltIn(_ text: String) -> CertificationVersion {
        do {
            return try CertificationVersion.decode(Data(text.utf8))
        } catch {
            // The texts are constants checked by the tests: a failure here is a build defect.
            preconditionFailure("built-in certification version does not decode: \(error)")
        }
    }
}
