import CertCore
import Foundation
import Testing
import CertCore
@testable import CertStore

/// One writer per store: the second opener gets STORE_LOCKED naming the file, and nothing
/// of the file is touched; the lock goes with its holder (close, release, crash).
@Suite struct StoreLockTests {
    @Test func aSecondWriterOnTheSameFileIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let first = try ResultWriter(path: path)
        try await Fixture.seed(first, assessments: 1..<2)
        #expect(FileManager.default.fileExists(atPath: path + ".lock"))

        do {
            _ = try ResultWriter(path: path)
            Issue.record("a second writer opened a locked store")
        } catch {
            #expect(error.code == ErrorCode.storeLocked)
            #expect(error.message.contains(path))
            #expect(error.message.contains("this process"))
        }
        // The first writer is unaffected, and readers are not locked out.
        try await first.submit(.answer(Fixture.answer(1, 1)))
        #expect(try StoreReader(path: path).countAnswers() == 1)

        // A clean close frees the store and removes the lock file.
        try await first.close()
        #expect(!FileManager.default.fileExists(atPath: path + ".lock"))
        let second = try ResultWriter(path: path)
        try await second.submit(.answer(Fixture.answer(1, 2)))
        try await second.close()
    }

    @Test func aWriterFreedWithoutCloseReleasesTheLock() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        do {
            let dropped = try ResultWriter(path: path)
            _ = dropped
        }
        try await ResultWriter(path: path).close()
    }

    @Test func aLockFileLeftByACrashDoesNotLockTheStore() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        let crashed = try ResultWriter(path: path)
        crashed.releaseLockAsACrashWould()
        #expect(FileManager.default.fileExists(atPath: path + ".lock"), "a crash leaves the file")
        let next = try ResultWriter(path: path)
        try await next.close()
        try await crashed.close()
    }

    @Test func aLockHeldByAnotherProcessRefusesTheStore() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store.sqlite")
        // flock(1) holds an exclusive lock on the lock file for as long as its command runs;
        // the command says when it has started, i.e. once the lock is held.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/flock") else { return }
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["--exclusive", path + ".lock", "/bin/sh", "-c", "echo held; exec sleep 5"]
        let output = Pipe()
        holder.standardOutput = output
        try holder.run()
        // Its command inherits the locked descriptor: the lock goes when `sleep` ends.
        defer { holder.waitUntilExit() }
        let said = output.fileHandleForReading.availableData
        #expect(String(decoding: said, as: UTF8.self) == "held\n")

        let code = await storeErrorCode { let writer = try ResultWriter(path: path); try await writer.close() }
        #expect(code == ErrorCode.storeLocked)
        #expect(!FileManager.default.fileExists(atPath: path), "a refused opener does not create the store")
    }
}
