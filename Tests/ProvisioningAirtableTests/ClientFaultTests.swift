import Foundation
@testable import Provisioning
import Testing

@testable import AirtableSim
@testable import ProvisioningAirtable

@Suite("Airtable client: faults, circuit, budget, singleflight")
struct ClientFaultTests {
    static let ada: [String: SimValue] = ["Email": "ada@example.com", "Name": "Ada"]

    @Test("500, 503, malformed JSON and a connection reset answer unavailable; the next request succeeds",
          arguments: [SimFaultMode.status500, .status503, .malformedJSON, .reset])
    func faultIsUnavailable(_ mode: SimFaultMode) async throws {
        try await ClientHarness.with { h in
            let id = h.insert(Self.ada)
            let client = h.client()
            h.sim.setFault(mode, count: 1)
            let result = await client.lookup(canonicalEmail: "ada@example.com")
            let retryAfter = try #require(result.retryAfter, "\(mode): \(result)")
            #expect(retryAfter >= 1)
            #expect(h.sim.counters().total == 1)
            #expect(h.sim.counters().faultsInjected == 1)
            let failures = h.logs.entries("airtable.request_failed", level: .warning)
            #expect(failures.count == 1)
            switch mode {
            case .status500: #expect(failures.first?.metadata["detail"] == "SERVER_ERROR")
            case .status503: #expect(failures.first?.metadata["detail"] == "SERVICE_UNAVAILABLE")
            case .malformedJSON: #expect(failures.first?.metadata["detail"] == "malformed JSON body")
            default: #expect(failures.first?.metadata["status"]?.description == "0")
            }
            // One failure is below the threshold: the circuit stays closed and the next lookup is served.
            #expect(await client.lookup(canonicalEmail: "ada@example.com").record?.recordID == id)
            #expect(h.sim.counters().total == 2)
        }
    }

    @Test("a record-id lookup during a fault is unavailable, not notFound")
    func recordIDFault() async throws {
        try await ClientHarness.with { h in
            let id = h.insert(Self.ada)
            let client = h.client()
            h.sim.setFault(.malformedJSON, count: 1)
            #expect(await client.lookup(recordID: id).retryAfter != nil)
            h.sim.setFault(.status500, count: 1)
            #expect(await client.lookup(recordID: id).retryAfter != nil)
            #expect(await client.lookup(recordID: id).record?.recordID == id)
        }
    }

    @Test("a hanging request gives up at timeout_ms: unavailable long before the hang ends")
    func hang() async throws {
        try await ClientHarness.with { h in
            h.insert(Self.ada)
            let client = h.client(h.settings(timeoutMs: 200))
            h.sim.setFault(.hang, count: 1, hangMs: 60_000)
            let clock = ContinuousClock()
            let started = clock.now
            let result = await client.lookup(canonicalEmail: "ada@example.com")
            let elapsed = clock.now - started
            #expect(result.retryAfter != nil, "\(result)")
            // Far below the 60 s hang even on a loaded machine; not a speed measurement.
            #expect(elapsed < .seconds(20), "took \(elapsed)")
            #expect(h.sim.counters()[status: 200] == 0)
        }
    }

