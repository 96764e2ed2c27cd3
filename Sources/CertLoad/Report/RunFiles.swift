import CertCore
import Foundation

/// The files of a run's `--out DIR`: summary.json, candidates.csv, timeline.csv, exposure.csv and
/// report.html. ``write(to:)`` writes them all; ``read(from:)`` reads the data files back (a
/// folder written before exposure.csv existed reads with no exposure rows) and
/// ``rebuildReport(directory:output:)`` re-renders the HTML from them (`certsim report DIR`).
///
/// Owned by CertLoad's report half.
public struct RunFiles: Sendable {
    public var summary: Summary
    public var candidates: [CandidateRow]
    public var timeline: [TimelineRow]
    /// One row per challenge of the bank (empty when the run measured no item security).
    public var exposure: [ExposureRow]

    public static let summaryFileName = "summary.json"
    public static let candidatesFileName = "candidates.csv"
    public static let timelineFileName = "timeline.csv"
    public static let exposureFileName = "exposure.csv"
    public static let reportFileName = "report.html"

    public init(summary: Summary, candidates: [CandidateRow], timeline: [TimelineRow], exposure: [ExposureRow] = []) {
        self.summary = summary
        self.candidates = candidates
        self.timeline = timeline
        self.exposure = exposure
    }

    /// A failure to read or write a run directory: REPORT_WRITE_FAILED, REPORT_MISSING_FILE or
    /// REPORT_BAD_FILE.
    public typealias FileError = CertError

    /// Writes the five files into `directory` (created if needed).
    public func write(to directory: String) throws(FileError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try summary.jsonData().write(to: Self.url(directory, Self.summaryFileName))
            try Data(CandidateRow.csv(candidates).utf8).write(to: Self.url(directory, Self.candidatesFileName))
            try Data(TimelineCSV.csv(timeline).utf8).write(to: Self.url(directory, Self.timelineFileName))
            try Data(ExposureCSV.csv(exposure).utf8).write(to: Self.url(directory, Self.exposureFileName))
            try Data(HTMLReport.render(self).utf8).write(to: Self.url(directory, Self.reportFileName))
        } catch {
            throw FileError(.reportWriteFailed, "cannot write the run files into '\(directory)': \(error.localizedDescription)")
        }
    }

    /// Reads summary.json, candidates.csv, timeline.csv and (when present) exposure.csv from `directory`.
    public static func read(from directory: String) throws(FileError) -> RunFiles {
        func load(_ name: String) throws(FileError) -> Data {
            do {
                return try Data(contentsOf: url(directory, name))
            } catch {
                throw FileError(.reportMissingFile, "cannot read '\(name)' in '\(directory)': \(error.localizedDescription)")
            }
        }
        let summary: Summary
        do {
            summary = try Summary.decode(try load(summaryFileName))
        } catch let error as FileError where error.code == .reportMissingFile {
            throw error
        } catch {
            throw FileError(.reportBadFile, "'\(summaryFileName)' is not a run summary: \(error)")
        }
        do {
            let candidates = try CandidateRow.parseCSV(String(decoding: try load(candidatesFileName), as: UTF8.self))
            let timeline = try TimelineCSV.parse(String(decoding: try load(timelineFileName), as: UTF8.self))
            let exposurePath = url(directory, exposureFileName).path
            let exposure = FileManager.default.fileExists(atPath: exposurePath)
                ? try ExposureCSV.parse(String(decoding: try load(exposureFileName), as: UTF8.self)) : []
            return RunFiles(summary: summary, candidates: candidates, timeline: timeline, exposure: exposure)
        } catch where error.code == .reportMissingFile {
            throw error  // a CSV_* refusal is a bad file, below
        } catch {
            throw FileError(.reportBadFile, "\(error)")
        }
    }

    /// Reads one candidates.csv file on its own: a run's, or a baseline committed without the rest of
    /// its run.
    public static func readCandidates(file path: String) throws(FileError) -> [CandidateRow] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FileError(.reportMissingFile, "cannot read '\(path)': \(error.localizedDescription)")
        }
        do {
            return try CandidateRow.parseCSV(String(decoding: data, as: UTF8.self))
        } catch {
            throw FileError(.reportBadFile, "'\(path)' is not a candidates.csv: \(error)")
        }
    }

    /// Re-renders report.html from the files in `directory`; returns the path written.
    @discardableResult
    public static func rebuildReport(directory: String, output: String? = nil) throws(FileError) -> String {
        let files = try read(from: directory)
        let path = output ?? url(directory, reportFileName).path
        do {
            try Data(HTMLReport.render(files).utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw FileError(.reportWriteFailed, "cannot write '\(path)': \(error.localizedDescription)")
        }
        return path
    }

    /// True when the digest recomputed from candidates.csv equals the summary's (the files agree).
    public var digestMatchesCandidates: Bool {
        CandidateRow.digest(candidates) == summary.digest
    }

    static func url(_ directory: String, _ name: String) -> URL {
        URL(fileURLWithPath: directory).appendingPathComponent(name)
    }
}
