import Foundation

/// A JSON value of any shape: the control socket's requests carry free-form fields, and its
/// results are built from the typed answers of `ProctorService`.
///
/// Owned by CertCore: the control socket and `certsim ctl` carry it, and certification version
/// files are read through it so that every key is checked by name.
///
/// ```swift
/// let request = try JSONValue.parse(#"{"id": 7, "cmd": "session.list"}"#)
/// request["cmd"]?.stringValue   // "session.list"
/// ```
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            // Whole numbers print without a fraction, so ids and counts read as integers.
            if value.rounded() == value, abs(value) < 1e15 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var intValue: Int? {
        if case .number(let value) = self, value.rounded() == value, abs(value) < 1e15 { return Int(value) }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// Parses one JSON document.
    public static func parse(_ data: Data) throws -> JSONValue {
        try JSONValueCoding.decoder.decode(JSONValue.self, from: data)
    }

    public static func parse(_ text: String) throws -> JSONValue {
        try parse(Data(text.utf8))
    }

    /// The JSON form of any encodable value (through one encode/decode round trip; the control
    /// socket is not a hot path).
    public init(encoding value: some Encodable) throws {
        self = try JSONValueCoding.decoder.decode(JSONValue.self, from: JSONValueCoding.encoder.encode(value))
    }

    /// Decodes a typed value out of this JSON value.
    public func decode<T: Decodable>(as type: T.Type) throws -> T {
        try JSONValueCoding.decoder.decode(type, from: JSONValueCoding.encoder.encode(self))
    }

    /// Compact JSON text with sorted keys (stable output for scripts and tests).
    public func jsonText() -> String {
        (try? String(decoding: JSONValueCoding.encoder.encode(self), as: UTF8.self)) ?? "null"
    }
}

/// The encoder and decoder behind ``JSONValue``, configured once.
enum JSONValueCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    static let decoder = JSONDecoder()
}
