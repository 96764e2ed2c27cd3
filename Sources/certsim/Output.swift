import Foundation

/// Raw writes to the standard streams (no buffering surprises when the process exits).
enum FileHandleOutput {
    static func standardOutput(_ data: Data) {
        FileHandle.standardOutput.write(data)
    }

    static func standardOutput(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
