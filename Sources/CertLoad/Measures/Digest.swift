import Crypto

/// One certification's final result as the digest sees it: exactly the fields DESIGN §6 requires to be
/// bit-identical whatever the transport, concurrency and time scale.
///
/// Owned by CertLoad's measures half.
public struct DigestRecord: Sendable, Equatable {
    /// Stable candidate key from the seed and the candidate index (e.g. "c000042" or "c000042.r1").
    public var candidateKey: String
    public var capacity: Double
    public var errorRate: Double
    public var pixScore: Int
    public var meshLevel: Int
    public var competenceLevels: [String: Int]
    /// `validated`, `rejected`, or the runner's word for a certification that never got a result.
    public var status: String

    public init(candidateKey: String, capacity: Double, errorRate: Double, pixScore: Int, meshLevel: Int,
                competenceLevels: [String: Int], status: String) {
        self.candidateKey = candidateKey
        self.capacity = capacity
        self.errorRate = errorRate
        self.pixScore = pixScore
        self.meshLevel = meshLevel
        self.competenceLevels = competenceLevels
        self.status = status
    }

    /// The canonical line hashed for this record: tab-separated, doubles as their IEEE-754 bit
    /// patterns in hex (so a 1-ulp change shows), competence levels in sorted key order.
    public var canonicalLine: String {
        let levels = competenceLevels.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            .map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return [
            candidateKey, String(capacity.bitPattern, radix: 16), String(errorRate.bitPattern, radix: 16),
            String(pixScore), String(meshLevel), levels, status,
        ].joined(separator: "\t") + "\n"
    }
}

/// The run's digest: SHA-256 (swift-crypto's) over the canonical lines of every certification, sorted by candidate key
/// (UTF-8 byte order), so it does not depend on completion order. A regression scenario pins it.
///
/// Owned by CertLoad's measures half.
public enum Digest {
    /// Length of the hex digest.
    public static let hexLength = 64

    public static func hex(of records: [DigestRecord]) -> String {
        // Ties (a duplicated key) are broken by the whole line so the order never depends on input order.
        let lines = records.map { (key: Array($0.candidateKey.utf8), line: $0.canonicalLine) }
            .sorted { $0.key == $1.key ? Array($0.line.utf8).lexicographicallyPrecedes(Array($1.line.utf8))
                                       : $0.key.lexicographicallyPrecedes($1.key) }
        var hasher = SHA256()
        hasher.update(data: Array("certsim-digest-v1\n".utf8))
        for entry in lines { hasher.update(data: Array(entry.line.utf8)) }
        return hex(hasher.finalize())
    }

    /// Lower-case hex of a digest's bytes.
    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(hexLength)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
