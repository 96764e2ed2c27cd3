import CertCore
import Foundation

/// One side of a ``RunComparison``: the candidates of a run, with its consistency figures and digest.
/// A side is read from a run folder (the `--out DIR` of `certsim run`) or from a bare candidates.csv
/// (a committed baseline is just that file).
///
/// ```swift
/// let baseline = try ComparedRun.load(path: "Scenarios/regression/baselines/eap.candidates.csv")
/// let run = try ComparedRun.load(path: "out/eap")
/// ```
///
/// Owned by CertLoad's comparison half.
public struct ComparedRun: Sendable {
    /// The path the run was read from (a folder or a file), or a name given by the caller.
    public var name: String
    /// The scenario named by summary.json, when the run had one.
    public var scenario: String?
    public var candidates: [CandidateRow]
    public var consistency: Consistency
    /// True when ``consistency`` was read from summary.json; false when it was recomputed from the rows
    /// (a bare candidates.csv, or a folder without summary.json).
    public var consistencyFromSummary: Bool
    /// The digest of ``candidates`` (``CandidateRow/digest(_:)``), recomputed whatever summary.json says.
    public var digest: String

    /// A side from rows; a summary, when given, supplies the scenario's name and the consistency
    /// figures. Refuses two rows with the same candidate key (REPORT_BAD_FILE): the join would be
    /// ambiguous.
    public init(name: String, candidates: [CandidateRow], summary: Summary? = nil) throws(CertError) {
        var seen = Set<String>()
        for row in candidates where !seen.insert(row.candidateKey).inserted {
            throw CertError(.reportBadFile, "\(name): candidate '\(row.candidateKey)' appears twice")
        }
        self.name = name
        self.scenario = summary?.scenario
        self.candidates = candidates
        self.consistency = summary?.consistency ?? CandidateRow.consistency(candidates)
        self.consistencyFromSummary = summary != nil
        self.digest = CandidateRow.digest(candidates)
    }

    /// Reads a run folder (candidates.csv, and summary.json when present) or a candidates.csv file.
    /// A missing path or file is REPORT_MISSING_FILE; a file that is not what a run writes is
    /// REPORT_BAD_FILE.
    public static func load(path: String) throws(CertError) -> ComparedRun {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CertError(.reportMissingFile, "'\(path)' is neither a run folder nor a candidates.csv file: it does not exist")
        }
        guard isDirectory.boolValue else {
            return try ComparedRun(name: path, candidates: RunFiles.readCandidates(file: path))
        }
        let candidatesPath = RunFiles.url(path, RunFiles.candidatesFileName).path
        guard FileManager.default.fileExists(atPath: candidatesPath) else {
            throw CertError(.reportMissingFile, "the folder '\(path)' has no \(RunFiles.candidatesFileName): is it the --out DIR of certsim run?")
        }
        let candidates = try RunFiles.readCandidates(file: candidatesPath)
        let summaryPath = RunFiles.url(path, RunFiles.summaryFileName).path
        let summary: Summary?
        if FileManager.default.fileExists(atPath: summaryPath) {
            do {
                summary = try Summary.decode(try Data(contentsOf: URL(fileURLWithPath: summaryPath)))
            } catch {
                throw CertError(.reportBadFile, "'\(summaryPath)' is not a run summary: \(error)")
            }
        } else {
            summary = nil
        }
        return try ComparedRun(name: path, candidates: candidates, summary: summary)
    }
}
