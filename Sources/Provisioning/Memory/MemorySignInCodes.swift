import Foundation

/// Sign-in codes and external identities of the `memory` store (tests, demos).
public actor MemorySignInCodes: SignInCodeStore, ExternalIdentityStore {
    private struct Code {
        var id: Int
        var email: String
        var userID: UUID
        var codeHash: String
        var tokenHash: String?
        var createdAt: Date
        var expiresAt: Date
        var attempts = 0
        var maxAttempts: Int
        var spent = false
    }

    private var codes: [Code] = []
    /// Codes filed per email in its current fixed window.
    private var budgets: [String: (windowStart: Date, issued: Int)] = [:]
    private var nextID = 0
    private var identities: [String: UUID] = [:]
    private let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = Date.init) {
        self.now = now
    }

    public func issue(_ code: NewSignInCode, maxPerWindow: Int, windowSeconds: Int) async throws -> Bool {
        let now = now()
        var budget = budgets[code.email] ?? (now, 0)
        if budget.windowStart <= now.addingTimeInterval(-TimeInterval(windowSeconds)) { budget = (now, 0) }
        budget.issued += 1
        budgets[code.email] = budget
        guard budget.issued <= maxPerWindow else { return false }
        let keep = TimeInterval(max(windowSeconds, code.ttlSeconds))
        codes.removeAll { $0.createdAt < now.addingTimeInterval(-keep) }
        for index in codes.indices where codes[index].email == code.email { codes[index].spent = true }
        nextID += 1
        codes.append(Code(
            id: nextID, email: code.email, userID: code.userID, codeHash: code.codeHash, tokenHash: code.tokenHash,
            createdAt: now, expiresAt: now.addingTimeInterval(TimeInterval(code.ttlSeconds)), maxAttempts: code.maxAttempts))
        return true
    }

    /// The email's newest code, while it is live.
    private func liveIndex(email: String, now: Date) -> Int? {
        guard let index = codes.lastIndex(where: { $0.email == email }), !codes[index].spent, codes[index].expiresAt > now else { return nil }
        return index
    }

    public func redeem(email: String, codeHash: String) async throws -> UUID? {
        guard let index = liveIndex(email: email, now: now()) else { return nil }
        if codes[index].codeHash == codeHash {
            codes[index].spent = true
            return codes[index].userID
        }
        codes[index].attempts += 1
        if codes[index].attempts >= codes[index].maxAttempts { codes[index].spent = true }
        return nil
    }

    public func redeem(tokenHash: String) async throws -> UUID? {
        guard let email = codes.first(where: { $0.tokenHash == tokenHash })?.email,
              let index = liveIndex(email: email, now: now()), codes[index].tokenHash == tokenHash else { return nil }
        codes[index].spent = true
        return codes[index].userID
    }

    public func userID(issuer: String, subject: String) async throws -> UUID? {
        identities["\(issuer)\u{0}\(subject)"]
    }

    public func remember(issuer: String, subject: String, userID: UUID) async throws {
        identities["\(issuer)\u{0}\(subject)"] = userID
    }
}
