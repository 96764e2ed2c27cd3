import Foundation

/// The bank the verbs use when none is named: the shipped `Scenarios/banks/crcn-synthetic-1.json`,
/// built into the binary so that `certsim serve`, `score` and `run` work from any directory.
///
/// What is compiled in is the file's recipe, not a second copy of its 300 kB: the shipped file is
/// exactly what `certsim bank generate --challenges 1200 --seed 1` writes, and a test checks that
/// ``fileBytes`` equals the file byte for byte, so the two cannot drift apart. (SwiftPM resources
/// are not used: `Bundle.module` stops the process on Linux once the build folder is gone.)
///
/// Owned by CertCore's bank half.
///
/// ```swift
/// let bank = DefaultBank.bank   // the same challenges as Scenarios/banks/crcn-synthetic-1.json
/// ```
public enum DefaultBank {
    /// The shipped file's name, under `Scenarios/banks/`.
    public static let fileName = "crcn-synthetic-1.json"
    public static let challenges = 1200
    public static let seed: UInt64 = 1

    /// The bank, built once on first use (a few milliseconds).
    public static let bank: ItemBank = BankGenerator.generate(challenges: challenges, seed: seed)

    /// The shipped file's exact bytes (`certsim bank generate` adds a final line end).
    public static var fileBytes: Data { bank.encoded() + Data("\n".utf8) }
}
