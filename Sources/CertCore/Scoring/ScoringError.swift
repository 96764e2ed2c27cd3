/// A refused scoring: stable code (UNKNOWN_CHALLENGE, TOO_MANY_ANSWERS) and a sentence.
public struct ScoringError: Error, Equatable, CustomStringConvertible, Sendable {
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func unknownChallenge(_ id: String) -> ScoringError {
        ScoringError(code: "UNKNOWN_CHALLENGE", message: "challenge \"\(id)\" is not in the bank")
    }
}
