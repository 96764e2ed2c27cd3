/// A refused selection step: stable code and a sentence.
/// Codes: LACK_OF_CHALLENGES, TOO_MANY_ANSWERS, NOT_CURRENT_CHALLENGE, UNKNOWN_CHALLENGE, TEST_COMPLETE.
public struct SelectionError: Error, Equatable, CustomStringConvertible, Sendable {
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func unknownChallenge(_ id: String) -> SelectionError {
        SelectionError(code: "UNKNOWN_CHALLENGE", message: "challenge \"\(id)\" is not in the bank")
    }
}
