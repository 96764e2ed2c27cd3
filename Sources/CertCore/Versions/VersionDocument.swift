import Foundation

/// Any certification version file (DESIGN §3.7): one that runs a test (core, Pix+ Édu, Droit,
/// Pro Santé) or a CléA version, which runs none. What `certsim versions check` and
/// `versions list` read, and what a store row may hold; the framework word of the file picks
/// the reader.
///
/// ```swift
/// switch try VersionDocument.load(path: "Scenarios/versions/clea-v3.json") {
/// case .test(let version): print(version.assessmentDurationMinutes)
/// case .clea(let clea): print(clea.minimumEarnedPix)   // 70
/// }
/// ```
public enum VersionDocument: Sendable, Equatable {
    case test(CertificationVersion)
    case clea(CleaVersion)

    public static func load(path: String) throws(CertError) -> VersionDocument {
        try VersionReader.load(path: path, decode)
    }

    /// Decodes and validates a version file of any framework. Codes as
    /// ``CertificationVersion/decode(_:)``.
    public static func decode(_ data: Data) throws(CertError) -> VersionDocument {
        let json = try VersionReader.parse(data)
        if VersionReader.frameworkWord(json) == CertificationFramework.clea.rawValue {
            var version = try CleaVersion.read(json)
            (version.document, version.contentHash) = VersionReader.canonical(json)
            return .clea(version)
        }
        var version = try VersionReader.read(json)
        (version.document, version.contentHash) = VersionReader.canonical(json)
        return .test(version)
    }

    public var id: String {
        switch self {
        case .test(let version): version.id
        case .clea(let version): version.id
        }
    }

    public var framework: CertificationFramework {
        switch self {
        case .test(let version): version.framework
        case .clea(let version): version.framework
        }
    }

    public var status: VersionStatus {
        switch self {
        case .test(let version): version.status
        case .clea(let version): version.status
        }
    }

    public var contentHash: String {
        switch self {
        case .test(let version): version.contentHash
        case .clea(let version): version.contentHash
        }
    }

    /// The canonical JSON the store keeps.
    public var document: String {
        switch self {
        case .test(let version): version.document
        case .clea(let version): version.document
        }
    }

    /// The version that runs a test; nil for a CléA version.
    public var testVersion: CertificationVersion? {
        if case .test(let version) = self { version } else { nil }
    }

    /// The row the store keeps for this version.
    public func record(storedSeconds: Double) -> VersionRecord {
        switch self {
        case .test(let version): version.record(storedSeconds: storedSeconds)
        case .clea(let version): version.record(storedSeconds: storedSeconds)
        }
    }

    /// A one-paragraph summary for `certsim versions check`.
    public var summaryText: String {
        switch self {
        case .test(let version): version.summaryText
        case .clea(let version): version.summaryText
        }
    }
}
