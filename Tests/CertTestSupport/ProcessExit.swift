import Foundation

extension Process {
    /// Waits (at most `seconds`) for the process to end; kills it with SIGKILL past that.
    /// True when it ended by itself. Shared by the tests that run `certsim` as a child process.
    @discardableResult
    public func waitForExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning && Date() < deadline { usleep(5_000) }
        if isRunning {
            kill(processIdentifier, SIGKILL)
            waitUntilExit()
            return false
        }
        return true
    }
}
