/// exposure.csv: one line per challenge of the bank, in bank order — id, competence, skill level,
/// calibrated a and b, times given, exposure rate.
///
/// Owned by CertLoad's report half.
public enum ExposureCSV {
    public static let header = ["challenge", "competence", "level", "a", "b", "times_given", "rate"]

    /// Doubles in Swift's shortest round-trip form, so reading back gives the same bits.
    public static func csv(_ rows: [ExposureRow]) -> String {
        CSV.table(header: header, rows: rows.map { row in
            [row.challengeId, row.competence, String(row.level), "\(row.discriminant)", "\(row.difficulty)",
             String(row.timesGiven), "\(row.rate)"]
        })
    }

    public static func parse(_ text: String) throws(CSV.ParseError) -> [ExposureRow] {
        let table = try CSV.parseTable(text, requiredColumns: header)
        return try table.enumerated().map { (offset, fields) throws(CSV.ParseError) -> ExposureRow in
            let reader = FieldReader(fields: fields, record: offset + 2, file: "exposure.csv")
            return ExposureRow(
                challengeId: try reader.text("challenge"), competence: try reader.text("competence"),
                level: try reader.int("level"), discriminant: try reader.double("a"), difficulty: try reader.double("b"),
                timesGiven: try reader.int("times_given"), rate: try reader.double("rate"))
        }
    }
}
