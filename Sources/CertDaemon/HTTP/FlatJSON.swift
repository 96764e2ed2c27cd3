import CertCore

/// Hand-written JSON for the hot bodies of the candidate API (a challenge, an answer and its
/// acknowledgement, a start), which both the daemon and the runner's HTTP client handle once per
/// question. Each is a flat object of strings, integers and booleans, so writing it needs no
/// encoder and reading it needs no general parser.
///
/// The reader is deliberately narrow: it accepts a flat object whose values are plain strings
/// (ASCII, no escapes), integers or booleans, each key once, and nothing else. Anything outside
/// that returns nil, and the caller decodes with `JSONDecoder` as before — so a refusal
/// (MALFORMED_JSON, INVALID_BODY) keeps its exact code and message, and a value accepted here is
/// the value `JSONDecoder` would have produced. The writer produces the same JSON as the API's
/// `JSONEncoder` (sorted keys, slashes unescaped).
///
/// Owned by the daemon transports; the runner's HTTP transport uses it for the same bodies.
public enum FlatJSON {
    /// One value of a flat object.
    public enum Value: Equatable, Sendable {
        case string(String)
        case int(Int)
        case bool(Bool)
    }

    /// The fields of a flat object, or nil when the bytes are outside the narrow form above.
    public static func parseObject(_ bytes: UnsafeRawBufferPointer) -> [(key: String, value: Value)]? {
        var reader = Reader(bytes: bytes)
        return reader.object()
    }

    public static func parseObject(_ bytes: [UInt8]) -> [(key: String, value: Value)]? {
        bytes.withUnsafeBytes { parseObject($0) }
    }

    /// Appends `text` as a JSON string literal (quotes included), escaped as `JSONEncoder` does
    /// with `.withoutEscapingSlashes`.
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Writes a flat object with its keys in the given order (callers pass them sorted).
    public static func encodeObject(_ fields: [(key: StaticString, value: Value)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96)
        out.append(UInt8(ascii: "{"))
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            field.key.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ":"))
            switch field.value {
            case .string(let text): appendString(text, to: &out)
            case .int(let number): out.append(contentsOf: String(number).utf8)
            case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func expect(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A string of printable ASCII without escapes.
        mutating func plainString() -> String? {
            guard expect(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return text
                }
                // Escapes, control characters and non-ASCII go to the full decoder.
                guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
                index += 1
            }
            return nil
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            let matches = word.withUTF8Buffer { expected in
                (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
            }
            if matches { index += count }
            return matches
        }

        /// An integer of at most 18 digits, optionally negative, without leading zeros.
        mutating func integer() -> Int? {
            var negative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            let start = index
            var value = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            let digits = index - start
            guard digits > 0, digits <= 18, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            // A fraction or an exponent is not an integer of this form.
            if index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
                default: break
                }
            }
            return negative ? -value : value
        }

        mutating func value() -> Value? {
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                return plainString().map(Value.string)
            case UInt8(ascii: "t"):
                return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"):
                return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return integer().map(Value.int)
            default:
                return nil
            }
        }

        mutating func object() -> [(key: String, value: Value)]? {
            guard expect(UInt8(ascii: "{")) else { return nil }
            var fields: [(key: String, value: Value)] = []
            if expect(UInt8(ascii: "}")) {
                return endOfInput() ? fields : nil
            }
            while true {
                guard let key = plainString(), expect(UInt8(ascii: ":")), let value = value() else { return nil }
                // A repeated key is left to the full decoder's rules.
                guard !fields.contains(where: { $0.key == key }) else { return nil }
                fields.append((key, value))
                if expect(UInt8(ascii: ",")) { continue }
                guard expect(UInt8(ascii: "}")) else { return nil }
                return endOfInput() ? fields : nil
            }
        }

        mutating func endOfInput() -> Bool {
            skipSpace()
            return index == bytes.count
        }
    }
}

