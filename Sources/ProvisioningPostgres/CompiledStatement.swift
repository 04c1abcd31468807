import Logging
import PostgresNIO
import Synchronization

/// A statement whose text is known only at run time (compiled from config:
/// the precedence rules, the schema), run as a named prepared statement:
/// parsed and planned once per connection instead of on every call. For the
/// upsert, parse and plan were about 70% of its time (BENCHMARKS.md).
///
/// PostgresNIO names a prepared statement by its type's static `name` and
/// `sql`; a task-local carries the text of this call to them (they are read
/// in `execute`, within the same task), and the name is derived from the
/// text, so that each distinct text is its own statement on a connection.
struct CompiledStatement: PostgresPreparedStatement {
    /// The text and the name it is prepared under. A connection keeps a
    /// failed preparation (the table missing during a restore, say) and
    /// fails every later use of that name with it, so a server error moves
    /// the name on: the next call prepares afresh.
    final class Text: Sendable {
        let sql: String
        private let base: String
        private let generation = Atomic<Int>(0)

        init(_ sql: String) {
            self.sql = sql
            // FNV-1a of the text: a stable name, different for different texts.
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for byte in sql.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            self.base = "provisiond_\(String(hash, radix: 16))"
        }

        var name: String { "\(base)_\(generation.load(ordering: .relaxed))" }

        func renew() { generation.add(1, ordering: .relaxed) }
    }

    @TaskLocal static var current = Text("")
    static var name: String { current.name }
    static var sql: String { current.sql }

    typealias Row = PostgresRow
    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }

    /// Whether a server error may have left a failed or stale preparation
    /// behind under the statement's name: a syntax or access-rule error
    /// (class 42), an unsupported feature (0A000, e.g. a cached plan after a
    /// schema change), an invalid statement name (26000). Constraint
    /// violations, serialization failures and the like leave it sound, and
    /// renaming on them would prepare again on every connection for nothing.
    static func mayHaveSpoiledPreparation(_ sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("42") || sqlState == "0A000" || sqlState == "26000"
    }

    /// Every row of `text` with `bindings` on `connection`.
    static func rows(_ text: Text, _ bindings: PostgresBindings, on connection: PostgresConnection, logger: Logger) async throws -> [PostgresRow] {
        do {
            return try await $current.withValue(text) {
                var rows: [PostgresRow] = []
                for try await row in try await connection.execute(CompiledStatement(bindings: bindings), logger: logger) { rows.append(row) }
                return rows
            }
        } catch let error as PSQLError where error.code == .server && Self.mayHaveSpoiledPreparation(error.serverInfo?[.sqlState]) {
            text.renew()
            throw error
        }
    }
}
