import Foundation
import Hummingbird
import Logging
import Provisioning

/// `POST /api/auth/refresh`, `GET|PATCH /api/auth/me` and
/// `GET /.well-known/jwks.json` (CONTRACT.md §3): the routes every
/// deployment has, whatever its credential kinds. Sign-in routes belong to
/// the credential kinds (`Credentials/`).
struct AuthRoutes: Sendable {
    let signIn: SignInContext

    func register(on router: Router<AppRequestContext>) {
        router.post("/api/auth/refresh") { request, context in try await refresh(request, context) }
        router.get("/api/auth/me") { request, context in try await me(request, context) }
        router.patch("/api/auth/me") { request, context in try await updateMe(request, context) }
        router.get("/.well-known/jwks.json") { _, _ in try jsonResponse(signIn.tokens.jwks) }
    }

    // MARK: Refresh

    struct RefreshRequest: Decodable {
        let refreshToken: String
        enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
    }

    func refresh(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body: RefreshRequest = try await RequestBody.decode(request, context)
        let newToken = RefreshTokenCodec.generate()
        let rotation = try await signIn.storeCall(orElse: SignInContext.invalidGrant) {
            try await signIn.refreshTokens.rotate(
                presentedHash: RefreshTokenCodec.hash(body.refreshToken), newHash: RefreshTokenCodec.hash(newToken),
                expiresAt: Date().addingTimeInterval(TimeInterval(signIn.auth.refreshTokenTTLSeconds)))
        }
        switch rotation {
        case .invalid:
            throw SignInContext.invalidGrant
        case .reused(let familyID):
            signIn.logger.warning("auth.refresh_reuse", metadata: ["event": "auth.refresh_reuse", "family_id": .string(familyID.uuidString)])
            throw SignInContext.invalidGrant
        case .rotated(let userID, _, let original):
            guard let user = try await signIn.resolve(orElse: SignInContext.invalidGrant, { try await signIn.resolver.resolve(userID: userID, links: [:]) }),
                  signIn.softDelete.allowsLogin(user) else {
                try await signIn.storeCall(orElse: SignInContext.invalidGrant) { try await signIn.refreshTokens.revokeAll(userID: userID) }
                throw SignInContext.invalidGrant
            }
            return try await signIn.tokenResponse(for: user, refreshToken: newToken, signIn: original)
        }
    }

    // MARK: Me

    func me(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let user = try await signIn.authenticatedUser(request, recentIsEnough: true).user
        return UserEnvelope(user: UserResponse(user: user, firstSource: signIn.firstSource)).response()
    }

    struct UpdateMeRequest: Decodable {
        let displayName: String
        enum CodingKeys: String, CodingKey { case displayName = "display_name" }
    }

    func updateMe(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let user = try await signIn.authenticatedUser(request, recentIsEnough: false).user
        let body: UpdateMeRequest = try await RequestBody.decode(request, context)
        let refused = APIError(.badRequest, "invalid_request", detail: "display_name cannot be stored")
        guard let updated = try await signIn.storeCall(orElse: refused, {
            try await signIn.store.updateFromApp(id: user.id, values: [Attribute.displayName: body.displayName])
        }) else {
            throw SignInContext.invalidToken
        }
        return UserEnvelope(user: UserResponse(user: updated, firstSource: signIn.firstSource)).response()
    }
}
