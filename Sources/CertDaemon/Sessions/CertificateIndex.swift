import Synchronization

/// Published certificates by verification code, for the certificate check. Filled by a
/// session when it publishes (and by recovery for sessions published before a restart).
/// Owned by the daemon core; lock-protected so that the check needs no actor hop.
final class CertificateIndex: Sendable {
    private let certificates = Mutex([String: CertificateResponse]())

    func add(_ certificate: CertificateResponse) {
        certificates.withLock { $0[certificate.verificationCode] = certificate }
    }

    func lookup(_ verificationCode: String) -> CertificateResponse? {
        certificates.withLock { $0[verificationCode] }
    }

    var count: Int { certificates.withLock { $0.count } }
}
