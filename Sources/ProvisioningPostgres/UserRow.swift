import Foundation
import PostgresNIO
import Provisioning

/// The `users` columns every query returns, and their decoding.
enum UserRow {
    static let columns = """
        u.id, u.email, u.email_canonical, u.display_name, u.role, u.password_hash, u.attributes::text AS attributes, \
        u.airtable_record_id, u.source_snapshot::text AS source_snapshot, u.source_modified_at, u.store_updated_at, \
        u.created_at, u.updated_at, u.deleted_at
        """

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
            recordID: try cells["airtable_record_id"].decode(String?.self),
            sourceSnapshot: try jsonObject(cells["source_snapshot"].decode(String.self)),
            sourceModifiedAt: try cells["source_modified_at"].decode(Date?.self),
            storeUpdatedAt: try cells["store_updated_at"].decode(Date?.self),
            createdAt: try cells["created_at"].decode(Date.self),
            updatedAt: try cells["updated_at"].decode(Date.self),
            deletedAt: try cells["deleted_at"].decode(Date?.self))
    }

    /// A row of the upsert statements: the user and their `inserted` and `changed` flags.
    static func decodeUpserted(_ row: PostgresRow) throws -> (user: StoredUser, inserted: Bool, changed: Bool) {
        let cells = row.makeRandomAccess()
        return (try decode(row), try cells["inserted"].decode(Bool.self), try cells["changed"].decode(Bool.self))
    }

    static func jsonObject(_ text: String) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        guard let dictionary = object as? [String: Any] else { return [:] }
        return dictionary.compactMapValues { $0 as? String }
    }

    static func jsonText(_ values: [String: String]) -> String {
        JSONText.object(values)
    }
}
