import Foundation
import JWTKit

/// The claims of an id_token that sign-in reads; checked by `OIDCVerifier`
/// (jwt-kit only verifies the signature).
struct IDTokenClaims: JWTPayload {
    var iss: String?
    var sub: String?
    var aud: AudienceClaim?
    var exp: Double?
    var iat: Double?
    var nonce: String?
    var email: String?
    var emailVerified: Bool?

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, nonce, email
        case emailVerified = "email_verified"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iss = try? container.decode(String.self, forKey: .iss)
        sub = try? container.decode(String.self, forKey: .sub)
        aud = try? container.decode(AudienceClaim.self, forKey: .aud)
        exp = try? container.decode(Double.self, forKey: .exp)
        iat = try? container.decode(Double.self, forKey: .iat)
        nonce = try? container.decode(String.self, forKey: .nonce)
        email = try? container.decode(String.self, forKey: .email)
        // Some providers send "true" as a string.
        if let flag = try? container.decode(Bool.self, forKey: .emailVerified) {
            emailVerified = flag
        } else if let text = try? container.decode(String.self, forKey: .emailVerified) {
            emailVerified = text.lowercased() == "true"
        }
    }

    func encode(to encoder: any Encoder) throws {}

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
