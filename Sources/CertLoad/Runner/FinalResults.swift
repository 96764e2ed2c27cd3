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
    var pixScore: Int
    var meshLevel: Int
    var competenceLevels: [String: Int]
    /// `validated` or `rejected`.
    var status: String

    init(_ record: ResultRecord) {
        capacity = record.capacity
        errorRate = record.errorRate
        pixScore = record.pixScore
        meshLevel = record.meshLevel
        competenceLevels = record.competenceLevels
        status = record.status
    }

    init(_ certificate: CertificateResponse) {
        capacity = nil
        errorRate = nil
        pixScore = certificate.pixScore
        meshLevel = certificate.meshLevel
        competenceLevels = certificate.competenceLevels
        status = certificate.status
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
                throw RunError(code: "RUN_RESULTS", message: "cannot read the results from \(path): \(error)")
            }
            if expected.isSubset(of: results.keys) || VirtualClock.uptimeNanoseconds() >= deadline {
                return results
            }
            try? await Task.sleep(nanoseconds: UInt64(storePollSeconds * 1e9))
        }
    }

    /// Looks up every published certificate through the candidate API. Failures are returned by
    /// code, to be counted in the run's errors.
    static func fromCertificates(_ certificates: [PublishedCertificate], candidates: any CandidateTransport) async
        -> (results: [String: FinalResult], errors: ErrorCounts)
    {
        await withTaskGroup(of: (String, Result<CertificateResponse, DaemonError>).self) { group in
            var results: [String: FinalResult] = [:]
            var errors = ErrorCounts()
            var next = 0
            func launch() {
                let certificate = certificates[next]
                next += 1
                group.addTask {
                    do throws(DaemonError) {
                        return (certificate.assessmentId,
                                .success(try await candidates.certificate(verificationCode: certificate.verificationCode)))
                    } catch {
                        return (certificate.assessmentId, .failure(error))
                    }
                }
            }
            while next < min(certificates.count, certificateLookupsInFlightMax) { launch() }
            while let (assessmentId, result) = await group.next() {
                switch result {
                case .success(let response): results[assessmentId] = FinalResult(response)
                case .failure(let error): errors.record(error.code)
                }
                if next < certificates.count { launch() }
            }
            return (results, errors)
        }
    }
}
