import Crypto
import Foundation
import Hummingbird
import Logging
import Provisioning
import ProvisioningOIDC

/// Kind `oidc`: `POST /api/auth/oidc` with an id_token from the app's
/// identity provider (CONTRACT.md §7).
struct OIDCCredentialFactory: CredentialRoutesFactory {
    let kind = "oidc"
    let sampleConfig = """
        - kind: oidc                   # POST /api/auth/oidc: an id_token from the app's identity provider
          issuer: https://accounts.example.com     # discovery at {issuer}/.well-known/openid-configuration
          client_id: app-client-id                 # the id_token's `aud` must contain it
          require_email_verified: true
          timeout_ms: 2000                         # discovery and JWKS requests
        """

    func decode(_ section: ConfigSection, registry: KindRegistry) -> OIDCSettings? {
        let issuer = section.requiredString("issuer")
        if let issuer, !Self.isAcceptableIssuer(issuer) {
            section.problem(at: "issuer", "expected an https URL (http only for a loopback host), got '\(issuer)'")
        }
        let clientID = section.requiredString("client_id")
        if let clientID, clientID.isEmpty { section.problem(at: "client_id", "must not be empty") }
        let requireVerified = section.bool("require_email_verified", default: true)
        let timeout = section.int("timeout_ms", default: 2000, range: 1...60_000)
        guard let issuer, let clientID else { return nil }
        return OIDCSettings(issuer: issuer, clientID: clientID, requireEmailVerified: requireVerified, timeoutMilliseconds: timeout)
    }

    static func isAcceptableIssuer(_ text: String) -> Bool {
        guard let url = URL(string: text), let host = url.host else { return false }
        if url.scheme == "https" { return true }
        return url.scheme == "http" && (host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127."))
    }

    func routes(_ settings: OIDCSettings, context: CredentialRouteContext) async throws -> any CredentialRoutes {
        guard let identities = context.pipeline.externalIdentities else {
            throw CredentialRoutesError.missingStoreCapability(kind: kind, capability: "external identities")
        }
        return OIDCRoutes(signIn: context.signIn, verifier: OIDCVerifier(settings: settings), identities: identities)
    }
}

struct OIDCRoutes: CredentialRoutes {
    let signIn: SignInContext
    let verifier: OIDCVerifier
    let identities: any ExternalIdentityStore

    /// id_tokens are a few KiB; a larger one is refused before any work.
    static let maxTokenBytes = 16_384

    func register(on router: Router<AppRequestContext>) {
        router.post("/api/auth/oidc") { request, context in try await oidc(request, context) }
    }

    struct OIDCRequest: Decodable {
        let idToken: String
        let nonce: String?
        enum CodingKeys: String, CodingKey {
            case idToken = "id_token"
            case nonce
        }
    }

    func oidc(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let body: OIDCRequest = try await RequestBody.decode(request, context)
        guard body.idToken.utf8.count <= Self.maxTokenBytes else {
            throw APIError(.badRequest, "invalid_request", detail: "id_token is longer than \(Self.maxTokenBytes) bytes")
        }
        // No email is known before the token is verified: the token's hash
        // stands in for it, so the per-address limit is what holds.
        let throttleKey = "oidc:" + Hex.encode(SHA256.hash(data: Data(body.idToken.utf8)).prefix(16))
        return try await signIn.attempt(emailKey: throttleKey, request: request, context: context, arrival: arrival) {
            let identity: OIDCIdentity
            do throws(OIDCRejection) {
                identity = try await verifier.verify(idToken: body.idToken, nonce: body.nonce)
            } catch {
                if case .providerUnavailable(let why) = error {
                    signIn.logger.error("auth.oidc_unavailable", metadata: ["event": "auth.oidc_unavailable", "detail": .string(why)])
                    throw APIError(.serviceUnavailable, "temporarily_unavailable", headers: [.retryAfter: "5"])
                }
                signIn.logger.info("auth.oidc_refused", metadata: ["event": "auth.oidc_refused", "reason": .string(error.description)])
                throw SignInContext.invalidCredentials
            }
            guard let user = try await user(for: identity) else {
                signIn.logger.info("auth.oidc_refused", metadata: [
                    "event": "auth.oidc_refused", "reason": "no provider knows the email", "email": .string(EmailMask.mask(identity.email))])
                throw SignInContext.invalidCredentials
            }
            try await signIn.storeCall(orElse: SignInContext.invalidCredentials) {
                try await identities.remember(issuer: identity.issuer, subject: identity.subject, userID: user.id)
            }
            return try await signIn.issueTokens(for: user, signIn: SignIn(method: .external, at: Date()))
        }
    }

    /// The user this identity signed in before (by issuer and subject, so
    /// an email changed at the provider still finds them), else the user of
    /// its email through the pipeline (read-through included). Nobody is
    /// created that no provider knows.
    private func user(for identity: OIDCIdentity) async throws -> StoredUser? {
        let known = try await signIn.storeCall(orElse: SignInContext.invalidCredentials) {
            try await identities.userID(issuer: identity.issuer, subject: identity.subject)
        }
        if let known, let user = try await signIn.resolve(orElse: SignInContext.invalidCredentials, { try await signIn.resolver.resolve(userID: known, links: [:]) }) {
            return signIn.softDelete.allowsLogin(user) ? user : nil
        }
        return try await signIn.usableUser(email: identity.email)
    }
}
