import Foundation
import Testing
import CertCore
@testable import CertLoad
import CertTestSupport

/// Bad input for the scenario parser: a hand-written corpus of malformed YAML and JSON
/// scenarios, then a seeded generative loop of a fixed count mutating the shipped smoke
/// scenario. Every input must parse or fail with `ScenarioError` carrying one of its four
/// codes and a message — never a crash, a hang or another error type.
@Suite struct ParserFuzzTests {
    static let codes: Set<ErrorCode> = [ErrorCode.scenarioMalformed, ErrorCode.scenarioUnknownKey, ErrorCode.scenarioBadValue, ErrorCode.scenarioUnreadable]
    /// Generated inputs per loop.
    static let fuzzCases = 1_500

    static let smoke: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scenarios/smoke.yaml")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? "name: smoke\n"
    }()

    static func outcome(_ text: String, fileName: String? = nil) -> ErrorCode? {
        do {
            _ = try ScenarioParser.parse(text, fileName: fileName)
            return nil
        } catch {
            #expect(codes.contains(error.code), "unknown scenario code \(error.code)")
            #expect(!error.message.isEmpty)
            return error.code
        }
    }

    /// (text, file name, expected code or nil for "parses").
    static let corpus: [(String, String?, ErrorCode?)] = [
        ("name: ok\n", nil, nil),
        ("", nil, ErrorCode.scenarioMalformed),
        ("   \n# only a comment\n", nil, ErrorCode.scenarioMalformed),
        ("- a\n- b\n", nil, ErrorCode.scenarioMalformed),
        ("just a word", nil, ErrorCode.scenarioMalformed),
        ("name: [unclosed\n", nil, ErrorCode.scenarioMalformed),
        ("name: x\n  bad: indentation\n", nil, ErrorCode.scenarioMalformed),
        ("name: x\n\tseed: 1\n", nil, ErrorCode.scenarioMalformed),
        (#"{"name": "x", "seed": 1"#, "s.json", ErrorCode.scenarioMalformed),
        (#"{"name": "x",}"#, "s.json", nil),
        ("name: x\nname: y\n", nil, ErrorCode.scenarioBadValue),
        ("nmae: x\n", nil, ErrorCode.scenarioUnknownKey),
        ("day: {centres: 1, rooms: 2}\n", nil, ErrorCode.scenarioUnknownKey),
        ("seed: -1\n", nil, ErrorCode.scenarioBadValue),
        ("seed: 18446744073709551616\n", nil, ErrorCode.scenarioBadValue),
        ("seed: 1e400\n", nil, ErrorCode.scenarioBadValue),
        ("seed: .nan\n", nil, ErrorCode.scenarioBadValue),
        ("seed: [1]\n", nil, ErrorCode.scenarioBadValue),
        ("time_scale: .inf\n", nil, ErrorCode.scenarioBadValue),
        ("time_scale: -1\n", nil, ErrorCode.scenarioBadValue),
        ("concurrency: 99999999999999999999999\n", nil, ErrorCode.scenarioBadValue),
        ("concurrency: 0\n", nil, ErrorCode.scenarioBadValue),
        ("day: {centres: 2147483648}\n", nil, ErrorCode.scenarioBadValue),
        ("day: {centres: 1000000, sessions_per_centre: 1000000}\n", nil, ErrorCode.scenarioBadValue),
        ("bank: {generate: {challenges: 1000000000}}\n", nil, ErrorCode.scenarioBadValue),
        ("bank: {path: a.json, generate: {}}\n", nil, ErrorCode.scenarioBadValue),
        ("transport: carrier-pigeon\n", nil, ErrorCode.scenarioBadValue),
        ("population: {accessibility_share: 1.5}\n", nil, ErrorCode.scenarioBadValue),
        ("population: {ability: {distribution: uniform, min: 3, max: 1}}\n", nil, ErrorCode.scenarioBadValue),
        ("behaviour: {think_time: {min_seconds: 10, max_seconds: 1}}\n", nil, ErrorCode.scenarioBadValue),
        ("proctors: {authorise_delay_seconds: 30..5}\n", nil, ErrorCode.scenarioBadValue),
        ("thresholds: {p99_teleport_ms: 5}\n", nil, ErrorCode.scenarioUnknownKey),
        ("thresholds: {digest: nothex}\n", nil, ErrorCode.scenarioBadValue),
        ("algorithm: {maximumAssessmentLength: 0}\n", nil, ErrorCode.scenarioBadValue),
        ("algorithm: {unknownSetting: 1}\n", nil, ErrorCode.scenarioUnknownKey),
        ("name: !!binary aGVsbG8=\n", nil, nil),
        ("name: &a x\ndescription: *a\n", nil, nil),
        ("name: *undefined\n", nil, ErrorCode.scenarioMalformed),
        ("? [complex, key]\n: value\n", nil, ErrorCode.scenarioBadValue),
        ("name: \"\u{0}\"\n", nil, ErrorCode.scenarioMalformed),
        ("name: x\n" + String(repeating: "#", count: 200_000) + "\n", nil, nil),
        ("name: " + String(repeating: "y", count: (1 << 20) + 1) + "\n", nil, ErrorCode.scenarioMalformed),
        (String(repeating: "[", count: 50_000), nil, ErrorCode.scenarioMalformed),
        ("name: " + String(repeating: "{a: ", count: 20_000), nil, ErrorCode.scenarioMalformed),
    ]

    @Test func corpusGivesTheExpectedCodes() {
        for (index, (text, fileName, expected)) in Self.corpus.enumerated() {
            let got = Self.outcome(text, fileName: fileName)
            #expect(got == expected, "scenario corpus case \(index) (\(text.prefix(40).debugDescription)): \(got.map(\.rawValue) ?? "parsed")")
        }
    }

    /// Aliases are expanded by the YAML composer: a "billion laughs" document must not take
    /// the parser's memory or time without bound. Eight levels of ten: 10^9 strings if the composer copied every alias; the
    /// nodes share storage (copy-on-write), so the refusal comes at once.
    @Test func nestedAliasesAreBounded() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        #expect(Self.outcome(text) == .scenarioUnknownKey)
    }

    @Test func scenarioFileWithInvalidUTF8IsUnreadable() throws {
        let path = NSTemporaryDirectory() + "certsim-fuzz-\(getpid()).yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data([0x6E, 0x61, 0x6D, 0x65, 0x3A, 0x20, 0xFF, 0xC3, 0x28, 0x0A]).write(to: URL(fileURLWithPath: path))
        do {
            _ = try Scenario.load(path: path)
            Issue.record("a file with invalid UTF-8 loaded")
        } catch {
            #expect(error.code == .scenarioUnreadable)
        }
        do {
            _ = try Scenario.load(path: "/nonexistent/certsim/s.yaml")
            Issue.record("a missing file loaded")
        } catch {
            #expect(error.code == .scenarioUnreadable)
        }
    }

    @Test func mutatedScenariosParseOrFailWithAKnownCode() {
        #expect(Self.outcome(Self.smoke) == nil)
        var random = SplitMix64(seed: 0x5CE7)
        var outcomes: [String: Int] = [:]
        let tokens = [
            ": ", "\n", "  ", "\t", "- ", "[", "]", "{", "}", ",", "&x ", "*x", "!!str ", "!!float ", "? ", "|\n", ">\n",
            "'", "\"", "#", "~", "null", ".inf", "-.nan", "1e400", "-1", "99999999999999999999999", "0x1F", "..",
            "\u{0}", "\u{FEFF}", "é", "<<: *x\n", String(repeating: "[", count: 300), String(repeating: "z", count: 3_000),
        ]
        let lines = Self.smoke.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<Self.fuzzCases {
            var mutated = lines
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let at = Int(random.next() % UInt64(mutated.count))
                switch random.next() % 6 {
                case 0:
                    mutated.remove(at: at)
                    if mutated.isEmpty { mutated = [""] }
                case 1:
                    mutated.insert(mutated[Int(random.next() % UInt64(mutated.count))], at: at)
                case 2:
                    var line = Array(mutated[at])
                    if !line.isEmpty { line.remove(at: Int(random.next() % UInt64(line.count))) }
                    mutated[at] = String(line)
                case 3:
                    mutated = Array(mutated.prefix(at + 1))
                    mutated[at] = String(mutated[at].prefix(Int(random.next() % UInt64(mutated[at].count + 1))))
                default:
                    var line = Array(mutated[at])
                    let position = line.isEmpty ? 0 : Int(random.next() % UInt64(line.count + 1))
                    line.insert(contentsOf: tokens[Int(random.next() % UInt64(tokens.count))], at: position)
                    mutated[at] = String(line)
                }
            }
            outcomes[Self.outcome(mutated.joined(separator: "\n"))?.rawValue ?? "parsed", default: 0] += 1
        }
        #expect(outcomes.keys.count >= 3, "outcomes: \(outcomes)")
    }
}

