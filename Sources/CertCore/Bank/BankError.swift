/// Why a bank file was refused: a stable `code` and a sentence naming the item and field.
/// Thrown by `ItemBank` validation and loading.
///
/// Codes: BANK_UNREADABLE, BANK_MALFORMED, BANK_MISSING_FIELD, BANK_BAD_DISCRIMINANT,
/// BANK_NON_FINITE, BANK_BAD_LEVEL, BANK_DUPLICATE_ID, BANK_DUPLICATE_COMPETENCE,
/// BANK_UNKNOWN_COMPETENCE, BANK_EMPTY_COMPETENCE, BANK_NO_COMPETENCES.
public struct BankError: Error, Equatable, CustomStringConvertible, Sendable {
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
