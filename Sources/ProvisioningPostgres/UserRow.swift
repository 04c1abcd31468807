import Foundation
import PostgresNIO
import Provisioning

/// The `users` columns every query returns (with the user's links, as one
/// JSON object), and their decoding.
enum UserRow {
    static func columns(_ schema: PostgresSchema) -> String {
        """
        u.id, u.email, u.email_canonical, u.display_name, u.role, u.password_hash, u.attributes::text AS attributes, \
        (SELECT COALESCE(jsonb_object_agg(l.source, jsonb_build_object(\
        'id', l.record_id, 'snapshot', l.snapshot, 'modified_at', extract(epoch FROM l.modified_at))), '{}'::jsonb)::text \
        FROM \(schema.userLinks) l WHERE l.user_id = u.id) AS links, \
        u.store_updated_at, u.created_at, u.updated_at, u.deleted_at
        """
    }

    static func decode(_ row: PostgresRow) throws -> StoredUser {
        let cells = row.makeRandomAccess()
        var values = try jsonObject(cells["attributes"].decode(String.self))
        values[Attribute.email] = try cells["email"].decode(String.self)
        values[Attribute.displayName] = try cells["display_name"].decode(String?.self)
        values[Attribute.role] = try cells["role"].decode(String?.self)
        values[Attribute.passwordHash] = try cells["password_hash"].decode(String?.self)
        return StoredUser(
            id: try cells["id"].decode(UUID.self),
            values: values,
            emailCanonical: try cells["email_canonical"].decode(String.self),
            links: try links(cells["links"].decode(String.self)),
            storeUpdatedAt: try cells["store_updated_at"].decode(Date?.self),
            createdAt: try cells["created_at"].decode(Date.self),
            updatedAt: try cells["updated_at"].decode(Date.self),
            deletedAt: try cells["deleted_at"].decode(Date?.self))
    }

    /// A row of the upsert statements: the user and the write's outcome.
    static func decodeUpserted(_ row: PostgresRow) throws -> (user: StoredUser, outcome: UpsertOutcome) {
        let cells = row.makeRandomAccess()
        let text = try cells["outcome"].decode(String.self)
        guard let outcome = UpsertOutcome(rawValue: text) else { throw StoreError.unavailable("unknown upsert outcome '\(text)'") }
        return (try decode(row), outcome)
    }

    static func jsonObject(_ text: String) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        guard let dictionary = object as? [String: Any] else { return [:] }
        return dictionary.compactMapValues { $0 as? String }
    }

    /// `{"<source>": {"id", "snapshot", "modified_at": epoch seconds}}`.
    static func links(_ text: String) throws -> [String: SourceLink] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        var links: [String: SourceLink] = [:]
        for (source, value) in object {
            guard let link = value as? [String: Any], let recordID = link["id"] as? String else { continue }
            let snapshot = (link["snapshot"] as? [String: Any])?.compactMapValues { $0 as? String } ?? [:]
            let modifiedAt = (link["modified_at"] as? NSNumber).map { Date(timeIntervalSince1970: $0.doubleValue) }
            links[source] = SourceLink(recordID: recordID, snapshot: snapshot, modifiedAt: modifiedAt)
        }
        return links
    }

    static func jsonText(_ values: [String: String]) -> String {
        JSONText.object(values)
    }
}
