/// A refusal or failure: a catalogued code and a sentence for a human.
///
/// Owned by CertCore. It is the one error value of the rules (lifecycle, selection, scoring,
/// bank, codes, algorithm settings), of the store and of the tools: the per-module names
/// (``LifecycleError``, ``SelectionError``, ``BankError``…) are aliases of it, so a value thrown
/// deep in the rules reaches HTTP, the control socket and the CLI with its code and sentence
/// unchanged. A refused transition leaves the value it was called on unchanged.
///
/// ```swift
/// throw LifecycleError(.sessionExpired, "Session S1 expired.")
/// // JSON: {"code": "SESSION_EXPIRED", "message": "Session S1 expired."}
/// ```
public struct CertError: Error, Equatable, Sendable, Codable, CustomStringConvertible {
    /// The catalogued code (its raw value is the wire code).
    public let code: ErrorCode
    /// A sentence for a human (invigilator, candidate, operator); free to change between versions.
    public let message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    /// An error read from the wire: a code this build does not know becomes ``ErrorCode/unrecognized``
    /// with the original code kept at the head of the message (`"NEW_CODE: …"`).
    public init(wireCode: String, message: String) {
        let code = ErrorCode(wire: wireCode)
        self.init(code, code == .unrecognized ? "\(wireCode): \(message)" : message)
    }

    /// Whether the same request may succeed later (see ``ErrorCode/isRetryable``).
    public var isRetryable: Bool { code.isRetryable }

    public var description: String { "\(code): \(message)" }

    private enum CodingKeys: String, CodingKey { case code, message }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(wireCode: try container.decode(String.self, forKey: .code),
                  message: try container.decode(String.self, forKey: .message))
    }
}

/// A refused lifecycle transition (``SessionState``, ``CandidateState``, ``LiveAlertLedger``,
/// ``CompanionAlertLedger``, ``Finalization``).
public typealias LifecycleError = CertError
/// A refused selection step (``AdaptiveTest``, ``ChallengeSelection``).
public typealias SelectionError = CertError
/// A refused scoring (``Scoring``).
public typealias ScoringError = CertError
/// A refused `certsim score` input (``ScoreRequest``).
public typealias ScoreInputError = CertError
/// A refused algorithm setting (``AlgorithmConfiguration``).
public typealias ConfigurationError = CertError
/// A bank file that was refused (``ItemBank``).
public typealias BankError = CertError
/// A refused code generation (``Codes``).
public typealias CodesError = CertError

extension CertError {
    /// A challenge id the bank does not hold (selection and scoring refuse it alike).
    static func unknownChallenge(_ id: String) -> CertError {
        CertError(.unknownChallenge, "challenge \"\(id)\" is not in the bank")
    }
}
