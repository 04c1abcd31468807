import Provisioning

/// The store's one write statement for a source record, compiled once from
/// the precedence and soft-delete policies, and the same statement recording
/// a webhook's event row. In order: lock the record's link (`source`,
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

    let upsert: String
    /// `upsert` and a webhook's event row as one autocommit statement: the
    /// event row is written only with the upsert's row, and an event id
    /// already recorded fails the whole statement (`webhook_events_pkey`),
    /// undoing the upsert with it.
    let upsertRecordingEvent: String

    init(merge: MergeSQL, schema: PostgresSchema) {
        typealias P = Parameter
        let columns = UserRow.columns(schema)
        let ownLinkSnapshot = "(SELECT x.snapshot FROM \(schema.userLinks) x WHERE x.user_id = u.id AND x.source = \(P.source))"
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
            // A record without an id merges against its source's link, if
            // the user has one; with an id, a user linked to another record
            // of the source is not taken over.
            """
            inserted AS (
                INSERT INTO \(schema.users) AS u (id, email, email_canonical, display_name, role, password_hash, attributes)
                SELECT \(P.id), \(P.email), \(P.emailCanonical), \(P.displayName), \(P.role), \(P.passwordHash), \(P.attributes)
                WHERE \(P.email) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM link)
                ON CONFLICT (email_canonical) DO UPDATE SET
                    \(merge.setClause(snapshot: ownLinkSnapshot, alsoChanged: "\(P.recordID) IS NOT NULL"))
                WHERE CASE WHEN \(P.recordID) IS NULL
                    THEN NOT EXISTS (SELECT 1 FROM \(schema.userLinks) x
                                     WHERE x.user_id = u.id AND x.source = \(P.source) AND x.modified_at > \(P.modifiedAt))
                    ELSE NOT EXISTS (SELECT 1 FROM \(schema.userLinks) x WHERE x.user_id = u.id AND x.source = \(P.source)) END
                RETURNING \(columns), CASE WHEN xmax = 0 THEN 'inserted' WHEN \(P.recordID) IS NOT NULL THEN 'linked'
                    WHEN u.updated_at = now() THEN 'updated' ELSE 'unchanged' END AS outcome)
            """,
            """
            new_link AS (
                INSERT INTO \(schema.userLinks) (source, record_id, user_id, snapshot, modified_at)
                SELECT \(P.source), \(P.recordID), inserted.id, \(P.snapshot), \(P.modifiedAt) FROM inserted
                WHERE \(P.recordID) IS NOT NULL)
            """,
            "up AS (SELECT * FROM updated UNION ALL SELECT * FROM inserted)",
        ]
        upsert = "WITH " + ctes.joined(separator: ",\n") + "\nSELECT * FROM up"
        let event = """
            event AS (
                INSERT INTO \(schema.webhookEvents) (event_id, body_sha256, outcome, user_id)
                SELECT \(P.eventID), \(P.bodySHA256), up.outcome, up.id FROM up)
            """
        upsertRecordingEvent = "WITH " + (ctes + [event]).joined(separator: ",\n") + "\nSELECT * FROM up"
    }
}
