import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The live progress line of a long run, redrawn on stderr about once a second:
/// `certsim run: 1204/14400 candidates · 2,310 answers/s · p99 4.1 ms · ETA 0:57`.
///
/// Owned by the runner. Shown only when stderr is a terminal (or when forced); `--quiet`
/// silences it. It never writes to stdout, which carries the summary.
struct ProgressLine {
    /// Real seconds between two redraws.
    static let intervalSeconds = 1.0

    static func shouldShow(_ mode: RunOptions.ProgressMode) -> Bool {
        switch mode {
        case .off: false
        case .always: true
        case .automatic: isatty(2) == 1
        }
    }

    /// Redraws until cancelled, then clears the line.
    static func run(recorder: RunRecorder, total: Int, beganUptimeNanoseconds: UInt64, terminal: Bool) async {
        var lastAnswers = 0
        var lastUptime = beganUptimeNanoseconds
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(intervalSeconds * 1e9))
            if Task.isCancelled { break }
            let (done, answers, p99) = await recorder.progress()
            let now = VirtualClock.uptimeNanoseconds()
            let rate = Double(answers - lastAnswers) / max(1e-9, Double(now - lastUptime) / 1e9)
            lastAnswers = answers
            lastUptime = now
            let elapsed = Double(now - beganUptimeNanoseconds) / 1e9
            let line = render(done: done, total: total, answersPerSecond: rate, p99Microseconds: p99,
                              elapsedSeconds: elapsed)
            write(terminal ? "\r\u{1B}[2K" + line : line + "\n")
        }
        if terminal { write("\r\u{1B}[2K") }
    }

    static func render(done: Int, total: Int, answersPerSecond: Double, p99Microseconds: UInt64?,
                       elapsedSeconds: Double) -> String {
        var parts = ["certsim run: \(done)/\(total) candidates", "\(Int(answersPerSecond.rounded())) answers/s"]
        if let p99Microseconds {
            parts.append("p99 " + formatMilliseconds(Double(p99Microseconds) / 1000))
        }
        if done > 0, done < total {
            let remaining = elapsedSeconds / Double(done) * Double(total - done)
            parts.append("ETA " + formatDuration(remaining))
        }
        return parts.joined(separator: " · ")
    }

    static func formatMilliseconds(_ milliseconds: Double) -> String {
        milliseconds < 10 ? "\((milliseconds * 10).rounded() / 10) ms" : "\(Int(milliseconds.rounded())) ms"
    }

    static func formatDuration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (hours, minutes, secs) = (total / 3600, (total % 3600) / 60, total % 60)
        let two = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(two(minutes)):\(two(secs))" : "\(minutes):\(two(secs))"
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
