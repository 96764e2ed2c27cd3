import CertCore
import CertDaemon
import CertStore
import Foundation

/// One certification's final result as the runner reports it, read from the daemon's store
/// (everything) or, when the store is out of reach, from its published certificate (no capacity
/// or error rate: the candidate API does not publish them).
///
/// Owned by the runner.
struct FinalResult: Sendable, Equatable {
    var capacity: Double?
    var errorRate: Double?
    var pixScore: Int?
    var meshLevel: Int?
    var level: String?
    var competenceLevels: [String: Int]?
    /// `validated`, `rejected` or `cancelled`.
    var status: String
    var statusReason: String?
    var version: String

    init(_ record: ResultRecord) {
        capacity = record.capacity
        errorRate = record.errorRate
        pixScore = record.pixScore
        meshLevel = record.meshLevel
        level = record.level
        competenceLevels = record.competenceLevels
        status = record.status
        statusReason = record.statusReason
        version = record.versionId
    }

    init(_ certificate: CertificateResponse) {
        capacity = nil
        errorRate = nil
        pixScore = certificate.pixScore
        meshLevel = certificate.meshLevel
        level = certificate.level
        competenceLevels = certificate.competenceLevels
        status = certificate.status
        statusReason = certificate.statusReason
        version = certificate.certificationVersion
    }
}

/// Gathers the final results of a run, keyed by assessment id.
///
/// Owned by the runner.
enum FinalResults {
    /// Longest wait for an external daemon's store to hold every published result (in relaxed
    /// mode a result is committed a moment after its publication is acknowledged).
    static let storeWaitSecondsMax = 10.0
    /// Pause between two reads of the store while waiting.
    static let storePollSeconds = 0.1
    /// Certificate look-ups in flight at once.
    static let certificateLookupsInFlightMax = 16

    /// Reads the store at `path`; waits (bounded) until each of `expected` has a result.
    static func fromStore(path: String, expected: Set<String>) async throws(RunError) -> [String: FinalResult] {
        let deadline = VirtualClock.uptimeNanoseconds() + UInt64(storeWaitSecondsMax * 1e9)
        while true {
            var results: [String: FinalResult] = [:]
            do {
                let reader = try StoreReader(path: path)
                for record in try reader.results() { results[record.assessmentId] = FinalResult(record) }
            } catch {
                throw RunError(.runResults, "cannot read the results from \(path): \(error)")
            }
            if expected.isSubset(of: results.keys) || VirtualClock.uptimeNanoseconds() >= deadline {
                return results
            }
            try? await Task.sleep(nanoseconds: UInt64(storePollSeconds * 1e9))
        }
    }

    /// Reads each session's stored results through the daemon (`session.results`). A session the
    /// daemon cannot answer for is left out (its certificates are looked up instead).
    /// A session whose daemon cannot answer now (it died and its lease has not run out, so the
    /// others send the runner back to it) is asked again, every `storePollSeconds`, until
    /// `daemonResultsWaitSecondsMax` has passed for the whole run.
    static func fromDaemon(sessionIds: [String], proctors: any ProctorTransport) async -> (results: [String: FinalResult], refused: Int) {
        var results: [String: FinalResult] = [:]
        var refused = 0
        let deadline = VirtualClock.uptimeNanoseconds() + UInt64(daemonResultsWaitSecondsMax * 1e9)
        for sessionId in sessionIds {
            while true {
                do throws(DaemonError) {
                    for record in try await proctors.results(sessionId: sessionId) { results[record.assessmentId] = FinalResult(record) }
                    break
                } catch {
                    let outage = error.code.family == .unavailable || error.code == .sessionElsewhere
                        || TransportErrorCode.isConnectionFailure(error.code)
                    guard outage, VirtualClock.uptimeNanoseconds() < deadline else {
                        refused += 1
                        break
                    }
                    try? await Task.sleep(nanoseconds: UInt64(storePollSeconds * 1e9))
                }
            }
        }
        return (results, refused)
    }

    /// Longest wait, over a whole run, for daemons to give their stored results (a dead daemon's
    /// sessions are answered for once another daemon takes them over).
    static let daemonResultsWaitSecondsMax = 120.0

    /// Looks up every published certificate through the candidate API. Failures are returned by
    /// code, to be counted in the run's errors.
    static func fromCertificates(_ certificates: [PublishedCertificate], candidates: any CandidateTransport) async
        -> (results: [String: FinalResult], errors: ErrorCounts)
    {
        await withTaskGroup(of: CertificateLookup.self) { group in
            var results: [String: FinalResult] = [:]
            var errors = ErrorCounts()
            var launched = 0
            while launched < min(certificates.count, certificateLookupsInFlightMax) {
                let certificate = certificates[launched]
                launched += 1
                group.addTask { await lookUp(certificate, candidates: candidates) }
            }
            while let lookup = await group.next() {
                if let response = lookup.response { results[lookup.assessmentId] = FinalResult(response) }
                if let error = lookup.error { errors.record(error.code) }
                if launched < certificates.count {
                    let certificate = certificates[launched]
                    launched += 1
                    group.addTask { await lookUp(certificate, candidates: candidates) }
                }
            }
            return (results, errors)
        }
    }
}

/// One certificate look-up, answered or refused.
struct CertificateLookup: Sendable {
    var assessmentId: String
    var response: CertificateResponse?
    var error: DaemonError?
}

extension FinalResults {
    static func lookUp(_ certificate: PublishedCertificate, candidates: any CandidateTransport) async -> CertificateLookup {
        do throws(DaemonError) {
            let response = try await candidates.certificate(verificationCode: certificate.verificationCode)
            return CertificateLookup(assessmentId: certificate.assessmentId, response: response, error: nil)
        } catch {
            return CertificateLookup(assessmentId: certificate.assessmentId, response: nil, error: error)
        }
    }
}
