import Foundation
import Hummingbird
import Logging
import Provisioning

/// `POST /api/auth/login`, `POST /api/auth/refresh`, `GET|PATCH /api/auth/me`
/// and `GET /.well-known/jwks.json` (CONTRACT.md §3).
/// Depends on what it uses (not on the whole `BuiltPipeline`).
struct AuthRoutes: Sendable {
    let resolver: ResolutionPipeline
    let store: any IdentityStore
    let refreshTokens: any RefreshTokenRepository
    let recentUsers: RecentUsers
    let auth: AuthConfig
    let softDelete: SoftDeletePolicy
    /// The first source of `resolution.order` (`airtable_record_id`).
    let firstSource: String
    let tokens: TokenIssuer
    let passwords: PasswordVerifier
    let throttle: LoginThrottle
    let failureFloor: FailureFloor
    let clientAddress: ClientAddress
    let logger: Logger


    static let invalidCredentials = APIError(.unauthorized, "invalid_credentials")
    static let invalidGrant = APIError(.unauthorized, "invalid_grant")
    static let invalidToken = APIError(.unauthorized, "invalid_token")

    func register(on router: Router<AppRequestContext>) {
        router.post("/api/auth/login") { request, context in try await login(request, context) }
        router.post("/api/auth/refresh") { request, context in try await refresh(request, context) }
        router.get("/api/auth/me") { request, context in try await me(request, context) }
        router.patch("/api/auth/me") { request, context in try await updateMe(request, context) }
        router.get("/.well-known/jwks.json") { _, _ in try jsonResponse(tokens.jwks) }
    }

    // MARK: Login

    struct LoginRequest: Decodable {
        let email: String
        let password: String
    }

    /// RFC 5321's limit on a forward path; longer is refused before any
    /// throttle entry or lookup.
    static let maxEmailBytes = 254

    func login(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let arrival = ContinuousClock.now
        let body: LoginRequest = try await RequestBody.decode(request, context)
        guard body.password.utf8.count <= PasswordVerifier.maxPasswordBytes else {
            throw APIError(.badRequest, "invalid_request", detail: "password is longer than 72 bytes")
        }
        guard body.email.utf8.count <= Self.maxEmailBytes else {
            throw APIError(.badRequest, "invalid_request", detail: "email is longer than \(Self.maxEmailBytes) bytes")
        }
        let emailKey = EmailAddress.canonical(body.email) ?? body.email.lowercased()
        let address = clientAddress.resolve(request: request, context: context)
        let reservation: LoginThrottle.Reservation
        switch await throttle.reserve(email: emailKey, address: address) {
        case .success(let reserved):
            reservation = reserved
        case .failure(let wait):
            logger.warning("auth.throttled", metadata: ["event": "auth.throttled", "email": .string(EmailMask.mask(emailKey)), "client": .string(address)])
            throw APIError(.tooManyRequests, "too_many_requests", headers: [.retryAfter: String(wait.seconds)])
        }
        do {
            let response = try await verifiedLogin(body, emailKey: emailKey)
            throttle.settle(reservation, .succeeded)
            return response
        } catch let error as APIError where error.status == .unauthorized || error.status == .serviceUnavailable {
            throttle.settle(reservation, error.status == .unauthorized ? .failed : .unavailable)
            await failureFloor.wait(since: arrival)
            throw error
        } catch {
            throttle.settle(reservation, .succeeded)
            throw error
        }
    }

    private func verifiedLogin(_ body: LoginRequest, emailKey: String) async throws -> Response {
        let user = try await resolve(orElse: Self.invalidCredentials) { try await resolver.resolve(email: body.email) }
        let usable = user.flatMap { softDelete.allowsLogin($0) ? $0 : nil }
        // A hash is verified in every case, so every failure takes about as long.
        guard try await passwords.verify(body.password, hash: usable?.passwordHash), let usable else {
            logger.info("auth.login_failed", metadata: ["event": "auth.login_failed", "email": .string(EmailMask.mask(emailKey))])
            throw Self.invalidCredentials
        }
        await rehashIfNeeded(body.password, of: usable)
        return try await issueTokens(for: usable, familyID: UUID())
    }

    /// After a successful login, store the password at `auth.bcrypt_cost`
    /// when the stored hash has another cost or `$2y$` (an app-side write).
    /// A failure here is logged; the login still succeeds.
    private func rehashIfNeeded(_ password: String, of user: StoredUser) async {
        guard let hash = user.passwordHash else { return }
        do {
            guard let fresh = try await passwords.rehash(password, verified: hash, cost: auth.bcryptCost) else { return }
            guard try await store.replacePasswordHash(id: user.id, verified: hash, fresh: fresh) else { return }
            logger.info("auth.password_rehashed", metadata: ["event": "auth.password_rehashed", "user_id": .string(user.id.uuidString.lowercased())])
        } catch {
            logger.warning("auth.rehash_failed", metadata: ["event": "auth.rehash_failed", "user_id": .string(user.id.uuidString.lowercased()), "detail": .string("\(error)")])
        }
    }

    // MARK: Refresh

    struct RefreshRequest: Decodable {
        let refreshToken: String
        enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
    }

