import Provisioning

/// The three statements of the store's write path, compiled once from the
/// precedence and soft-delete policies.
struct UpsertStatements: Sendable {
    /// Insert, or merge into the row holding the record id.
    let byRecordID: String
    /// Insert, or merge into (and link) the row holding the canonical email.
    let byEmail: String
    /// Merge into the row holding the record id; for records without an email.
    let updateByRecordID: String
    /// `byRecordID` and a webhook's event row as one autocommit statement
    /// ($11 event id, $12 body digest): the event row is written only with
    /// the upsert's row, and an event id already recorded fails the whole
    /// statement (`webhook_events_pkey`), undoing the upsert with it.
    let byRecordIDRecordingEvent: String

    static let insertColumns = "id, email, email_canonical, display_name, role, password_hash, attributes, airtable_record_id, source_snapshot, source_modified_at"
    static let insertValues = "$1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::jsonb, $10"
    static let returning = "RETURNING \(UserRow.columns), (xmax = 0) AS inserted, (u.updated_at = now()) AS changed"

    init(merge: MergeSQL, schema: PostgresSchema) {
        byRecordID = """
            INSERT INTO \(schema.users) AS u (\(Self.insertColumns)) VALUES (\(Self.insertValues))
            ON CONFLICT (airtable_record_id) DO UPDATE SET
                \(merge.setClause())
            WHERE \(MergeSQL.freshnessGuard)
            \(Self.returning)
            """
        byEmail = """
            INSERT INTO \(schema.users) AS u (\(Self.insertColumns)) VALUES (\(Self.insertValues))
            ON CONFLICT (email_canonical) DO UPDATE SET
                \(merge.setClause(recordID: "COALESCE(u.airtable_record_id, excluded.airtable_record_id)"))
            WHERE (u.airtable_record_id IS NULL OR excluded.airtable_record_id IS NULL
                   OR u.airtable_record_id = excluded.airtable_record_id)
              AND \(MergeSQL.freshnessGuard)
            \(Self.returning)
            """
        byRecordIDRecordingEvent = """
            WITH up AS (\(byRecordID)),
            event AS (
                INSERT INTO \(schema.webhookEvents) (event_id, body_sha256, outcome, user_id)
                SELECT $11::text, $12::text,
                       CASE WHEN up.inserted THEN 'inserted' WHEN up.changed THEN 'updated' ELSE 'unchanged' END, up.id
                FROM up)
            SELECT * FROM up
            """
        updateByRecordID = """
            UPDATE \(schema.users) AS u SET
                \(merge.setClause())
            FROM (SELECT $2::text AS email, $3::text AS email_canonical, $4::text AS display_name, $5::text AS role,
                         $6::text AS password_hash, $7::jsonb AS attributes, $8::text AS airtable_record_id,
                         $9::jsonb AS source_snapshot, $10::timestamptz AS source_modified_at, $1::uuid AS id) AS excluded
            WHERE u.airtable_record_id = excluded.airtable_record_id AND \(MergeSQL.freshnessGuard)
            RETURNING \(UserRow.columns), false AS inserted, (u.updated_at = now()) AS changed
            """
    }
}
