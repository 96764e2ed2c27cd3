#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time and peak resident memory of this process, for the run summary.
///
/// Owned by CertLoad's measures half.
public struct ResourceUsage: Sendable, Equatable {
    /// User + system CPU seconds since the process started.
    public var cpuSeconds: Double
    /// Peak resident set size, in bytes.
    public var peakRSSBytes: Int

    public static func current() -> ResourceUsage {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        #if canImport(Darwin)
        let rssBytes = Int(usage.ru_maxrss)          // bytes on Darwin
        #else
        let rssBytes = Int(usage.ru_maxrss) * 1024   // kilobytes on Linux
        #endif
        return ResourceUsage(cpuSeconds: cpu, peakRSSBytes: rssBytes)
    }
}
