import Foundation
import JWTKit

/// The claims of an access token. `airtable_record_id` lets `me` re-provision
/// a user missing from the store.
struct AccessTokenClaims: JWTPayload {
    var iss: IssuerClaim
    var aud: AudienceClaim
    var sub: SubjectClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var jti: IDClaim
    var airtableRecordID: String?

    enum CodingKeys: String, CodingKey {
        case iss, aud, sub, iat, exp, jti
        case airtableRecordID = "airtable_record_id"
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
