import Testing
@testable import CertLoad

@Suite struct CSVTests {
    @Test func quotesOnlyWhenNeeded() {
        #expect(CSV.field("plain") == "plain")
        #expect(CSV.field("") == "")
        #expect(CSV.field("a,b") == "\"a,b\"")
        #expect(CSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSV.field("two\nlines") == "\"two\nlines\"")
        #expect(CSV.field("cr\r") == "\"cr\r\"")
        #expect(CSV.line(["a", "b,c", ""]) == "a,\"b,c\",\n")
    }

    @Test func parsesWhatItWrites() throws {
        let rows = [["id", "note"], ["1", "a,b"], ["2", "say \"hi\""], ["3", "two\nlines"], ["4", ""], ["5", "é, ü"]]
        let text = rows.map(CSV.line).joined()
        #expect(try CSV.parse(text) == rows)
    }

    @Test func acceptsCRLFAndMissingFinalNewline() throws {
        #expect(try CSV.parse("a,b\r\n1,\"x\"\"y\"") == [["a", "b"], ["1", "x\"y"]])
    }

    @Test func rejectsMalformedText() {
        #expect(throws: CSV.ParseError.self) { try CSV.parse("a,\"unterminated\n") }
        #expect(throws: CSV.ParseError.self) { try CSV.parse("a,b\"c\n") }
        #expect(throws: CSV.ParseError.self) { try CSV.parse("\"a\"b,c\n") }
        #expect(throws: CSV.ParseError.self) { try CSV.parseTable("x,y\n1\n", requiredColumns: []) }
        #expect(throws: CSV.ParseError.self) { try CSV.parseTable("x\n1\n", requiredColumns: ["y"]) }
    }

    static func rows() -> [CandidateRow] {
        [
            CandidateRow(candidateKey: "c000001", personKey: "p000001", sitting: 1, sessionIndex: 0, centre: 0, wave: 0,
                         needsAccessibility: true, trueTheta: 0.1 + 0.2, status: "validated", answers: 32,
                         estimatedTheta: -1.234_567_890_123_456_7, errorRate: 0.3.nextUp, score: 412, meshLevel: 4,
                         meshLevelFromTrueTheta: 2, competenceLevels: ["1.1": 3, "2,3 \"odd\"": 4],
                         startedAtSeconds: 12.5, endedAtSeconds: 3600.25),
            CandidateRow(candidateKey: "c000002", personKey: "p000002", sessionIndex: 1, centre: 1, wave: 0,
                         needsAccessibility: false, trueTheta: -2.5e-9, status: "unfinished", answers: 5,
                         abortReason: "technical", meshLevelFromTrueTheta: 1),
        ]
    }

    @Test func candidateRowsRoundTripBitForBit() throws {
        let rows = Self.rows()
        let parsed = try CandidateRow.parseCSV(CandidateRow.csv(rows))
        #expect(parsed == rows)
        #expect(parsed[0].trueTheta.bitPattern == (0.1 + 0.2).bitPattern)
        #expect(CandidateRow.digest(parsed) == CandidateRow.digest(rows))
    }

    @Test func candidateCSVHeader() {
        let text = CandidateRow.csv([])
        #expect(text.hasPrefix("candidate,person,sitting,session,centre,wave,"))
    }

    @Test func timelineRoundTrips() throws {
        let rows = [
            TimelineRow(clock: .simulated, startSeconds: 0, widthSeconds: 60, activeCandidates: 10, answers: 120,
                        certificationsCompleted: 0, p50Microseconds: 800, p90Microseconds: 1200, p99Microseconds: 4000, maxMicroseconds: 9000),
            TimelineRow(clock: .real, startSeconds: 1, widthSeconds: 1, activeCandidates: 0, answers: 0,
                        certificationsCompleted: 3, p50Microseconds: nil, p90Microseconds: nil, p99Microseconds: nil, maxMicroseconds: nil),
        ]
        #expect(try TimelineCSV.parse(TimelineCSV.csv(rows)) == rows)
    }
}
