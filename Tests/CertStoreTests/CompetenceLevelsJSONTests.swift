import Foundation
import Testing
import CertCore
@testable import CertStore

/// The hand-written competence-level JSON against Foundation's encoder and decoder.
@Suite struct CompetenceLevelsJSONTests {
    private static func foundationText(_ levels: [String: Int]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(levels), as: UTF8.self)
    }

    private static func decoded(_ text: String) throws -> [String: Int] {
        try JSONDecoder().decode([String: Int].self, from: Data(text.utf8))
    }

    @Test func framework16CompetencesGiveTheEncodersBytes() throws {
        let ids = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", "4.3", "5.1", "5.2"]
        let levels = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0 % 8) })
        #expect(WriteBatch.competenceLevelsJSON(levels) == (try Self.foundationText(levels)))
        #expect(WriteBatch.competenceLevelsJSON([:]) == "{}")
        #expect(WriteBatch.competenceLevelsJSON(["1.1": -1]) == #"{"1.1":-1}"#)
    }

    @Test func randomASCIITablesMatchTheEncoderAndReadBack() throws {
        var random = SystemRandomNumberGenerator()
        // No "/": Foundation writes it as \/ , which reads back the same.
        let alphabet = Array("abcXYZ019._- ")
        for _ in 0..<300 {
            var levels: [String: Int] = [:]
            for _ in 0..<Int.random(in: 0...20, using: &random) {
                let key = String((0..<Int.random(in: 0...6, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
                levels[key] = Int.random(in: -9...99, using: &random)
            }
            let text = WriteBatch.competenceLevelsJSON(levels)
            #expect(text == (try Self.foundationText(levels)))
            #expect(try Self.decoded(text) == levels)
        }
    }

    @Test func keysNeedingEscapesReadBackUnchanged() throws {
        let levels = ["quote\"d": 1, "back\\slash": 2, "new\nline": 3, "tab\there": 4, "bell\u{07}": 5, "é": 6, "日本": 7, "\r": 8]
        let text = WriteBatch.competenceLevelsJSON(levels)
        #expect(try Self.decoded(text) == levels)
        #expect(text.contains(#"\u0007"#))
    }
}
