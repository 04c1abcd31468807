import Foundation
import JWTKit

/// The claims of an access token. `links` (provider name -> record id) lets
/// `me` re-provision a user missing from the store; `airtable_record_id`
/// (the first source's) is kept for tokens and readers of earlier versions.
struct AccessTokenClaims: JWTPayload {
    var iss: IssuerClaim
    var aud: AudienceClaim
    var sub: SubjectClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var jti: IDClaim
    var airtableRecordID: String?
    var links: [String: String]?

    enum CodingKeys: String, CodingKey {
        case iss, aud, sub, iat, exp, jti, links
        case airtableRecordID = "airtable_record_id"
    }

    /// The links to resolve by; a token of an earlier version has only the first source's id.
    func resolvableLinks(firstSource: String) -> [String: String] {
        links ?? airtableRecordID.map { [firstSource: $0] } ?? [:]
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
