import CertCore
import Foundation

/// Loads the copied fixtures (Fixtures/ is a resource of this target).
enum Fixtures {
    static func data(_ name: String, subdirectory: String? = nil) throws -> Data {
        let folder = subdirectory.map { "Fixtures/\($0)" } ?? "Fixtures"
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: folder) else {
            throw FixtureError(message: "missing fixture \(name).json")
        }
        return try Data(contentsOf: url)
    }

    static func scoreBank() throws -> ItemBank {
        try ItemBank.decode(data("score-bank"))
    }

    struct FixtureError: Error { let message: String }
}
