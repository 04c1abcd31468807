import Provisioning

/// The store's write statements for a source record, compiled once from
/// the precedence and soft-delete policies: `upsert` (a record with an id),
/// the same recording a webhook's event row, and `upsertByEmail` (without). In order: lock the record's link (`source`,
/// `record_id`); if there is one, merge into its user against that link's
/// snapshot and time (the stale guard) and move the link on; if not, insert
/// the user or merge into the one holding the email, and link it. The
/// outcome (the contract's string) is decided here and nowhere else. No row
/// comes back when nothing applied (stale, email owned by another record of
/// the source, or no email and no link): `UpsertWriter` tells which.
struct UpsertStatements: Sendable {
    /// The bound parameters, in `UpsertWriter.bindings` order.
    enum Parameter {
        static let id = "$1::uuid"
        static let email = "$2::text"
        static let emailCanonical = "$3::text"
        static let displayName = "$4::text"
        static let role = "$5::text"
        static let passwordHash = "$6::text"
        static let attributes = "$7::jsonb"
        static let recordID = "$8::text"
        static let snapshot = "$9::jsonb"
        static let modifiedAt = "$10::timestamptz"
        static let source = "$11::text"
        /// Only in `upsertRecordingEvent`.
        static let eventID = "$12::text"
        static let bodySHA256 = "$13::text"
    }

    /// For a record with an id.
    let upsert: CompiledStatement.Text
    /// For a record without an id: by canonical email only, merged against
    /// the user's link to the record's source (if any), writing no link.
    let upsertByEmail: CompiledStatement.Text
    /// `upsert` and a webhook's event row as one autocommit statement: the
    /// event row is written only with the upsert's row, and an event id
    /// already recorded fails the whole statement (`webhook_events_pkey`),
    /// undoing the upsert with it.
    let upsertRecordingEvent: CompiledStatement.Text

    /// The statement for `record`.
    func upsert(for record: SourceRecord) -> CompiledStatement.Text {
        record.recordID == nil ? upsertByEmail : upsert
    }

    init(merge: MergeSQL, schema: PostgresSchema) {
        typealias P = Parameter
        let columns = UserRow.columns(schema)
        // With an id, the email's user may only be linked when it has no
        // link to the source yet, so its snapshot of the source is NULL: a
        // literal, where a subquery would be planned once per CASE.
        let ctes = [
            """
            link AS (
                SELECT user_id, snapshot, modified_at FROM \(schema.userLinks)
                WHERE source = \(P.source) AND record_id = \(P.recordID) FOR UPDATE)
            """,
            """
            updated AS (
                UPDATE \(schema.users) AS u SET
                    \(merge.setClause(snapshot: "link.snapshot"))
                FROM link
                WHERE u.id = link.user_id AND (link.modified_at IS NULL OR \(P.modifiedAt) >= link.modified_at)
                RETURNING \(columns), CASE WHEN u.updated_at = now() THEN 'updated' ELSE 'unchanged' END AS outcome)
            """,
            """
            relinked AS (
                UPDATE \(schema.userLinks) AS l SET snapshot = \(P.snapshot), modified_at = \(P.modifiedAt)
                FROM updated WHERE l.source = \(P.source) AND l.record_id = \(P.recordID))
            """,
            """
            inserted AS (
                INSERT INTO \(schema.users) AS u (id, email, email_canonical, display_name, role, password_hash, attributes)
                SELECT \(P.id), \(P.email), \(P.emailCanonical), \(P.displayName), \(P.role), \(P.passwordHash), \(P.attributes)
                WHERE \(P.email) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM link)
                ON CONFLICT (email_canonical) DO UPDATE SET
                    \(merge.setClause(snapshot: "NULL::jsonb", alsoChanged: "true"))
                WHERE NOT EXISTS (SELECT 1 FROM \(schema.userLinks) x WHERE x.user_id = u.id AND x.source = \(P.source))
                RETURNING \(columns), CASE WHEN xmax = 0 THEN 'inserted' ELSE 'linked' END AS outcome)
            """,
            """
            new_link AS (
                INSERT INTO \(schema.userLinks) (source, record_id, user_id, snapshot, modified_at)
                SELECT \(P.source), \(P.recordID), inserted.id, \(P.snapshot), \(P.modifiedAt) FROM inserted)
            """,
            "up AS (SELECT * FROM updated UNION ALL SELECT * FROM inserted)",
        ]
        upsert = CompiledStatement.Text("WITH " + ctes.joined(separator: ",\n") + "\nSELECT * FROM up")
        let event = """
            event AS (
                INSERT INTO \(schema.webhookEvents) (event_id, body_sha256, outcome, user_id)
                SELECT \(P.eventID), \(P.bodySHA256), up.outcome, up.id FROM up)
            """
        upsertRecordingEvent = CompiledStatement.Text("WITH " + (ctes + [event]).joined(separator: ",\n") + "\nSELECT * FROM up")
        let ownLink = "(SELECT x.snapshot FROM \(schema.userLinks) x WHERE x.user_id = u.id AND x.source = \(P.source))"
        // $8 and $9 are NULL here; named so that every parameter has a type.
        upsertByEmail = CompiledStatement.Text("""
            INSERT INTO \(schema.users) AS u (id, email, email_canonical, display_name, role, password_hash, attributes)
            SELECT \(P.id), \(P.email), \(P.emailCanonical), \(P.displayName), \(P.role), \(P.passwordHash), \(P.attributes)
            WHERE \(P.recordID) IS NULL AND \(P.snapshot) IS NOT DISTINCT FROM \(P.snapshot)
            ON CONFLICT (email_canonical) DO UPDATE SET
                \(merge.setClause(snapshot: ownLink))
            WHERE NOT EXISTS (SELECT 1 FROM \(schema.userLinks) x
                              WHERE x.user_id = u.id AND x.source = \(P.source) AND x.modified_at > \(P.modifiedAt))
            RETURNING \(columns), CASE WHEN xmax = 0 THEN 'inserted' WHEN u.updated_at = now() THEN 'updated' ELSE 'unchanged' END AS outcome
            """)
    }
}
