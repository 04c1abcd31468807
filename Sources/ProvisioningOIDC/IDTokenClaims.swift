import Foundation

/// The claims of an id_token that sign-in reads. A claim of the wrong JSON
/// type reads as missing; `OIDCVerifier.check` decides what is required.
struct IDTokenClaims: Decodable, Sendable {
    var iss: String?
    var sub: String?
    /// `aud` as a string or an array of strings.
    var aud: [String]?
    var exp: Double?
    var iat: Double?
    var authTime: Double?
    var nonce: String?
    var email: String?
    var emailVerified: Bool?

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, nonce, email
        case authTime = "auth_time"
        case emailVerified = "email_verified"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iss = try? container.decode(String.self, forKey: .iss)
        sub = try? container.decode(String.self, forKey: .sub)
        if let single = try? container.decode(String.self, forKey: .aud) {
            aud = [single]
        } else {
            aud = try? container.decode([String].self, forKey: .aud)
        }
        exp = try? container.decode(Double.self, forKey: .exp)
        iat = try? container.decode(Double.self, forKey: .iat)
        authTime = try? container.decode(Double.self, forKey: .authTime)
        nonce = try? container.decode(String.self, forKey: .nonce)
        email = try? container.decode(String.self, forKey: .email)
        // Some providers send "true" as a string.
        if let flag = try? container.decode(Bool.self, forKey: .emailVerified) {
            emailVerified = flag
        } else if let text = try? container.decode(String.self, forKey: .emailVerified) {
            emailVerified = text.lowercased() == "true"
        }
    }
}