    func refresh(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body: RefreshRequest = try await RequestBody.decode(request, context)
        let newToken = RefreshTokenCodec.generate()
        let rotation = try await storeCall(orElse: Self.invalidGrant) {
            try await refreshTokens.rotate(
                presentedHash: RefreshTokenCodec.hash(body.refreshToken), newHash: RefreshTokenCodec.hash(newToken),
                expiresAt: Date().addingTimeInterval(TimeInterval(auth.refreshTokenTTLSeconds)))
        }
        switch rotation {
        case .invalid:
            throw Self.invalidGrant
        case .reused(let familyID):
            logger.warning("auth.refresh_reuse", metadata: ["event": "auth.refresh_reuse", "family_id": .string(familyID.uuidString)])
            throw Self.invalidGrant
        case .rotated(let userID, _):
            guard let user = try await resolve(orElse: Self.invalidGrant, { try await resolver.resolve(userID: userID, links: [:]) }),
                  softDelete.allowsLogin(user) else {
                try await storeCall(orElse: Self.invalidGrant) { try await refreshTokens.revokeAll(userID: userID) }
                throw Self.invalidGrant
            }
            return try await tokenResponse(for: user, refreshToken: newToken)
        }
    }

    // MARK: Me

    func me(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let user = try await authenticatedUser(request, recentIsEnough: true)
        return UserEnvelope(user: UserResponse(user: user, firstSource: firstSource)).response()
    }

    struct UpdateMeRequest: Decodable {
        let displayName: String
        enum CodingKeys: String, CodingKey { case displayName = "display_name" }
    }

    func updateMe(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let user = try await authenticatedUser(request, recentIsEnough: false)
        let body: UpdateMeRequest = try await RequestBody.decode(request, context)
        let refused = APIError(.badRequest, "invalid_request", detail: "display_name cannot be stored")
        guard let updated = try await storeCall(orElse: refused, { try await store.updateFromApp(id: user.id, values: [Attribute.displayName: body.displayName]) }) else {
            throw Self.invalidToken
        }
        return UserEnvelope(user: UserResponse(user: updated, firstSource: firstSource)).response()
    }

    /// The user of a valid bearer token, resolved as refresh does;
    /// `recentIsEnough`: a user read within `auth.me_cache_ms` will do.
    private func authenticatedUser(_ request: Request, recentIsEnough: Bool) async throws -> StoredUser {
        guard let token = request.headers[.authorization].flatMap(Self.bearerToken) else { throw Self.invalidToken }
        let claims: AccessTokenClaims
        do {
            claims = try await tokens.verify(token)
        } catch {
            logger.info("auth.token_rejected", metadata: ["event": "auth.token_rejected", "reason": .string("\(error)")])
            throw Self.invalidToken
        }
        guard let id = UUID(uuidString: claims.sub.value) else { throw Self.invalidToken }
        let recent = recentUsers
        var user = recentIsEnough ? recent.user(id: id) : nil
        if user == nil {
            let generation = recent.generation
            user = try await resolve(orElse: Self.invalidToken) { try await resolver.resolve(userID: id, links: claims.resolvableLinks(firstSource: firstSource)) }
            if let user { recent.remember(user, readAt: generation) }
        }
        guard let user, softDelete.allowsLogin(user) else { throw Self.invalidToken }
        return user
    }

    // MARK: Helpers

    /// The token of an `Authorization: Bearer <token>` header, without the
    /// blanks around it (tokens are ASCII; Foundation's trimming is costly
    /// on a route this hot).
    static func bearerToken(_ header: String) -> String? {
        guard header.prefix(7).lowercased() == "bearer " else { return nil }
        var token = header.dropFirst(7)
        while let first = token.first, first == " " || first == "\t" { token = token.dropFirst() }
        while let last = token.last, last == " " || last == "\t" { token = token.dropLast() }
        return token.isEmpty ? nil : String(token)
    }

    private func issueTokens(for user: StoredUser, familyID: UUID) async throws -> Response {
        let refreshToken = RefreshTokenCodec.generate()
        try await storeCall(orElse: Self.invalidCredentials) {
            try await refreshTokens.issue(
                tokenHash: RefreshTokenCodec.hash(refreshToken), familyID: familyID, userID: user.id,
                expiresAt: Date().addingTimeInterval(TimeInterval(auth.refreshTokenTTLSeconds)))
        }
        return try await tokenResponse(for: user, refreshToken: refreshToken)
    }

    private func tokenResponse(for user: StoredUser, refreshToken: String) async throws -> Response {
        let response = TokenResponse(
            accessToken: try await tokens.accessToken(for: user, firstSource: firstSource), expiresIn: auth.accessTokenTTLSeconds,
            refreshToken: refreshToken, user: UserResponse(user: user, firstSource: firstSource))
        return try jsonResponse(response, headers: [.cacheControl: "no-store"])
    }

    /// Resolve through the pipeline: unavailable sources and an unreachable
    /// store become 503 with Retry-After; not found is nil.
    private func resolve(orElse refusal: APIError, _ body: () async throws -> Resolution) async throws -> StoredUser? {
        switch try await storeCall(orElse: refusal, body) {
        case .found(let user, _): return user
        case .notFound: return nil
        case .unavailable(let seconds):
            throw APIError(.serviceUnavailable, "temporarily_unavailable", headers: [.retryAfter: String(seconds)])
        }
    }

    /// Run a store call: an unreachable store is 503 (`StoreErrorMapping`);
    /// data the store refuses (a source record it cannot import, say) is
    /// logged and answered as the route's own refusal, so auth errors never
    /// say more than the contract.
    private func storeCall<T>(orElse refusal: APIError, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            let mapped = StoreErrorMapping.apiError(error)
            if mapped.status == .serviceUnavailable {
                logger.error("store.unavailable", metadata: ["event": "store.unavailable", "detail": .string(error.description)])
                throw mapped
            }
            logger.error("store.refused", metadata: ["event": "store.refused", "detail": .string(error.description)])
            throw refusal
        }
    }
}
