import Foundation
import Provisioning

/// The contract's `user` object; absent values are `null`.
struct UserResponse: Encodable {
    let user: StoredUser

    enum CodingKeys: String, CodingKey {
        case id, email, role
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
        try container.encode(user.recordID, forKey: .airtableRecordID)
        try container.encode(user.createdAt, forKey: .createdAt)
        try container.encode(user.updatedAt, forKey: .updatedAt)
    }
}

/// `{"user": {...}}`.
struct UserEnvelope: Encodable {
    let user: UserResponse
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
