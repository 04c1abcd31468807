import Foundation

/// How and when a login proved who the user is: an access token's `amr`
/// (RFC 8176) and `auth_time`. Kept with the refresh-token family, so a
/// refresh carries the original sign-in, never a fresh one.
public struct SignIn: Sendable, Equatable {
    public enum Method: String, Sendable, CaseIterable {
        /// A password (`pwd`).
        case password = "pwd"
        /// A one-time code or link mailed to the user (`otp`).
        case oneTimeCode = "otp"
        /// An identity provider's id_token (`ext`).
        case external = "ext"
    }

    public var method: Method
    public var at: Date

    public init(method: Method, at: Date) {
        self.method = method
        self.at = at
    }
}
