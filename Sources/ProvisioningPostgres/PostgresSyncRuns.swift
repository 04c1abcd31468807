import Foundation
import PostgresNIO
import Provisioning

/// Pass reports in `sync_runs` (migration 8).
extension PostgresSyncState {
    public func recordRun(_ run: SyncRun) async throws {
        let counts = String(decoding: try JSONEncoder().encode(run.counts), as: UTF8.self)
        try await mapped {
            _ = try await client.query("""
                INSERT INTO \(unescaped: schema.syncRuns)
                    (kind, sources, started_at, finished_at, outcome, counts, deleted_user_ids, refused_user_ids, error)
                VALUES (\(run.kind), \(run.sources), \(run.startedAt), \(run.finishedAt), \(run.outcome), \(counts)::jsonb,
                        \(run.deletedUserIDs), \(run.refusedUserIDs), \(run.error))
                """, logger: logger)
            // Only the latest reports are kept (by the primary key: no scan).
            _ = try await client.query("""
                DELETE FROM \(unescaped: schema.syncRuns) WHERE id <= (SELECT max(id) FROM \(unescaped: schema.syncRuns)) - \(SyncRun.kept)
                """, logger: logger)
        }
    }

    public func recentRuns(last count: Int) async throws -> [SyncRun] {
        try await mapped {
            let rows = try await client.query("""
                SELECT kind, sources, started_at, finished_at, outcome, counts::text, deleted_user_ids, refused_user_ids, error
                FROM \(unescaped: schema.syncRuns) ORDER BY id DESC LIMIT \(max(count, 0))
                """, logger: logger)
            var runs: [SyncRun] = []
            for try await (kind, sources, started, finished, outcome, counts, deleted, refused, error)
                in rows.decode((String, String, Date, Date, String, String, [String], [String], String?).self) {
                runs.append(SyncRun(
                    kind: kind, sources: sources, startedAt: started, finishedAt: finished, outcome: outcome,
                    counts: (try? JSONDecoder().decode([String: Int].self, from: Data(counts.utf8))) ?? [:],
                    deletedUserIDs: deleted, refusedUserIDs: refused, error: error))
            }
            return runs
        }
    }
}
