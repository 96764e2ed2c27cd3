import CertCore
import CertDaemon
import CertStore
import Foundation
import Testing
import CertTestSupport

/// The result store going wrong under the daemon: a file from a newer schema, a corrupt or
/// foreign file, a read-only file or directory, a full disk at start and in the middle of a
/// session. Each must give a clear `StoreError` at start, or an unhealthy writer that stops
/// acknowledging answers — never an acknowledged answer missing from the store.
///
/// Read-only cases use `chattr +i` (root on a file system that supports it); disk-full cases
/// mount a small tmpfs. Each is skipped with its reason where the machine does not allow it.
@Suite(.serialized) struct StoreFaultTests {
    static let chattrWorks: Bool = {
        guard let directory = try? Reliability.directory() else { return false }
        defer { Reliability.remove(directory) }
        let file = directory + "/probe"
        FileManager.default.createFile(atPath: file, contents: Data())
        guard Shell.run("/usr/bin/chattr", ["+i", file]) else { return false }
        _ = Shell.run("/usr/bin/chattr", ["-i", file])
        return true
    }()

    static let tmpfsWorks: Bool = {
        guard let directory = try? Reliability.directory() else { return false }
        defer { Reliability.remove(directory) }
        guard Shell.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", directory]) else { return false }
        _ = Shell.run("/usr/bin/umount", [directory])
        return true
    }()

    /// Opens a core on `path`, runs one session of `candidates` for `answers` answers each,
    /// shuts down. Returns how many answers were acknowledged.
    @discardableResult
    static func populate(_ path: String, candidates: [String] = ["c1", "c2"], answers: Int = 5) async throws -> Int {
        let core = try await DaemonCore.open(Reliability.configuration(databasePath: path))
        let created = try await Reliability.session(core.proctors, id: "S1", candidates: candidates)
        var acknowledged = 0
        for candidate in candidates {
            let started = try await Reliability.start(core, created, candidate)
            for _ in 0..<answers where try await Reliability.answerOne(core, started) != nil { acknowledged += 1 }
        }
        await core.shutdown()
        return acknowledged
    }

    /// The StoreError code `DaemonCore.open` fails with; nil when it opened.
    static func openFailure(_ path: String) async -> ErrorCode? {
        do {
            let core = try await DaemonCore.open(Reliability.configuration(databasePath: path))
            await core.shutdown()
            return nil
        } catch let error as StoreError {
            #expect(error.message.contains(path), "the message names the file: \(error.message)")
            return error.code
        } catch {
            Issue.record("opening \(path) failed with \(type(of: error)), not a StoreError: \(error)")
            return .unrecognized
        }
    }

