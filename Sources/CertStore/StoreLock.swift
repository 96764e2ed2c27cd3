import CertCore
import Foundation
import Synchronization

/// The one-writer-per-store guard: an exclusive `flock` on `<store>.lock`, taken by
/// ``ResultWriter`` when it opens a store and held until it closes. A second writer on the
/// same file — another `certsim serve`, or a second `DaemonCore` in the same process — is
/// refused at once with `STORE_LOCKED` naming the file, instead of both journaling answers
/// into one store.
///
/// Owned by CertStore. Why a separate file: SQLite locks the database with POSIX `fcntl`
/// locks, which a process loses on *any* `close` of *any* descriptor of that file; opening the
/// database file a second time to lock it could drop SQLite's own locks. Why `flock`: the
/// kernel releases it when the holder dies (`kill -9` included), so a crash never leaves the
/// store locked. A clean close removes the file; a crash leaves it, harmlessly.
final class StoreLock: Sendable {
    /// How many times `acquire` re-opens the lock file when a closing holder removed it between
    /// our open and our lock.
    static let acquireAttemptsMax = 8

    let lockPath: String
    private let descriptor: Mutex<Int32>

    private init(lockPath: String, descriptor: Int32) {
        self.lockPath = lockPath
        self.descriptor = Mutex(descriptor)
    }

    /// Takes the lock of the store at `storePath` or throws `STORE_LOCKED` (held elsewhere),
    /// `STORE_READ_ONLY` / `STORE_CANNOT_OPEN` (the lock file cannot be created).
    static func acquire(storePath: String) throws(StoreError) -> StoreLock {
        let lockPath = storePath + ".lock"
        for _ in 0..<acquireAttemptsMax {
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                let reason = String(cString: strerror(errno))
                let code = errno == EACCES || errno == EROFS || errno == EPERM ? ErrorCode.storeReadOnly : ErrorCode.storeCannotOpen
                throw StoreError(code, "\(storePath): its lock file \(lockPath) cannot be created (\(reason)).")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let failure = errno
                let holder = holderDescription(fd)
                close(fd)
                if failure == EWOULDBLOCK {
                    throw StoreError(.storeLocked, "\(storePath) is already open in another certsim daemon\(holder), which holds \(lockPath). Stop that daemon or use another store file.")
                }
                throw StoreError(.storeIO, "\(storePath): locking \(lockPath) failed (\(String(cString: strerror(failure)))).")
            }
            // A holder closing cleanly removes the file while it still holds the lock; if that
            // happened between our open and our lock, we hold a lock on a file nobody else
            // sees. Keep the lock only if it is on the file the path names now.
            var held = stat()
            var named = stat()
            if fstat(fd, &held) == 0, stat(lockPath, &named) == 0, held.st_dev == named.st_dev, held.st_ino == named.st_ino {
                recordHolder(fd)
                return StoreLock(lockPath: lockPath, descriptor: fd)
            }
            close(fd)
        }
        throw StoreError(.storeLocked, "\(storePath): its lock file \(lockPath) keeps being replaced; another daemon is opening and closing it.")
    }

    /// Removes the lock file and releases the lock (a clean close). Idempotent.
    func release() {
        let fd = descriptor.withLock { fd in
            defer { fd = -1 }
            return fd
        }
        guard fd >= 0 else { return }
        // Unlinked while still held, so that no one can lock this file after we let go of it.
        unlink(lockPath)
        close(fd)
    }

    /// Releases the lock as the kernel does when the holder dies: the file stays. For tests
    /// that simulate a crash inside one process.
    func releaseAsACrashWould() {
        let fd = descriptor.withLock { fd in
            defer { fd = -1 }
            return fd
        }
        if fd >= 0 { close(fd) }
    }

    deinit {
        release()
    }

    /// Writes our process id into the file, for the message a second opener gets.
    private static func recordHolder(_ fd: Int32) {
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// " (process N)" when the holder recorded its id, else "".
    private static func holderDescription(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return "" }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let pid = Int32(text), pid > 0 else { return "" }
        return pid == getpid() ? " (this process)" : " (process \(pid))"
    }
}
