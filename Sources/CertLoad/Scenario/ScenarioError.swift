import CertCore
/// A scenario file that cannot be used, with a stable code and a sentence naming the key and the line.
///
/// Owned by the scenario parser (`ScenarioParser`). Codes:
/// - `SCENARIO_MALFORMED`: the file is not YAML/JSON (syntax error), or not a mapping at the top.
/// - `SCENARIO_UNKNOWN_KEY`: a key the scenario format does not define.
/// - `SCENARIO_BAD_VALUE`: a known key with a value of the wrong type, out of range, an unknown word,
///   a duplicated key, or two keys that contradict each other.
/// - `SCENARIO_UNREADABLE`: the file could not be read.
public struct ScenarioError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One of the `SCENARIO_*` codes of the catalogue.
    public let code: ErrorCode
    public let message: String
    /// 1-based line of the offending node, when known.
    public let line: Int?

    public init(_ code: ErrorCode, _ message: String, line: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
    }

    public var description: String { "\(code): \(message)" }

    static func unknownKey(_ path: String, line: Int?, allowed: [String]) -> ScenarioError {
        ScenarioError(.scenarioUnknownKey, "unknown key '\(path)'\(at(line)); expected one of: \(allowed.joined(separator: ", "))",
            line: line)
    }

    static func badValue(_ path: String, line: Int?, _ why: String) -> ScenarioError {
        ScenarioError(.scenarioBadValue, "bad value for '\(path)'\(at(line)): \(why)", line: line)
    }

    static func at(_ line: Int?) -> String {
        line.map { " at line \($0)" } ?? ""
    }
}