// MARK: - The hot bodies

extension ChallengeResponse {
    /// The JSON body, as `JSONEncoder` with sorted keys writes it.
    public var flatJSON: [UInt8] {
        var fields: [(key: StaticString, value: FlatJSON.Value)] = []
        if let assessmentId { fields.append(("assessmentId", .string(assessmentId))) }
        if let certificationVersion { fields.append(("certificationVersion", .string(certificationVersion))) }
        fields += [
            ("challengeId", .string(challengeId)), ("competence", .string(competence)),
            ("questionNumber", .int(questionNumber)),
        ]
        return FlatJSON.encodeObject(fields)
    }

    /// The body read by the narrow reader; nil when it needs the full decoder.
    public init?(flatJSON bytes: [UInt8]) {
        guard let fields = FlatJSON.parseObject(bytes) else { return nil }
        var challengeId: String?, competence: String?, questionNumber: Int?
        var assessmentId: String?, certificationVersion: String?
        for field in fields {
            switch (field.key, field.value) {
            case ("assessmentId", .string(let text)): assessmentId = text
            case ("certificationVersion", .string(let text)): certificationVersion = text
            case ("challengeId", .string(let text)): challengeId = text
            case ("competence", .string(let text)): competence = text
            case ("questionNumber", .int(let number)): questionNumber = number
            default: return nil
            }
        }
        guard let challengeId, let competence, let questionNumber else { return nil }
        self.init(challengeId: challengeId, competence: competence, questionNumber: questionNumber,
                  assessmentId: assessmentId, certificationVersion: certificationVersion)
    }
}

extension AnswerResponse {
    public var flatJSON: [UInt8] {
        FlatJSON.encodeObject([
            ("answersCount", .int(answersCount)), ("completed", .bool(completed)),
            ("questionNumber", .int(questionNumber)),
        ])
    }

    public init?(flatJSON bytes: [UInt8]) {
        guard let fields = FlatJSON.parseObject(bytes) else { return nil }
        var answersCount: Int?, completed: Bool?, questionNumber: Int?
        for field in fields {
            switch (field.key, field.value) {
            case ("answersCount", .int(let number)): answersCount = number
            case ("completed", .bool(let flag)): completed = flag
            case ("questionNumber", .int(let number)): questionNumber = number
            default: return nil
            }
        }
        guard let answersCount, let completed, let questionNumber else { return nil }
        self.init(questionNumber: questionNumber, answersCount: answersCount, completed: completed)
    }
}

extension StartResponse {
    public var flatJSON: [UInt8] {
        var fields: [(key: StaticString, value: FlatJSON.Value)] = [("assessmentId", .string(assessmentId))]
        if let certificationVersion { fields.append(("certificationVersion", .string(certificationVersion))) }
        if let followedBy { fields.append(("followedBy", .string(followedBy))) }
        fields += [("resumed", .bool(resumed)), ("token", .string(token))]
        return FlatJSON.encodeObject(fields)
    }
}

extension AnswerRequest {
    /// The JSON body (keys sorted).
    public var flatJSON: [UInt8] {
        FlatJSON.encodeObject([("challengeId", .string(challengeId)), ("result", .string(result.rawValue))])
    }

    /// The body read by the narrow reader; nil when it needs the full decoder (which then gives
    /// the refusal, if any, with its usual code and message).
    public init?(flatJSON bytes: UnsafeRawBufferPointer) {
        guard let fields = FlatJSON.parseObject(bytes) else { return nil }
        var challengeId: String?, result: AnswerResult?
        for field in fields {
            switch (field.key, field.value) {
            case ("challengeId", .string(let text)): challengeId = text
            case ("result", .string(let text)):
                guard let parsed = AnswerResult(rawValue: text) else { return nil }
                result = parsed
            default: return nil
            }
        }
        guard let challengeId, let result else { return nil }
        self.init(challengeId: challengeId, result: result)
    }
}
