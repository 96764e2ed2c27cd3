/// A refusal or failure of the result store, with a stable `code` and a sentence for a human.
///
/// Owned by CertStore; every public CertStore call that can fail throws this type, so the
/// daemon can put the same `code` on HTTP, on the control socket and in the CLI. Messages
/// name the store file when the failure concerns the file itself.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable machine-readable code, one of the `StoreError.*` constants below.
    public let code: String
    /// A sentence for a human.
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// True when the same call may succeed if retried later (back-pressure), false otherwise.
    public var isRetryable: Bool { code == Self.busy }

    // MARK: Opening the file
    /// The file was written by a newer certsim whose schema this build does not know.
    public static let newerSchema = "STORE_NEWER_SCHEMA"
    /// The file is not a SQLite database, is damaged, or is a SQLite file of another program.
    public static let corrupt = "STORE_CORRUPT"
    /// The file or its directory cannot be written (read-only file system, immutable file...).
    public static let readOnly = "STORE_READ_ONLY"
    /// The file cannot be opened for another reason (missing directory, path is a directory...).
    public static let cannotOpen = "STORE_CANNOT_OPEN"
    /// Another writer (another daemon, or another `ResultWriter` in this process) holds the
    /// store's lock file `<store>.lock`; two daemons never share one store.
    public static let locked = "STORE_LOCKED"

    // MARK: Writing
    /// The writer's pending queue is full (`pendingRowsMax`); retry later.
    public static let busy = "STORE_BUSY"
    /// A commit failed earlier (disk full, I/O error...); the writer accepts nothing more.
    public static let unhealthy = "STORE_UNHEALTHY"
    /// The writer was closed.
    public static let closed = "STORE_CLOSED"
    /// An answer with the same (assessment, question number) is already in the journal.
    public static let duplicateAnswer = "STORE_DUPLICATE_ANSWER"
    /// A result for this assessment is already stored; results are written once.
    public static let duplicateResult = "STORE_DUPLICATE_RESULT"
    /// Another result already holds this verification code.
    public static let verificationCodeTaken = "STORE_VERIFICATION_CODE_TAKEN"
    /// A row refers to a session, candidate or assessment that the store does not hold.
    public static let unknownReference = "STORE_UNKNOWN_REFERENCE"
    /// A row breaks another constraint of the schema (bad value).
    public static let constraint = "STORE_CONSTRAINT"
    /// Any other SQLite failure while reading.
    public static let io = "STORE_IO"
}