    /// Writes `bytes` at `offset` of the file (the SQLite header: user_version at 60,
    /// application_id at 68, both big-endian).
    static func patch(_ path: String, offset: Int, bytes: [UInt8]) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        try data.write(to: URL(fileURLWithPath: path))
    }

    @Test func newerSchemaIsRefusedAtStartAndLeftUntouched() async throws {
        let directory = try Reliability.directory()
        defer { Reliability.remove(directory) }
        let path = directory + "/store.sqlite"
        try await Self.populate(path)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "a clean shutdown checkpoints the WAL")
        try Self.patch(path, offset: 60, bytes: [0, 0, 0, 99])
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(await Self.openFailure(path) == ErrorCode.storeNewerSchema)
        let after = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(after == before, "a refused file is not migrated or written: \(after.count) vs \(before.count) bytes, first difference at \(zip(after, before).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
    }

    @Test func corruptAndForeignFilesAreRefusedAtStart() async throws {
        let directory = try Reliability.directory()
        defer { Reliability.remove(directory) }
        let valid = directory + "/valid.sqlite"
        try await Self.populate(valid)
        let validBytes = try Data(contentsOf: URL(fileURLWithPath: valid))
        var random = SplitMix64(seed: 0xC0DE)

        var cases: [(name: String, bytes: Data, expected: Set<ErrorCode>)] = [
            ("text", Data("certification results, not a database\n".utf8), [ErrorCode.storeCorrupt]),
            ("random", Data((0..<8192).map { _ in UInt8(truncatingIfNeeded: random.next()) }), [ErrorCode.storeCorrupt]),
            ("damaged header", Data(repeating: 0xAB, count: 16) + validBytes.dropFirst(16), [ErrorCode.storeCorrupt]),
        ]
        // Another program's SQLite file: our schema, another application_id.
        var foreign = validBytes
        foreign.replaceSubrange(68..<72, with: [0x12, 0x34, 0x56, 0x78])
        cases.append(("foreign application_id", foreign, [ErrorCode.storeCorrupt]))
        // A file cut in half (a copy interrupted, a disk error).
        cases.append(("truncated", validBytes.prefix(validBytes.count / 2), [ErrorCode.storeCorrupt, ErrorCode.storeIO]))
        // Pages overwritten after the header (schema and data pages damaged).
        var scribbled = validBytes
        for page in stride(from: 4096, to: scribbled.count, by: 4096) {
            scribbled.replaceSubrange(page..<min(page + 512, scribbled.count), with: Data(repeating: 0x5A, count: min(512, scribbled.count - page)))
        }
        cases.append(("scribbled pages", scribbled, [ErrorCode.storeCorrupt, ErrorCode.storeIO]))
        // SQLite only finds damaged data pages when it reads them: the open may write to such a
        // file (a header bump, one page) before recovery reads the damage and refuses it.
        let writtenBeforeRefusal: Set<String> = ["scribbled pages"]

        for (index, item) in cases.enumerated() {
            let path = directory + "/case\(index).sqlite"
            try item.bytes.write(to: URL(fileURLWithPath: path))
            let failure = await Self.openFailure(path)
            #expect(failure.map(item.expected.contains) == true, "\(item.name): \(failure?.rawValue ?? "opened")")
            let after = try Data(contentsOf: URL(fileURLWithPath: path))
            if writtenBeforeRefusal.contains(item.name) { continue }
            #expect(after == item.bytes, "\(item.name): a refused file is left as it was: \(after.count) vs \(item.bytes.count) bytes, first difference at \(zip(after, item.bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
        }
        // A directory where the file should be.
        try FileManager.default.createDirectory(atPath: directory + "/dir.sqlite", withIntermediateDirectories: false)
        #expect(await Self.openFailure(directory + "/dir.sqlite") == ErrorCode.storeCannotOpen)
        // The untouched copy still opens: the checks above refuse bad files, not good ones.
        #expect(await Self.openFailure(valid) == nil)
    }

    @Test(.enabled(if: StoreFaultTests.chattrWorks, "needs chattr +i (root on ext4/xfs/btrfs)"))
    func readOnlyFileOrDirectoryIsRefusedAtStart() async throws {
        let directory = try Reliability.directory()
        defer {
            _ = Shell.run("/usr/bin/chattr", ["-i", directory + "/store.sqlite"])
            _ = Shell.run("/usr/bin/chattr", ["-i", directory + "/sub"])
            Reliability.remove(directory)
        }
        let path = directory + "/store.sqlite"
        try await Self.populate(path)
        #expect(Shell.run("/usr/bin/chattr", ["+i", path]))
        #expect(await Self.openFailure(path) == ErrorCode.storeReadOnly)
        _ = Shell.run("/usr/bin/chattr", ["-i", path])
        #expect(await Self.openFailure(path) == nil, "writable again, it opens and recovers")

        // A new store in an immutable directory: SQLite could not create its -wal and -shm files.
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: false)
        #expect(Shell.run("/usr/bin/chattr", ["+i", directory + "/sub"]))
        #expect(await Self.openFailure(directory + "/sub/store.sqlite") == ErrorCode.storeReadOnly)
    }

    @Test(.enabled(if: StoreFaultTests.tmpfsWorks, "needs mount -t tmpfs (root, CAP_SYS_ADMIN)"))
    func fullDiskAtStartIsAClearError() async throws {
        let directory = try Reliability.directory()
        defer { Reliability.remove(directory) }
        #expect(Shell.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", directory]))
        defer { _ = Shell.run("/usr/bin/umount", ["-l", directory]) }
        Self.fill(directory, leavingBytes: 0)
        let failure = await Self.openFailure(directory + "/store.sqlite")
        #expect(failure != nil && failure!.rawValue.hasPrefix("STORE_"), "opening on a full disk: \(failure?.rawValue ?? "opened")")
    }

    /// The disk fills up while candidates answer. Every answer is either acknowledged or
    /// refused with a STORE_ error; once one is refused the writer is unhealthy and nothing
    /// more is acknowledged; after space is freed and the daemon restarted, every acknowledged
    /// answer is in the store exactly once and the tests resume where the journal says.
    @Test(.enabled(if: StoreFaultTests.tmpfsWorks, "needs mount -t tmpfs (root, CAP_SYS_ADMIN)"))
    func fullDiskMidSessionStopsAcknowledgingAndLosesNothing() async throws {
        let directory = try Reliability.directory()
        defer { Reliability.remove(directory) }
        let mountPoint = directory + "/disk"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        #expect(Shell.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint]))
        defer { _ = Shell.run("/usr/bin/umount", ["-l", mountPoint]) }
        let path = mountPoint + "/store.sqlite"
        let candidates = (1...6).map { "c\($0)" }

        let options = DaemonOptions(
            core: Reliability.configuration(databasePath: path), socketPath: directory + "/c.sock", httpPort: 0)
        let daemon = try await Daemon.start(options, logger: Reliability.logger)
        let core = daemon.core
        let created = try await Reliability.session(core.proctors, id: "S1", candidates: candidates)
        var started: [String: StartResponse] = [:]
        for candidate in candidates { started[candidate] = try await Reliability.start(core, created, candidate) }

        Self.fill(mountPoint, leavingBytes: 40 * 1024)

        var acknowledged: [String: [Int]] = [:]
        var refusals: [ErrorCode: Int] = [:]
        var acknowledgedAfterRefusal = 0
        var consecutiveRefusals = 0
        round: for _ in 0..<32 {
            for candidate in candidates {
                let assessment = started[candidate]!
                do throws(DaemonError) {
                    guard let response = try await Reliability.answerOne(core, assessment) else { continue }
                    acknowledged[assessment.assessmentId, default: []].append(response.questionNumber)
                    if !refusals.isEmpty { acknowledgedAfterRefusal += 1 }
                    consecutiveRefusals = 0
                } catch {
                    #expect(error.code.rawValue.hasPrefix("STORE_"), "refused with \(error.code)")
                    #expect(error.httpStatus >= 500)
                    refusals[error.code, default: 0] += 1
                    consecutiveRefusals += 1
                    if consecutiveRefusals >= 12 { break round }
                }
            }
        }
        #expect(!refusals.isEmpty, "the disk filled up: some answer was refused")
        #expect(acknowledgedAfterRefusal == 0, "nothing is acknowledged once the writer failed")
        let metrics = await core.renderMetrics()
        #expect(PrometheusText.value(of: "certsim_writer_healthy", in: metrics) == 0, "the writer reports itself unhealthy in /metrics")

        // /healthz should say the daemon cannot record answers any more.
        let http = try RawHTTPConnection(port: daemon.httpPort)
        let health = await http.exchange(RawHTTPConnection.request("GET", "/healthz"))
        #expect(health?.status == 503, "/healthz with an unhealthy writer: \(health?.status ?? 0)")
        #expect(health?.errorCode?.rawValue.hasPrefix("STORE_") == true, "/healthz names the store: \(health?.errorCode?.rawValue ?? "-")")
        try await daemon.shutdown()

        // Free the space, restart on the same file: the journal holds every acknowledged answer once.
        try FileManager.default.removeItem(atPath: mountPoint + "/filler")
        let reader = try StoreReader(path: path)
        for (assessmentId, numbers) in acknowledged {
            let stored = try reader.answers(ofAssessment: assessmentId).map(\.questionNumber)
            #expect(Set(stored).count == stored.count, "no answer is stored twice")
            #expect(Set(numbers).isSubset(of: Set(stored)), "acknowledged \(numbers) ⊆ stored \(stored)")
        }
        let reopened = try await DaemonCore.open(Reliability.configuration(databasePath: path))
        let detail = try await reopened.proctors.showSession("S1")
        for summary in detail.candidates {
            let assessmentId = started[summary.candidateId]!.assessmentId
            #expect(summary.answersCount == (try reader.answers(ofAssessment: assessmentId).count))
            #expect(summary.answersCount >= acknowledged[assessmentId, default: []].count)
        }
        let resumed = try await Reliability.start(reopened, created, "c1")
        #expect(try await Reliability.answerOne(reopened, resumed) != nil, "after recovery the store takes answers again")
        await reopened.shutdown()
    }

    /// Fills the file system holding `directory` until `leavingBytes` remain (file `filler`).
    static func fill(_ directory: String, leavingBytes: Int) {
        var stats = statvfs()
        guard statvfs(directory, &stats) == 0 else { return }
        let free = Int(stats.f_bavail) * Int(stats.f_frsize)
        let fd = open(directory + "/filler", O_CREAT | O_WRONLY, 0o600)
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x46, count: 4096)
        var written = 0
        while written + chunk.count <= max(0, free - leavingBytes) {
            guard write(fd, chunk, chunk.count) == chunk.count else { break }
            written += chunk.count
        }
        if leavingBytes == 0 {
            while write(fd, chunk, 1) == 1 {}
        }
    }
}

/// Runs a system command to completion (bounded), true when it exited 0.
enum Shell {
    @discardableResult
    static func run(_ path: String, _ arguments: [String], timeoutSeconds: Double = 20) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: path) else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        guard process.waitForExit(seconds: timeoutSeconds) else { return false }
        return process.terminationStatus == 0
    }
}
