import Foundation
import Hummingbird
import Provisioning

/// The contract's `user` object; absent values are `null`.
/// `airtable_record_id` is the record id of the link to `firstSource` (the
/// first source of `resolution.order`); `links` has every link.
struct UserResponse: Encodable {
    let user: StoredUser
    let firstSource: String

    enum CodingKeys: String, CodingKey {
        case id, email, role, links
        case displayName = "display_name"
        case airtableRecordID = "airtable_record_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(user.id.uuidString.lowercased(), forKey: .id)
        try container.encode(user.email, forKey: .email)
        try container.encode(user.displayName, forKey: .displayName)
        try container.encode(user.role, forKey: .role)
        try container.encode(user.recordID(in: firstSource), forKey: .airtableRecordID)
        try container.encode(user.linkIDs, forKey: .links)
        try container.encode(user.createdAt, forKey: .createdAt)
        try container.encode(user.updatedAt, forKey: .updatedAt)
    }
}

extension UserResponse {
    /// The same object as `encode(to:)` writes with `jsonResponse`'s
    /// encoder (sorted keys, whole-second dates), by hand: `GET /api/auth/me`
    /// answers it at thousands per second.
    func appendJSON(to out: inout String) {
        func field(_ key: String, _ value: String?, last: Bool = false) {
            JSONText.append(string: key, to: &out)
            out.append(":")
            if let value { JSONText.append(string: value, to: &out) } else { out.append("null") }
            if !last { out.append(",") }
        }
        out.append("{")
        field("airtable_record_id", user.recordID(in: firstSource))
        field("created_at", JSONText.timestamp(user.createdAt, milliseconds: false))
        field("display_name", user.displayName)
        field("email", user.email)
        field("id", user.id.uuidString.lowercased())
        JSONText.append(string: "links", to: &out)
        out.append(":{")
        for (index, (source, recordID)) in user.linkIDs.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out.append(",") }
            JSONText.append(string: source, to: &out)
            out.append(":")
            JSONText.append(string: recordID, to: &out)
        }
        out.append("},")
        field("role", user.role)
        field("updated_at", JSONText.timestamp(user.updatedAt, milliseconds: false), last: true)
        out.append("}")
    }
}

/// `{"user": {...}}`.
struct UserEnvelope: Encodable {
    let user: UserResponse

    /// The body by hand (`UserResponse.appendJSON`).
    var json: String {
        var out = #"{"user":"#
        user.appendJSON(to: &out)
        out.append("}")
        return out
    }

    func response() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}

/// The body of a successful login or refresh.
struct TokenResponse: Encodable {
    let accessToken: String
    let tokenType = "Bearer"
    let expiresIn: Int
    let refreshToken: String
    let user: UserResponse

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
        case user
    }
}
