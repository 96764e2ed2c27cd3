import Foundation
import Yams

/// A YAML node with its key path, read strictly: every accessor either returns a value of the asked
/// kind or throws a ``ScenarioError`` naming the key path and the node's line.
///
/// Internal to the scenario parser.
struct ScenarioNode {
    let node: Node
    /// Dotted key path from the top, e.g. `behaviour.think_time.sigma`.
    let path: String

    var line: Int? { node.mark?.line }

    /// The resolved tag (`int`, `float`, `bool`, `null`, `str`, …) of the node.
    var tagName: Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

    func bad(_ why: String) -> ScenarioError { .badValue(path, line: line, why) }

    var isNull: Bool {
        guard case .scalar(let scalar) = node else { return false }
        return tagName == .null || (scalar.style == .plain && scalar.string.isEmpty)
    }

    /// What the node is, for error sentences.
    var kindDescription: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull { return "null" }
            return "'\(scalar.string)'"
        }
    }

    /// The entries of a mapping, checked against the allowed keys (unknown → SCENARIO_UNKNOWN_KEY at the
    /// key's line; duplicated → SCENARIO_BAD_VALUE).
    func mapping(allowed: [String]) throws(ScenarioError) -> [String: ScenarioNode] {
        guard case .mapping(let mapping) = node else {
            throw bad("expected a mapping, found \(kindDescription)")
        }
        var entries: [String: ScenarioNode] = [:]
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw ScenarioError.badValue(path.isEmpty ? "<top level>" : path, line: keyNode.mark?.line,
                                             "keys must be plain words, found \(ScenarioNode(node: keyNode, path: "").kindDescription)")
            }
            let key = keyScalar.string
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            guard allowed.contains(key) else {
                throw ScenarioError.unknownKey(childPath, line: keyNode.mark?.line, allowed: allowed)
            }
            guard entries[key] == nil else {
                throw ScenarioError.badValue(childPath, line: keyNode.mark?.line, "the key appears twice")
            }
            entries[key] = ScenarioNode(node: valueNode, path: childPath)
        }
        return entries
    }

    private func scalarText() throws(ScenarioError) -> String {
        guard case .scalar(let scalar) = node, !isNull else {
            throw bad("expected a value, found \(kindDescription)")
        }
        return scalar.string
    }

    func string() throws(ScenarioError) -> String {
        let text = try scalarText()
        guard !text.isEmpty else { throw bad("expected a non-empty text") }
        return text
    }

    func bool() throws(ScenarioError) -> Bool {
        guard tagName == .bool, let value = node.bool else {
            throw bad("expected true or false, found \(kindDescription)")
        }
        return value
    }

    func int(in range: ClosedRange<Int>) throws(ScenarioError) -> Int {
        guard tagName == .int, let value = node.int else {
            throw bad("expected a whole number, found \(kindDescription)")
        }
        guard range.contains(value) else { throw bad("\(value) is outside \(range.lowerBound)...\(range.upperBound)") }
        return value
    }

    func uint64() throws(ScenarioError) -> UInt64 {
        let text = try scalarText()
        guard tagName == .int else { throw bad("expected a whole number, found \(kindDescription)") }
        let digits = text.replacingOccurrences(of: "_", with: "")
        let value = digits.hasPrefix("0x") ? UInt64(digits.dropFirst(2), radix: 16) : UInt64(digits)
        guard let value else { throw bad("expected a whole number from 0 to \(UInt64.max), found '\(text)'") }
        return value
    }

    func double(in range: ClosedRange<Double>) throws(ScenarioError) -> Double {
        guard tagName == .int || tagName == .float, let value = node.float, value.isFinite else {
            throw bad("expected a number, found \(kindDescription)")
        }
        guard range.contains(value) else {
            throw bad("\(value) is outside \(Self.format(range.lowerBound))...\(Self.format(range.upperBound))")
        }
        return value
    }

    func probability() throws(ScenarioError) -> Double {
        guard tagName == .int || tagName == .float, let value = node.float, value.isFinite else {
            throw bad("expected a probability in [0, 1], found \(kindDescription)")
        }
        guard (0...1).contains(value) else { throw bad("\(value) is not a probability in [0, 1]") }
        return value
    }

    func word<Word: RawRepresentable & CaseIterable>(_ type: Word.Type) throws(ScenarioError) -> Word where Word.RawValue == String {
        let text = try scalarText()
        guard let value = Word(rawValue: text) else {
            let allowed = Word.allCases.map(\.rawValue).joined(separator: " | ")
            throw bad("unknown word '\(text)'; expected \(allowed)")
        }
        return value
    }

    /// `30`, `"20..30"` or `{min: 20, max: 30}`.
    func countRange(in range: ClosedRange<Int>) throws(ScenarioError) -> CountRange {
        if case .mapping = node {
            let entries = try mapping(allowed: ["min", "max"])
            guard let low = entries["min"], let high = entries["max"] else { throw bad("needs both min and max") }
            return try ordered(low.int(in: range), high.int(in: range))
        }
        if case .scalar(let scalar) = node, tagName != .int, scalar.string.contains("..") {
            let parts = scalar.string.components(separatedBy: "..").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]) else {
                throw bad("expected a count, 'min..max' or {min, max}, found \(kindDescription)")
            }
            for value in [low, high] where !range.contains(value) {
                throw bad("\(value) is outside \(range.lowerBound)...\(range.upperBound)")
            }
            return try ordered(low, high)
        }
        return CountRange(fixed: try int(in: range))
    }

    /// `30`, `"10..60"` or `{min: 10, max: 60}`, in seconds.
    func secondsRange(in range: ClosedRange<Double>) throws(ScenarioError) -> SecondsRange {
        if case .mapping = node {
            let entries = try mapping(allowed: ["min", "max"])
            guard let low = entries["min"], let high = entries["max"] else { throw bad("needs both min and max") }
            let lowValue = try low.double(in: range), highValue = try high.double(in: range)
            guard lowValue <= highValue else { throw bad("min \(lowValue) is above max \(highValue)") }
            return SecondsRange(lowValue, highValue)
        }
        if case .scalar(let scalar) = node, tagName == .str, scalar.string.contains("..") {
            let parts = scalar.string.components(separatedBy: "..").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let low = Double(parts[0]), let high = Double(parts[1]), low.isFinite, high.isFinite else {
                throw bad("expected seconds, 'min..max' or {min, max}, found \(kindDescription)")
            }
            for value in [low, high] where !range.contains(value) {
                throw bad("\(value) is outside \(Self.format(range.lowerBound))...\(Self.format(range.upperBound))")
            }
            guard low <= high else { throw bad("min \(low) is above max \(high)") }
            return SecondsRange(low, high)
        }
        let value = try double(in: range)
        return SecondsRange(value, value)
    }

    private func ordered(_ low: Int, _ high: Int) throws(ScenarioError) -> CountRange {
        guard low <= high else { throw bad("min \(low) is above max \(high)") }
        return CountRange(low, high)
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
