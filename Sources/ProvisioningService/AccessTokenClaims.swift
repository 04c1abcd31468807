import Foundation
import JWTKit
import Provisioning

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
    /// RFC 8176 methods of the sign-in behind this token (`pwd`, `otp`, `ext`).
    var amr: [String]?
    /// When that sign-in happened (NumericDate); kept across refreshes.
    var authTime: Int?

    enum CodingKeys: String, CodingKey {
        case iss, aud, sub, iat, exp, jti, links, amr
        case airtableRecordID = "airtable_record_id"
        case authTime = "auth_time"
    }

    /// Whether the token comes from an emailed-code or id_token sign-in at
    /// most `seconds` ago (it may then set a password without the current one).
    func isRecentPasswordlessSignIn(within seconds: TimeInterval, now: Date) -> Bool {
        guard let amr, let authTime, amr.contains(where: { $0 == SignIn.Method.oneTimeCode.rawValue || $0 == SignIn.Method.external.rawValue })
        else { return false }
        return now.timeIntervalSince1970 - TimeInterval(authTime) <= seconds
    }

    /// The links to resolve by; a token of an earlier version has only the first source's id.
    func resolvableLinks(firstSource: String) -> [String: String] {
        links ?? airtableRecordID.map { [firstSource: $0] } ?? [:]
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
