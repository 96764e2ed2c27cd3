/// Splits a control-socket byte stream into its lines: newline-delimited, each at most
/// `lineBytesMax` bytes (the newline excluded). The one framing of the control protocol, used by
/// the daemon's server, the runner's client and `certsim ctl`'s client; each decides what an
/// over-long line means for it (the server answers LINE_TOO_LONG and reads on, a client gives up).
///
/// Bounded: it never holds more than `lineBytesMax` bytes of an unfinished line; the rest of an
/// over-long line is skipped up to its newline.
///
/// Owned by whoever reads the connection (one framer per connection).
///
/// ```swift
/// var framer = ControlLineFramer(lineBytesMax: 1 << 20)
/// framer.append(chunk)
/// while let frame = framer.next() {
///     switch frame {
///     case .line(let bytes): handle(bytes)
///     case .tooLong: refuse()
///     }
/// }
/// ```
public struct ControlLineFramer: Sendable {
    public enum Frame: Sendable, Equatable {
        /// A whole line, without its newline.
        case line([UInt8])
        /// A line longer than `lineBytesMax` (reported once; its bytes are dropped).
        case tooLong
    }

    public let lineBytesMax: Int
    private var buffer: [UInt8] = []
    /// Start of the unread bytes in `buffer`.
    private var start = 0
    /// True while the rest of an over-long line is being skipped.
    private var discarding = false
    /// The over-long line in `discarding` has not been reported yet.
    private var reportPending = false

    public init(lineBytesMax: Int) {
        precondition(lineBytesMax > 0, "a control line must be allowed at least one byte")
        self.lineBytesMax = lineBytesMax
    }

    /// Bytes of unfinished lines held.
    public var bufferedBytes: Int { buffer.count - start }

    /// Adds bytes read from the connection.
    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next frame, or nil until more bytes come.
    public mutating func next() -> Frame? {
        while true {
            let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n"))
            if discarding {
                guard let newline else {
                    // Keep skipping: nothing of this line is kept.
                    buffer.removeAll(keepingCapacity: true)
                    start = 0
                    return takeReport()
                }
                start = newline + 1
                discarding = false
                if let report = takeReport() { return report }
                continue
            }
            guard let newline else {
                if buffer.count - start > lineBytesMax {
                    discarding = true
                    reportPending = true
                    continue
                }
                return nil
            }
            let line = Array(buffer[start..<newline])
            start = newline + 1
            return line.count > lineBytesMax ? .tooLong : .line(line)
        }
    }

    /// At the end of the input: the last line if it had no newline (nil when nothing is left).
    public mutating func finish() -> Frame? {
        if let frame = next() { return frame }
        defer {
            buffer.removeAll()
            start = 0
            discarding = false
        }
        guard !discarding, start < buffer.count else { return nil }
        return .line(Array(buffer[start...]))
    }

    private mutating func takeReport() -> Frame? {
        guard reportPending else { return nil }
        reportPending = false
        return .tooLong
    }
}
