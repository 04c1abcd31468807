import Foundation
import Hummingbird
import Logging
import Provisioning

/// What every sign-in route shares: the pipeline to resolve users, the
/// store, refresh tokens, the throttle and failure floor of CONTRACT.md §10,
/// and issuing the login body. One owner for each of these rules; the
/// routes of each credential kind use it.
struct SignInContext: Sendable {
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

    /// RFC 5321's limit on a forward path; longer is refused before any
    /// throttle entry or lookup.
    static let maxEmailBytes = 254

    /// 400 for an email over 254 bytes; else its throttle key (canonical form).
    static func emailKey(_ email: String) throws -> String {
        guard email.utf8.count <= maxEmailBytes else {
            throw APIError(.badRequest, "invalid_request", detail: "email is longer than \(maxEmailBytes) bytes")
        }
        return EmailAddress.canonical(email) ?? email.lowercased()
    }

    /// Run one sign-in attempt under the throttle (reserved when it starts,
    /// CONTRACT.md §10): a 401 counts for the email and address, a 503 for
    /// the address only; both leave no earlier than the failure floor.
    func attempt(
        emailKey: String, request: Request, context: AppRequestContext, arrival: ContinuousClock.Instant,
        _ body: () async throws -> Response
    ) async throws -> Response {
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
            let response = try await body()
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

    /// The login body for `user`: a new refresh-token family that remembers `signIn`.
    func issueTokens(for user: StoredUser, signIn: SignIn) async throws -> Response {
        let refreshToken = RefreshTokenCodec.generate()
        try await storeCall(orElse: Self.invalidCredentials) {
            try await refreshTokens.issue(
                tokenHash: RefreshTokenCodec.hash(refreshToken), familyID: UUID(), userID: user.id,
                expiresAt: Date().addingTimeInterval(TimeInterval(auth.refreshTokenTTLSeconds)), signIn: signIn)
        }
        return try await tokenResponse(for: user, refreshToken: refreshToken, signIn: signIn)
    }

    func tokenResponse(for user: StoredUser, refreshToken: String, signIn: SignIn) async throws -> Response {
        let response = TokenResponse(
            accessToken: try await tokens.accessToken(for: user, firstSource: firstSource, signIn: signIn),
            expiresIn: auth.accessTokenTTLSeconds, refreshToken: refreshToken, user: UserResponse(user: user, firstSource: firstSource))
        return try jsonResponse(response, headers: [.cacheControl: "no-store"])
    }

    /// The user of a valid bearer token and its claims, resolved as refresh
    /// does; `recentIsEnough`: a user read within `auth.me_cache_ms` will do.
    func authenticatedUser(_ request: Request, recentIsEnough: Bool) async throws -> (user: StoredUser, claims: AccessTokenClaims) {
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
        return (user, claims)
    }

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

    /// A user the soft-delete policy lets in, resolved by email through the
    /// pipeline (read-through included); nil when none.
    func usableUser(email: String) async throws -> StoredUser? {
        let user = try await resolve(orElse: Self.invalidCredentials) { try await resolver.resolve(email: email) }
        return user.flatMap { softDelete.allowsLogin($0) ? $0 : nil }
    }

    /// Resolve through the pipeline: unavailable sources and an unreachable
    /// store become 503 with Retry-After; not found is nil.
    func resolve(orElse refusal: APIError, _ body: () async throws -> Resolution) async throws -> StoredUser? {
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
    func storeCall<T>(orElse refusal: APIError, _ body: () async throws -> T) async throws -> T {
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
