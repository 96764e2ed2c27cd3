/// One competence of a framework (CRCN, CRCN-Édu...), as read from the bank file.
/// Owned by the `ItemBank` that lists it.
public struct Competence: Codable, Sendable, Hashable {
    /// Framework code, e.g. "1.1".
    public let id: String
    /// Domain code, e.g. "1".
    public let domain: String
    /// Human name in the framework's language.
    public let name: String

    public init(id: String, domain: String, name: String) {
        self.id = id
        self.domain = domain
        self.name = name
    }
}
