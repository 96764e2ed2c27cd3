/// Reads values out of a Prometheus text exposition (what `GET /metrics` answers), so that tests
/// compare numbers, not the way a library prints them (`0` or `0.0`).
public enum PrometheusText {
    /// The value of one series, named with its labels as rendered (`name{a="x"}`), or nil.
    public static func value(of series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), line[..<space] == series else { continue }
            return Double(line[line.index(after: space)...])
        }
        return nil
    }

    /// Every sample line as (series, value); nil when a line is neither a comment nor a sample.
    public static func samples(in text: String) -> [(series: String, value: Double)]? {
        var samples: [(String, Double)] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                return nil
            }
            samples.append((String(line[..<space]), value))
        }
        return samples
    }
}
