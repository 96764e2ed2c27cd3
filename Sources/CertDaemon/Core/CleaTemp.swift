import CertCore
// TEMPORARY until the CertCore CleaVersion lands (deleted before commit).
public struct CleaVersion: Sendable {
    public var id: String
    public var coreVersion: String
    public var minimumEarnedPix: Int
    public var contentHash: String
    public func acquired(core result: CertificationResult) -> Bool {
        result.status == .validated && (result.pixScore ?? -1) >= minimumEarnedPix
    }
    public func record(storedSeconds: Double) -> VersionRecord {
        VersionRecord(id: id, contentHash: contentHash, framework: "CLEA", document: "", storedSeconds: storedSeconds)
    }
}
public enum VersionDocument: Sendable {
    case test(CertificationVersion)
    case clea(CleaVersion)
    public static func load(path: String) throws(CertError) -> VersionDocument { .test(try CertificationVersion.load(path: path)) }
}
