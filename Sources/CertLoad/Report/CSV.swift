import CertCore
/// RFC 4180 CSV: comma-separated, CRLF-free (LF line ends), a field quoted when it holds a comma, a
/// double quote, CR or LF, with inner quotes doubled. The reader accepts what the writer writes and
/// any RFC 4180 text.
///
/// Owned by CertLoad's report half.
public enum CSV {
    /// A table that cannot be read: CSV_MALFORMED, CSV_MISSING_COLUMN or CSV_BAD_VALUE.
    public typealias ParseError = CertError

    /// One field, quoted only when needed.
    public static func field(_ text: String) -> String {
        let needsQuotes = text.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One line (with its final LF).
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }

    /// A whole table: header then rows.
    public static func table(header: [String], rows: [[String]]) -> String {
        var text = line(header)
        for row in rows { text += line(row) }
        return text
    }

    /// Parses CSV text into records (each a list of fields). A final line end is optional; CRLF is
    /// accepted.
    public static func parse(_ text: String) throws(ParseError) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var inQuotes = false
        var fieldWasQuoted = false
        var line = 1
        var iterator = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        func nextScalar() -> Unicode.Scalar? {
            if let scalar = pending { pending = nil; return scalar }
            return iterator.next()
        }
        while let scalar = nextScalar() {
            if inQuotes {
                if scalar == "\"" {
                    if let following = nextScalar() {
                        if following == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = following }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"":
                guard field.isEmpty && !fieldWasQuoted else {
                    throw ParseError(.csvMalformed, "stray double quote in an unquoted field at line \(line)")
                }
                inQuotes = true
                fieldWasQuoted = true
            case ",":
                record.append(field); field = ""; fieldWasQuoted = false
            case "\r":
                continue
            case "\n":
                record.append(field); field = ""; fieldWasQuoted = false
                records.append(record); record = []
                line += 1
            default:
                guard !fieldWasQuoted else {
                    throw ParseError(.csvMalformed, "text after a closing quote at line \(line)")
                }
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { throw ParseError(.csvMalformed, "unterminated quoted field at end of input (line \(line))") }
        if !field.isEmpty || fieldWasQuoted || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }

    /// Parses a table with a header line into dictionaries keyed by column name.
    public static func parseTable(_ text: String, requiredColumns: [String]) throws(ParseError) -> [[String: String]] {
        let records = try parse(text)
        guard let header = records.first else { throw ParseError(.csvMalformed, "the table has no header line") }
        for column in requiredColumns where !header.contains(column) {
            throw ParseError(.csvMissingColumn, "column '\(column)' is missing from the header")
        }
        return try records.dropFirst().enumerated().map { (offset, record) throws(ParseError) -> [String: String] in
            guard record.count == header.count else {
                throw ParseError(.csvMalformed, "record \(offset + 2) has \(record.count) fields, the header has \(header.count)")
            }
            return Dictionary(uniqueKeysWithValues: zip(header, record).map { ($0, $1) })
        }
    }
}
