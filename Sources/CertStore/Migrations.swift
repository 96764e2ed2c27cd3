import CertCore
import GRDB

/// Brings a store file to ``Schema/version`` and refuses files it must not touch.
///
/// Owned by CertStore; run by ``ResultWriter`` when it opens a file. Migrations are GRDB
/// `DatabaseMigrator` steps, each in its own transaction, and each ends by writing its number
/// into `PRAGMA user_version` (transactional in SQLite), so the version and the tables never
/// disagree. A new version appends a step here and bumps ``Schema/version``; steps are never
/// edited once shipped.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            for statement in Schema.version1 {
                try db.execute(sql: statement)
            }
            try db.execute(sql: "PRAGMA application_id = \(Schema.applicationId)")
            try db.execute(sql: "PRAGMA user_version = 1")
        }
        migrator.registerMigration("v2") { db in
            for statement in Schema.version2 {
                try db.execute(sql: statement)
            }
            try db.execute(sql: "PRAGMA user_version = 2")
        }
        migrator.registerMigration("v3") { db in
            for statement in Schema.version3 {
                try db.execute(sql: statement)
            }
            try db.execute(sql: "PRAGMA user_version = 3")
        }
        migrator.registerMigration("v4") { db in
            for statement in Schema.version4 {
                try db.execute(sql: statement)
            }
            try db.execute(sql: "PRAGMA user_version = 4")
        }
        migrator.registerMigration("v5") { db in
            for statement in Schema.version5 {
                try db.execute(sql: statement)
            }
            try db.execute(sql: "PRAGMA user_version = 5")
        }
        migrator.registerMigration("v6") { db in
            for statement in Schema.version6 {
                try db.execute(sql: statement)
            }
            try db.execute(sql: "PRAGMA user_version = 6")
        }
        return migrator
    }

    /// Refuses a newer or foreign file, then migrates. Throws `StoreError` with the path.
    static func migrate(_ queue: DatabaseQueue, path: String) throws(StoreError) {
        try checkCompatible(queue, path: path)
        do {
            try migrator.migrate(queue)
        } catch {
            throw StoreErrors.map(error, path: path, while: "migrating")
        }
    }

    /// Checks the header of an existing file: a higher `user_version` is a newer certsim;
    /// another `application_id`, or tables without our version, is another program's file.
    static func checkCompatible(_ reader: some DatabaseReader, path: String) throws(StoreError) {
        let header: (version: Int32, applicationId: Int32, tableCount: Int)
        do {
            header = try reader.read { db in
                let version = try Int32.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                let applicationId = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM sqlite_master
                    WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'
                    """) ?? 0
                return (version, applicationId, tables)
            }
        } catch {
            throw StoreErrors.map(error, path: path, while: "reading the schema version")
        }
        if header.applicationId != 0 && header.applicationId != Schema.applicationId {
            throw StoreError(.storeCorrupt, "\(path) is a SQLite file of another program (application_id \(header.applicationId)), not a certsim store.")
        }
        if header.version > Schema.version {
            throw StoreError(.storeNewerSchema, "\(path) has schema version \(header.version), newer than the \(Schema.version) this certsim knows; use a newer certsim.")
        }
        if header.version == 0 && header.tableCount > 0 {
            throw StoreError(.storeCorrupt, "\(path) holds tables but no certsim schema version; it is not a certsim store.")
        }
    }
}
