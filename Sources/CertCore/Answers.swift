/// How a candidate answered a challenge. Only `ok` counts as correct (DESIGN §3.2).
public enum AnswerResult: String, Codable, Sendable, CaseIterable {
    case ok, ko, skipped, timedout

    public var isCorrect: Bool { self == .ok }
}

/// One answer of a candidate, as journaled by the daemon and read by `certsim score`.
public struct Answer: Codable, Sendable, Equatable, Hashable {
    public var challengeId: String
    public var result: AnswerResult

    public init(challengeId: String, result: AnswerResult) {
        self.challengeId = challengeId
        self.result = result
    }
}

/// Why a test ended before its last question, as recorded by the invigilator.
public enum AbortReason: String, Codable, Sendable, CaseIterable {
    case candidate, technical
}