    @Test("a hanging record-id lookup and a hanging list page give up at the timeout too")
    func hangOtherCalls() async throws {
        try await ClientHarness.with { h in
            let id = h.insert(Self.ada)
            let client = h.client(h.settings(timeoutMs: 200))
            let clock = ContinuousClock()
            h.sim.setFault(.hang, count: 2, hangMs: 60_000)
            var started = clock.now
            #expect(await client.lookup(recordID: id).retryAfter != nil)
            #expect(clock.now - started < .seconds(20))
            started = clock.now
            await #expect(throws: AirtableClient.ListError.self) {
                _ = try await client.listPage(filterByFormula: nil, offset: nil)
            }
            #expect(clock.now - started < .seconds(20))
        }
    }

    @Test("429: unavailable for Airtable's 30 s; the next lookup makes no request and returns at once")
    func rateLimited() async throws {
        try await ClientHarness.with { h in
            h.insert(Self.ada)
            let client = h.client()
            h.sim.setFault(.status429, count: 1)
            let first = await client.lookup(canonicalEmail: "ada@example.com")
            let retryAfter = try #require(first.retryAfter, "\(first)")
            #expect((29...30).contains(retryAfter))
            #expect(h.sim.counters().total == 1)
            #expect(client.budget.breaker.isOpen)

            let clock = ContinuousClock()
            let started = clock.now
            let second = await client.lookup(canonicalEmail: "ada@example.com")
            let other = await client.lookup(canonicalEmail: "grace@example.com")
            let byID = await client.lookup(recordID: "recAAAAAAAAAAAAAA")
            // Far under the 30 s a request would wait for: room for a loaded machine.
            #expect(clock.now - started < .seconds(10))
            for result in [second, other, byID] {
                #expect((28...30).contains(result.retryAfter ?? 0), "\(result)")
            }
            #expect(h.sim.counters().total == 1, "the circuit is open: no request reaches Airtable")
            // A list page waits too.
            do throws(AirtableClient.ListError) {
                _ = try await client.listPage(filterByFormula: nil, offset: nil)
                Issue.record("listPage should throw while the base waits out a 429")
            } catch {
                if case .unavailable(let seconds) = error { #expect(seconds >= 28) } else { Issue.record("\(error)") }
            }
            #expect(h.sim.counters().total == 1)
        }
    }

    @Test("the simulator's own rate limit (429 RATE_LIMIT_REACHED) opens the circuit the same way")
    func realRateLimit() async throws {
        try await ClientHarness.with { h in
            h.sim.setRateLimit(perSecond: 1)
            let client = h.client()
            let results = await withTaskGroup(of: SourceLookup.self) { group in
                for i in 0..<5 { group.addTask { await client.lookup(canonicalEmail: "user\(i)@example.com") } }
                return await group.reduce(into: [SourceLookup]()) { $0.append($1) }
            }
            #expect(h.sim.counters().rateLimited >= 1)
            #expect(results.contains { (29...30).contains($0.retryAfter ?? 0) }, "\(results)")
            #expect(client.budget.breaker.isOpen)
            let next = await client.lookup(canonicalEmail: "after@example.com")
            #expect((28...30).contains(next.retryAfter ?? 0), "\(next)")
            #expect(!h.sim.requestLog().contains { $0.query.contains("after") }, "no request while the base waits")
        }
    }

    @Test("after failure_threshold consecutive failures the circuit opens: no request, unavailable for open_s")
    func circuitOpens() async throws {
        try await ClientHarness.with { h in
            h.insert(Self.ada)
            let client = h.client(h.settings(failureThreshold: 3, openSeconds: 7))
            h.sim.setFault(.status500, count: 100)
            for i in 0..<3 {
                #expect(await client.lookup(canonicalEmail: "user\(i)@example.com").retryAfter != nil)
            }
            #expect(h.sim.counters().total == 3)
            #expect(client.budget.breaker.isOpen)
            let refused = await client.lookup(canonicalEmail: "ada@example.com")
            #expect((6...7).contains(refused.retryAfter ?? 0), "\(refused)")
            #expect(h.sim.counters().total == 3, "no request while the circuit is open")
        }
    }

    @Test("failures that are not consecutive do not open the circuit")
    func successResetsFailures() async throws {
        try await ClientHarness.with { h in
            let id = h.insert(Self.ada)
            let client = h.client(h.settings(failureThreshold: 2))
            for _ in 0..<3 {
                h.sim.setFault(.status503, count: 1)
                #expect(await client.lookup(canonicalEmail: "ada@example.com").retryAfter != nil)
                #expect(await client.lookup(canonicalEmail: "ada@example.com").record?.recordID == id)
            }
            #expect(!client.budget.breaker.isOpen)
            #expect(h.sim.counters().total == 6)
        }
    }

    @Test("once the open period is over one probe goes through; its success closes the circuit")
    func halfOpenProbe() async throws {
        try await ClientHarness.with { h in
            let id = h.insert(Self.ada)
            // An open period of zero: the circuit is due for a probe as soon as it opens.
            let breaker = CircuitBreaker(failureThreshold: 1, openDuration: .zero)
            let budget = SourceBudget(slots: TokenBucket(requestsPerSecond: 1_000), breaker: breaker)
            let client = h.client(budget: budget)
            h.sim.setFault(.status500, count: 1)
            #expect(await client.lookup(canonicalEmail: "ada@example.com").retryAfter != nil)
            #expect(breaker.isOpen)
            #expect(await client.lookup(canonicalEmail: "ada@example.com").record?.recordID == id)
            #expect(!breaker.isOpen)
            #expect(h.sim.counters().total == 2)

            // A failed probe opens it again.
            h.sim.setFault(.status500, count: 2)
            #expect(await client.lookup(canonicalEmail: "ada@example.com").retryAfter != nil)
            #expect(await client.lookup(canonicalEmail: "ada@example.com").retryAfter != nil)
            #expect(breaker.isOpen)
            #expect(h.sim.counters().total == 4)
        }
    }

    @Test("401 (wrong token) is unavailable and logged; the token is sent as a Bearer header")
    func wrongToken() async throws {
        try await ClientHarness.with { h in
            h.insert(Self.ada)
            let client = h.client(h.settings(token: "pat-wrong"))
            let result = await client.lookup(canonicalEmail: "ada@example.com")
            #expect(result.retryAfter != nil, "\(result)")
            #expect(h.sim.counters()[status: 401] == 1)
            let logged = h.logs.entries("airtable.request_failed", level: .warning)
            #expect(logged.contains { $0.metadata["status"]?.description == "401" && $0.metadata["detail"] == "AUTHENTICATION_REQUIRED" })
            // The right token is accepted: the client sends `Authorization: Bearer <token>`.
            let good = h.client()
            #expect(await good.lookup(canonicalEmail: "ada@example.com").record != nil)
        }
    }

    @Test("403 (unknown base) is unavailable, not notFound")
    func unknownBase() async throws {
        try await ClientHarness.with { h in
            let client = h.client(h.settings(base: "appUnknownBase0001"))
            let result = await client.lookup(canonicalEmail: "ada@example.com")
            #expect(result.retryAfter != nil, "\(result)")
            #expect(await client.lookup(recordID: "recAAAAAAAAAAAAAA").retryAfter != nil)
            #expect(h.sim.counters()[status: 403] == 2)
            let logged = h.logs.entries("airtable.request_failed", level: .warning)
            #expect(logged.first?.metadata["detail"] == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")
        }
    }

    @Test("a 404 on the list route (wrong api_url) is unavailable, not notFound")
    func wrongRoute() async throws {
        try await ClientHarness.with { h in
            h.insert(Self.ada)
            let client = h.client(h.settings(apiURL: h.url + "/wrong/prefix"))
            let result = await client.lookup(canonicalEmail: "ada@example.com")
            #expect(result.retryAfter != nil, "\(result)")
            #expect(h.sim.counters()[status: 404] == 1)
        }
    }

    @Test("an unreachable Airtable is unavailable within the timeout")
    func unreachable() async throws {
        try await ClientHarness.with { h in
            let client = h.client(h.settings(apiURL: "http://127.0.0.1:1", timeoutMs: 300))
            let clock = ContinuousClock()
            let started = clock.now
            #expect(await client.lookup(canonicalEmail: "ada@example.com").retryAfter != nil)
            #expect(clock.now - started < .seconds(20))
        }
    }

    @Test("token bucket: at 2 requests per second, 10 concurrent lookups send 2; the rest are unavailable without a request")
    func bucketLimitsRequests() async throws {
        try await ClientHarness.with { h in
            // The third token is 500 ms away, beyond the 250 ms timeout.
            let client = h.client(h.settings(timeoutMs: 250, requestsPerSecond: 2))
            let clock = ContinuousClock()
            let started = clock.now
            let results = await withTaskGroup(of: SourceLookup.self) { group in
                for i in 0..<10 { group.addTask { await client.lookup(canonicalEmail: "user\(i)@example.com") } }
                return await group.reduce(into: [SourceLookup]()) { $0.append($1) }
            }
            // Bounded by the 250 ms timeout, not by waiting for tokens; room for a loaded machine.
            #expect(clock.now - started < .seconds(10))
            // 2 requests (3 if scheduling spreads the lookups out) are sent; the others are refused without one.
            // A sent request is answered (notFound) or, on a loaded machine, may time out (logged as failed).
            let answered = results.filter { $0 == .notFound }.count
            let sent = answered + h.logs.entries("airtable.request_failed").count
            #expect(sent >= 1)
            #expect(sent <= 3)
            #expect(h.sim.requestLog().count <= 3)
            #expect(results.filter { $0.retryAfter != nil }.count == 10 - answered)
            #expect(h.sim.counters().rateLimited == 0)
            // Running out of budget is not a failure of Airtable: the circuit stays closed.
            #expect(!client.budget.breaker.isOpen)
        }
    }

    @Test("clients made by one factory for one base share the bucket and the circuit; another base does not")
    func sharedBudget() async throws {
        try await ClientHarness.with { h in
            h.insert(Self.ada)
            let factory = AirtableProviderFactory()
            let context = ProviderContext(
                name: "airtable", precedence: PrecedencePolicy(), softDelete: SoftDeletePolicy(), attributes: [],
                logger: h.logs.logger())
            // One request per second: after one request the next token is ~1 s away, beyond the 250 ms timeout.
            let settings = h.settings(timeoutMs: 250, requestsPerSecond: 1)
            let a = try #require(try await factory.make(settings, context: context).source as? AirtableClient)
            let b = try #require(try await factory.make(settings, context: context).source as? AirtableClient)
            var elsewhere = settings
            elsewhere.base = "appOtherBase000001"
            let c = try #require(try await factory.make(elsewhere, context: context).source as? AirtableClient)
            #expect(a !== b)
            #expect(a.budget.window == b.budget.window)
            #expect(a.budget.breaker === b.budget.breaker)
            #expect(a.budget.window != c.budget.window)
            #expect(a.budget.breaker !== c.budget.breaker)
            // Another factory (another service) has its own budgets.
            let d = try #require(try await AirtableProviderFactory().make(settings, context: context).source as? AirtableClient)
            #expect(d.budget.window != a.budget.window)

            // a holds the base's one slot (as its request would); b then has none within its timeout and sends nothing.
            let held = try #require(await a.budget.slots.acquire(priority: .interactive, deadline: .now + .seconds(30)).slot)
            let refused = await b.lookup(canonicalEmail: "grace@example.com")
            await a.budget.slots.release(held)
            #expect(refused.retryAfter != nil, "\(refused)")
            #expect(!h.sim.requestLog().contains { $0.query.contains("grace") }, "b's lookup reached Airtable")
            // d's factory keeps its own budget: its lookup is sent.
            let other = await AirtableClient(
                settings: h.settings(requestsPerSecond: 1), budget: d.budget, http: h.http, logger: h.logs.logger()
            ).lookup(canonicalEmail: "grace@example.com")
            #expect(other == .notFound, "\(other)")
            #expect(h.sim.requestLog().contains { $0.query.contains("grace") })

            // A 429 seen by one client of the base holds back the other.
            let (sa, sb) = (h.settings(requestsPerSecond: 100), h.settings(requestsPerSecond: 100))
            let factory2 = AirtableProviderFactory()
            let x = try #require(try await factory2.make(sa, context: context).source as? AirtableClient)
            let y = try #require(try await factory2.make(sb, context: context).source as? AirtableClient)
            h.sim.setFault(.status429, count: 1)
            #expect(await x.lookup(canonicalEmail: "ada@example.com").retryAfter != nil)
            #expect((28...30).contains(await y.lookup(canonicalEmail: "ada@example.com").retryAfter ?? 0))
            #expect(h.sim.requestLog().filter { $0.status == 429 }.count == 1)
            #expect(h.sim.requestLog().last?.fault == .status429, "y sent nothing while x's 429 holds the base")
        }
    }

    @Test("SourceBudgets: one budget per (api_url, base)")
    func budgetsKeyedByBase() {
        let budgets = SourceBudgets()
        let s1 = AirtableSettings(apiURL: "http://a", token: "t", base: "appA", table: "Users")
        var s2 = s1
        s2.table = "Other"
        s2.token = "t2"
        var s3 = s1
        s3.base = "appB"
        var s4 = s1
        s4.apiURL = "http://b"
        let b1 = budgets.budget(for: s1)
        #expect(budgets.budget(for: s2).window == b1.window)
        #expect(budgets.budget(for: s2).breaker === b1.breaker)
        #expect(budgets.budget(for: s3).window != b1.window)
        #expect(budgets.budget(for: s4).window != b1.window)
    }
}

extension SourceBudget {
    /// The request window, for identity checks.
    var window: ObjectIdentifier { ObjectIdentifier(slots as AnyObject) }
}
