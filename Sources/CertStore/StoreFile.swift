import CertCore
import Foundation
import GRDB

/// How much an acknowledged write survives. Chosen once per daemon (`--durability`).
///
/// - `durable` (default): WAL + `synchronous=FULL`, and a write call returns only after the
///   transaction holding it is committed. With `synchronous=FULL` SQLite fsyncs the WAL at
///   every commit, so an acknowledged answer survives `kill -9` **and** power loss. (In WAL
///   mode `NORMAL` only fsyncs at checkpoints: a commit survives a process crash, because the
///   bytes are already in the kernel's page cache, but the last commits can be lost if the
///   machine loses power.) Group commit is what keeps FULL cheap: one fsync per batch.
/// - `relaxed`: WAL + `synchronous=NORMAL`, and a write call returns as soon as it is queued.
///   A `kill -9` can lose the queued rows (at most a batch interval's worth); a power loss can
///   also lose recently committed ones. For load experiments where the disk is not the subject.
public enum Durability: String, Sendable, Codable, CaseIterable {
    case durable
    case relaxed

    var synchronousPragma: String {
        switch self {
        case .durable: "FULL"
        case .relaxed: "NORMAL"
        }
    }
}

/// Opening a store file for the writer or the reader, and turning SQLite failures into
/// ``StoreError``s that name the path.
enum StoreFile {
    /// How long a connection waits for another's lock before failing (busy timeout).
    static let busyTimeoutSeconds: Double = 5
    /// Page cache of the write connection, KiB. The answers of the tests in progress land on
    /// pages spread over the journal's B-tree (assessment ids are random), so the writer keeps
    /// those pages and the tree's inner pages in memory instead of reading them back from the
    /// file at every commit (SQLite's default is 2 MiB). Default 64 MiB.
    static let writerCacheKibibytes = 65_536
    /// WAL size, in pages, at which a commit checkpoints the WAL into the database file
    /// (SQLite's default is 1,000). A hot page rewritten by many commits is copied once per
    /// checkpoint, so fewer, larger checkpoints copy far less. Default 16,384 (64 MiB of WAL).
    static let walAutocheckpointPages = 16_384

    /// Opens (creating if needed) and migrates the file for writing.
    static func openForWriting(path: String, durability: Durability) throws(StoreError) -> DatabaseQueue {
        try checkWritable(path: path)
        try checkExistingFileBeforeWriting(path: path)
        var configuration = Configuration()
        configuration.label = "certsim.store.writer"
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(busyTimeoutSeconds)
        configuration.foreignKeysEnabled = true
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            // Set after opening, not in `prepareDatabase`: GRDB's WAL set-up runs after that
            // hook and sets NORMAL. A DatabaseQueue has one connection, so this holds for
            // every later commit.
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(durability.synchronousPragma)")
                try db.execute(sql: "PRAGMA cache_size = -\(writerCacheKibibytes)")
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(walAutocheckpointPages)")
            }
        } catch {
            throw StoreErrors.map(error, path: path, while: "opening")
        }
        try Migrations.migrate(queue, path: path)
        // A file can still be read-only for SQLite after the checks above (e.g. it fell back
        // to a read-only open); a tiny real write now turns that into a clear error at start
        // instead of an unhealthy writer at the first answer.
        do {
            try queue.write { db in
                try db.execute(sql: "PRAGMA user_version = \(Schema.version)")
            }
        } catch {
            throw StoreErrors.map(error, path: path, while: "writing")
        }
        return queue
    }

    /// A file that is not ours (garbage, another program's database, a newer schema) must be
    /// refused without a single byte changed: switching to WAL or migrating would already
    /// write to it. So an existing non-empty file is checked through a read-only connection
    /// first, and closed again before the writer opens it.
    static func checkExistingFileBeforeWriting(path: String) throws(StoreError) {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
              size > 0 else { return }
        var configuration = Configuration()
        configuration.label = "certsim.store.precheck"
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeoutSeconds)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try Migrations.checkCompatible(queue, path: path)
            // A readable header over damaged pages would otherwise be found only once the
            // writer has started changing the file. quick_check reads every page once: the
            // same order of work as the recovery read that follows at start.
            let verdict = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check(1)") } ?? ""
            if verdict != "ok" {
                throw StoreError(.storeCorrupt, "\(path) is damaged (\(verdict)).")
            }
            try queue.close()
        } catch {
            throw StoreErrors.map(error, path: path, while: "checking")
        }
    }

    /// Opens an existing, already migrated file read-only.
    static func openForReading(path: String) throws(StoreError) -> DatabaseQueue {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.storeCannotOpen, "\(path) does not exist.")
        }
        var configuration = Configuration()
        configuration.label = "certsim.store.reader"
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeoutSeconds)
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw StoreErrors.map(error, path: path, while: "opening")
        }
        try Migrations.checkCompatible(queue, path: path)
        let version: Int32
        do {
            version = try queue.read { db in try Int32.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
        } catch {
            throw StoreErrors.map(error, path: path, while: "reading the schema version")
        }
        if version < Schema.version {
            throw StoreError(.storeCannotOpen, "\(path) has schema version \(version), older than \(Schema.version); open it with the daemon once to migrate it.")
        }
        return queue
    }

    /// Refuses a location the store cannot write, before SQLite gets a chance to fall back to
    /// a read-only open. Uses access(2), which — unlike the permission bits alone — also fails
    /// for root on a read-only file system (EROFS) and on an immutable file or directory
    /// (EPERM). The directory must be writable too: SQLite creates `-wal` and `-shm` beside
    /// the file.
    static func checkWritable(path: String) throws(StoreError) {
        var isDirectory: ObjCBool = false
        let directory = (path as NSString).deletingLastPathComponent
        let directoryPath = directory.isEmpty ? "." : directory
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                throw StoreError(.storeCannotOpen, "\(path) is a directory, not a store file.")
            }
            if access(path, W_OK) != 0 {
                throw StoreError(.storeReadOnly, "\(path) cannot be written (\(String(cString: strerror(errno)))).")
            }
        }
        guard FileManager.default.fileExists(atPath: directoryPath, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw StoreError(.storeCannotOpen, "\(path): the directory \(directoryPath) does not exist.")
        }
        if access(directoryPath, W_OK) != 0 {
            throw StoreError(.storeReadOnly, "\(path): the directory \(directoryPath) cannot be written (\(String(cString: strerror(errno)))); the store needs it for its -wal and -shm files.")
        }
    }
}

/// Maps SQLite / GRDB failures to ``StoreError``.
enum StoreErrors {
    static func map(_ error: any Error, path: String, while doing: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else {
            return StoreError(.storeIO, "\(path): \(doing) failed: \(error)")
        }
        let detail = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return StoreError(.storeCorrupt, "\(path) is not a SQLite database or is damaged (\(detail)).")
        case .SQLITE_READONLY, .SQLITE_PERM:
            return StoreError(.storeReadOnly, "\(path) cannot be written (\(detail)).")
        case .SQLITE_CANTOPEN:
            return StoreError(.storeCannotOpen, "\(path) cannot be opened (\(detail)).")
        default:
            return StoreError(.storeIO, "\(path): \(doing) failed (\(detail)).")
        }
    }
}
