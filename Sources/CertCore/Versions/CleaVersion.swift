import Foundation

/// A CléA version (DESIGN §3.7, §3.8): no test of its own; CléA is acquired when the core
/// certification is validated with a Pix score of at least `minimumEarnedPix`. Decoded and
/// validated key by key like ``CertificationVersion`` (same codes); immutable.
///
/// ```swift
/// let clea = try CleaVersion.decode(Data(BuiltInVersions.cleaV3Text.utf8))
/// clea.acquired(core: coreResult)   // validated and pixScore ≥ 70
/// ```
public struct CleaVersion: Sendable, Equatable {
    public var id: String
    public var comment: String?
    public var status: VersionStatus
    /// The id of the core version whose result CléA reads (`core-v3`).
    public var coreVersion: String
    /// The smallest Pix score of a validated core certification that acquires CléA.
    public var minimumEarnedPix: Int
    /// SHA-256 of the canonical JSON, as ``CertificationVersion/contentHash``.
    public var contentHash: String
    /// The version's canonical JSON (what ``contentHash`` hashes, and what the store keeps).
    public var document: String

    /// Always ``CertificationFramework/clea``.
    public var framework: CertificationFramework { .clea }

    /// Largest `minimumEarnedPix` accepted: the top of the Pix score scale of any Pix version
    /// (1024 in v2; core v3 tops at 895).
    public static let minimumEarnedPixMax = 1024

    public init(id: String, comment: String? = nil, status: VersionStatus = .active, coreVersion: String,
                minimumEarnedPix: Int, contentHash: String = "", document: String = "") {
        self.id = id
        self.comment = comment
        self.status = status
        self.coreVersion = coreVersion
        self.minimumEarnedPix = minimumEarnedPix
        self.contentHash = contentHash
        self.document = document
    }

    /// Whether a core result acquires CléA: validated, with a Pix score ≥ ``minimumEarnedPix``.
    /// (Which core version scored it is the caller's concern; ``coreVersion`` names the one
    /// this version expects.)
    public func acquired(core result: CertificationResult) -> Bool {
        guard result.status == .validated, let score = result.pixScore else { return false }
        return score >= minimumEarnedPix
    }

    /// The row the store keeps for this version.
    public func record(storedSeconds: Double) -> VersionRecord {
        VersionRecord(id: id, contentHash: contentHash, framework: framework.rawValue, document: document,
                      storedSeconds: storedSeconds)
    }

    /// A one-paragraph summary for `certsim versions check`.
    public var summaryText: String {
        var lines = [
            "version \(id): framework \(framework.rawValue), \(status.rawValue), content \(contentHash.prefix(12))",
            "  no test of its own: acquired when a \(coreVersion) certification is validated with a Pix score of at least \(minimumEarnedPix)",
        ]
        if let comment { lines.append("  \(comment)") }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Reading

    static let keys = ["id", "framework", "comment", "status", "coreVersion", "minimumEarnedPix"]

    public static func load(path: String) throws(CertError) -> CleaVersion {
        try VersionReader.load(path: path, decode)
    }

    /// Decodes and validates a CléA version file. Codes: VERSION_MALFORMED, VERSION_UNKNOWN_KEY,
    /// VERSION_MISSING_KEY, VERSION_BAD_VALUE (also for a file of another framework).
    public static func decode(_ data: Data) throws(CertError) -> CleaVersion {
        let json = try VersionReader.parse(data)
        var version = try read(json)
        (version.document, version.contentHash) = VersionReader.canonical(json)
        return version
    }

    static func read(_ json: JSONValue) throws(CertError) -> CleaVersion {
        let top = try VersionReader.object(json, "", known: keys)
        let id = try VersionReader.identifier(try VersionReader.required(top, "id", ""), "id")
        let word = try VersionReader.string(try VersionReader.required(top, "framework", ""), "framework")
        guard word == CertificationFramework.clea.rawValue else {
            throw VersionReader.bad("framework", "is \"\(word)\", not CLEA (a version that runs a test is read as a certification version)")
        }
        let (comment, status) = try VersionReader.commentAndStatus(top)
        let coreVersion = try VersionReader.identifier(try VersionReader.required(top, "coreVersion", ""), "coreVersion")
        let minimum = try VersionReader.integer(try VersionReader.required(top, "minimumEarnedPix", ""), "minimumEarnedPix")
        guard (0...minimumEarnedPixMax).contains(minimum) else {
            throw VersionReader.bad("minimumEarnedPix", "must be in 0...\(minimumEarnedPixMax), got \(minimum)")
        }
        return CleaVersion(id: id, comment: comment, status: status, coreVersion: coreVersion, minimumEarnedPix: minimum)
    }
}
