/// timeline.csv: one line per bucket of each timeline (simulated minutes, real seconds).
///
/// Owned by CertLoad's report half.
public enum TimelineCSV {
    public static let header = [
        "clock", "start_seconds", "width_seconds", "active_candidates", "answers", "answers_per_second",
        "certifications_completed", "p50_us", "p90_us", "p99_us", "max_us",
    ]

    public static func csv(_ rows: [TimelineRow]) -> String {
        CSV.table(header: header, rows: rows.map { row in
            [row.clock.rawValue, "\(row.startSeconds)", "\(row.widthSeconds)", String(row.activeCandidates),
             String(row.answers), "\(row.answersPerSecond)", String(row.certificationsCompleted),
             row.p50Microseconds.map(String.init) ?? "", row.p90Microseconds.map(String.init) ?? "",
             row.p99Microseconds.map(String.init) ?? "", row.maxMicroseconds.map(String.init) ?? ""]
        })
    }

    public static func parse(_ text: String) throws(CSV.ParseError) -> [TimelineRow] {
        let table = try CSV.parseTable(text, requiredColumns: header)
        return try table.enumerated().map { (offset, fields) throws(CSV.ParseError) -> TimelineRow in
            let reader = FieldReader(fields: fields, record: offset + 2, file: "timeline.csv")
            let clockText = try reader.text("clock")
            guard let clock = Timeline.Clock(rawValue: clockText) else {
                throw reader.bad("clock", "'\(clockText)' is not simulated or real")
            }
            let width = try reader.double("width_seconds")
            guard width > 0 else { throw reader.bad("width_seconds", "must be positive") }
            return TimelineRow(
                clock: clock, startSeconds: try reader.double("start_seconds"), widthSeconds: width,
                activeCandidates: try reader.int("active_candidates"), answers: try reader.int("answers"),
                certificationsCompleted: try reader.int("certifications_completed"),
                p50Microseconds: try reader.uint64("p50_us"), p90Microseconds: try reader.uint64("p90_us"),
                p99Microseconds: try reader.uint64("p99_us"), maxMicroseconds: try reader.uint64("max_us"))
        }
    }
}
