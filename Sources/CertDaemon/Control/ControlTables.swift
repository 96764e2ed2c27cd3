import CertCore
import Foundation

/// Human-readable renderings of control-socket results for `certsim ctl`: aligned tables for
/// lists, `key  value` lines for records, one line per `watch` event. Scripts use `--json`
/// instead, which prints the result as the daemon sent it.
///
/// Owned by the daemon transports.
public enum ControlTables {
    /// The text `certsim ctl` prints for the result of `command`.
    public static func render(command: String, result: JSONValue) -> String {
        switch command {
        case "session.create":
            return keyValues(result, [
                ("session", "sessionId"), ("access code", "accessCode"), ("invigilator password", "invigilatorPassword"),
                ("version", "certificationVersion"),
            ])
        case "session.list":
            return table(result.arrayValue ?? [], [
                ("SESSION", "sessionId"), ("NAME", "name"), ("CENTRE", "centre"), ("STATUS", "status"),
                ("CANDIDATES", "candidatesCount"), ("STARTED", "startedCount"), ("FINISHED", "finishedCount"),
                ("ALERTS", "ongoingAlertsCount"),
            ], empty: "no sessions")
        case "session.show":
            var text = keyValues(result, [
                ("session", "sessionId"), ("name", "name"), ("centre", "centre"), ("status", "status"),
                ("access code", "accessCode"), ("version", "certificationVersion"),
            ])
            // Times as the proctor's clock shows them; overtime flagged where the test runs past its end.
            let candidates = (result["candidates"]?.arrayValue ?? []).map { row -> JSONValue in
                guard var fields = row.objectValue else { return row }
                if case .number(let end) = fields["theoreticalEndSeconds"] ?? .null {
                    fields["theoreticalEnd"] = .string(clockTime(end))
                }
                if case .number(let extra) = fields["extraTimePercent"] ?? .null, extra > 0 {
                    fields["extraTime"] = .string("+\(extra.rounded() == extra ? String(Int(extra)) : String(extra)) %")
                }
                if fields["overtime"]?.boolValue == true { fields["overtimeFlag"] = .string("OVERTIME") }
                return .object(fields)
            }
            text += "\n" + table(candidates, [
                ("CANDIDATE", "candidateId"), ("TEST", "certificationVersion"), ("STATUS", "status"),
                ("ANSWERS", "answersCount"), ("EXTRA", "extraTime"), ("THEORETICAL END", "theoreticalEnd"), ("", "overtimeFlag"),
                ("ABORT", "abortReason"), ("SCORE", "pixScore"), ("LEVEL", "level"),
                ("RESULT", "certificationStatus"), ("REASON", "statusReason"), ("ALSO", "complementary"),
            ], empty: "no candidates")
            let alerts = result["alerts"]?.arrayValue ?? []
            if !alerts.isEmpty {
                text += "\n" + alertTable(alerts)
            }
            return text
        case "alert.list":
            return alertTable(result.arrayValue ?? [])
        case "session.finalize":
            return keyValues(result, [
                ("session", "sessionId"), ("status", "status"), ("completed", "completedCount"),
                ("ended by invigilator", "endedByInvigilatorCount"),
                ("ended by finalisation", "endedDueToFinalizationCount"), ("never started", "notStartedCount"),
                ("scored now", "scoredCount"),
            ])
        case "session.publish":
            return table(result.arrayValue ?? [], [
                ("CANDIDATE", "candidateId"), ("VERIFICATION CODE", "verificationCode"), ("SCORE", "pixScore"),
                ("MESH", "meshLevel"), ("LEVEL", "level"), ("STATUS", "status"), ("REASON", "statusReason"),
                ("VERSION", "certificationVersion"), ("CLEA", "cleaAcquired"),
            ], empty: "no certificates")
        case "candidate.jury":
            return keyValues(result, [
                ("candidate", "candidateId"), ("verification code", "verificationCode"),
                ("version", "certificationVersion"), ("level", "level"), ("printed", "levelName"),
                ("admitted at", "admissionLevel"),
            ])
        case "stats":
            return keyValues(result, [
                ("sessions", "sessions"), ("active sessions", "activeSessions"), ("candidates", "candidates"),
                ("active candidates", "activeCandidates"), ("answers", "answersTotal"),
                ("results written", "resultsWritten"), ("engines", "engines"), ("engine in flight", "engineInFlight"),
                ("durability", "durability"),
            ])
        case "login":
            return "logged in to session \(cell(result["sessionId"]))\n"
        case "shutdown":
            return "the daemon is shutting down\n"
        case "help":
            return (result.arrayValue ?? []).map(cell).joined(separator: "\n") + "\n"
        default:
            if result == .object([:]) || result == .null { return "ok\n" }
            return result.jsonText() + "\n"
        }
    }

    /// One line for one `watch` event: `12:04:05  candidateStarted  c1  detail`.
    public static func renderEvent(_ event: JSONValue) -> String {
        var seconds = Date().timeIntervalSince1970
        if case .number(let at) = event["atSeconds"] ?? .null { seconds = at }
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        let time = formatter.string(from: Date(timeIntervalSince1970: seconds))
        var detail = cell(event["detail"])
        if let count = event["answersCount"]?.intValue { detail = count == 1 ? "1 answer" : "\(count) answers" }
        let parts = [time, cell(event["kind"]), cell(event["candidateId"]), detail]
        return parts.filter { !$0.isEmpty && $0 != "-" }.joined(separator: "  ") + "\n"
    }

    /// Alerts; a validated live alert shows the IN_CHALLENGE issue report stored with it.
    private static func alertTable(_ alerts: [JSONValue]) -> String {
        let rows = alerts.map { row -> JSONValue in
            guard var fields = row.objectValue else { return row }
            if let reason = fields["reason"]?.stringValue {
                fields["issueReport"] = .string("IN_CHALLENGE \(reason) (resolved)")
            }
            return .object(fields)
        }
        return table(rows, [
            ("CANDIDATE", "candidateId"), ("KIND", "kind"), ("CHALLENGE", "challengeId"), ("QUESTION", "questionNumber"),
            ("STATUS", "status"), ("ISSUE REPORT", "issueReport"),
        ], empty: "no alerts")
    }

    /// `HH:mm:ss` of a time in seconds since 1970, in the local time zone.
    public static func clockTime(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    /// An aligned table; `columns` are (header, field) pairs.
    static func table(_ rows: [JSONValue], _ columns: [(String, String)], empty: String) -> String {
        guard !rows.isEmpty else { return empty + "\n" }
        let cells = rows.map { row in columns.map { cell(row[$0.1]) } }
        let widths = columns.indices.map { index in
            max(columns[index].0.count, cells.map { $0[index].count }.max() ?? 0)
        }
        func line(_ values: [String]) -> String {
            values.enumerated().map { index, value in
                index == values.count - 1 ? value : value.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(columns.map(\.0))] + cells.map(line)).joined(separator: "\n") + "\n"
    }

    static func keyValues(_ record: JSONValue, _ fields: [(String, String)]) -> String {
        let width = fields.map(\.0.count).max() ?? 0
        return fields.map { label, field in
            label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + cell(record[field])
        }.joined(separator: "\n") + "\n"
    }

    static func cell(_ value: JSONValue?) -> String {
        switch value {
        case .none, .null?: return "-"
        case .string(let text)?: return text
        case .bool(let flag)?: return flag ? "yes" : "no"
        case .number?, .array?, .object?: return value!.jsonText()
        }
    }
}
