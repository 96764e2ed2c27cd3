import CertCore
import CertDaemon

extension DaemonError {
    /// The HTTP status the candidate API answers this error with: the HTTP layer's mapping of
    /// its code's family (the error itself carries no status).
    public var httpStatus: Int { APIError.status(for: self).code }
}
