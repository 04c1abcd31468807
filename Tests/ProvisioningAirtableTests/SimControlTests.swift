import AsyncHTTPClient
import Foundation
import Testing

@testable import AirtableSim

@Suite("airtable-sim: rate limit, faults, latency, counters, reset")
struct SimControlTests {
    @Test("the sixth request in a second gets 429 with Airtable's body and no Retry-After; /_sim/ is exempt")
    func rateLimit() async throws {
        let bases = [SimHarness.base: [SimTableSpec(name: "Users")], "appOtherBase000001": [SimTableSpec(name: "Users")]]
        try await SimHarness.with(rateLimit: 5, bases: bases) { h in
            // Six at once. A machine loaded by a parallel build can still spread
            // them over more than one window: such a burst (seen in the request
            // log) proves nothing and is sent again; a burst inside one window
            // must meet the limit.
            var replies: [SimHarness.Reply] = []
            for _ in 0..<5 {
                h.sim.reset()
                replies = try await withThrowingTaskGroup(of: SimHarness.Reply.self) { group in
                    for _ in 0..<6 { group.addTask { try await h.get(h.tablePath()) } }
                    return try await group.reduce(into: [SimHarness.Reply]()) { $0.append($1) }
                }
                let times = h.sim.requestLog().map(\.time)
                let spread = (times.max() ?? .distantPast).timeIntervalSince(times.min() ?? .distantPast)
                if replies.contains(where: { $0.status == 429 }) || spread < 0.8 { break }
            }
            let statuses = replies.map(\.status)
            #expect(statuses.filter { $0 == 200 }.count == 5)
            #expect(statuses.filter { $0 == 429 }.count == 1)
            let limited = try #require(replies.first { $0.status == 429 })
            do {
                #expect(limited.json == ["errors": [["error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded. Please try again later"]]])
                #expect(limited.headers["Retry-After"].isEmpty)
                #expect(h.sim.counters().rateLimited == 1)
            }
            let other = try await h.get(h.tablePath("Users", base: "appOtherBase000001"))
            #expect(other.status == 200)
            for _ in 0..<10 {
                let admin = try await h.get("/_sim/counters")
                #expect(admin.status == 200)
            }
            #expect(h.sim.counters().total == 7)
        }
    }

    @Test("status faults answer the next N requests, then normal service resumes")
    func statusFaults() async throws {
        try await SimHarness.with { h in
            let cases: [(String, Int, SimValue?)] = [
                ("status500", 500, nil), ("status503", 503, nil),
                ("status429", 429, ["errors": [["error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded. Please try again later"]]]),
            ]
            for (mode, status, body) in cases {
                let set = try await h.request(.POST, "/_sim/faults", json: ["mode": .string(mode), "count": 2])
                #expect(set.status == 200)
                for _ in 0..<2 {
                    let reply = try await h.get(h.tablePath())
                    #expect(reply.status == status, "\(mode)")
                    if let body { #expect(reply.json == body) } else { #expect(reply.json?["error"]?["type"] != nil) }
                }
                let after = try await h.get(h.tablePath())
                #expect(after.status == 200, "\(mode)")
            }
            #expect(h.sim.counters().faultsInjected == 6)
            // Faults come before auth: even a bad token sees them.
            h.sim.setFault(.status503, count: 1)
            let unauthenticated = try await h.get(h.tablePath(), token: nil)
            #expect(unauthenticated.status == 503)
        }
    }

    @Test("malformed_json answers 200 with a body that is not JSON")
    func malformed() async throws {
        try await SimHarness.with { h in
            _ = try await h.request(.POST, "/_sim/faults", json: ["mode": "malformed_json", "count": 1])
            let reply = try await h.get(h.tablePath())
            #expect(reply.status == 200)
            #expect(reply.json == nil)
            #expect(try await h.get(h.tablePath()).json == ["records": []])
        }
    }

    @Test("reset drops the connection without a response")
    func reset() async throws {
        try await SimHarness.with { h in
            _ = try await h.request(.POST, "/_sim/faults", json: ["mode": "reset", "count": 1])
            await #expect(throws: (any Error).self) {
                _ = try await h.get(h.tablePath())
            }
            let after = try await h.get(h.tablePath())
            #expect(after.status == 200)
            #expect(h.sim.requestLog().first?.fault == .reset)
        }
    }

    @Test("hang holds the request until the client gives up")
    func hang() async throws {
        try await SimHarness.with { h in
            _ = try await h.request(.POST, "/_sim/faults", json: ["mode": "hang", "count": 1, "hang_ms": 3000])
            let started = ContinuousClock.now
            await #expect(throws: HTTPClientError.self) {
                _ = try await h.request(.GET, h.tablePath(), timeout: .milliseconds(300))
            }
            #expect(ContinuousClock.now - started < .seconds(3))
            let after = try await h.get(h.tablePath())
            #expect(after.status == 200)
        }
    }

    @Test("a fraction of 1 hits every request until cleared; 0 hits none")
    func fractions() async throws {
        try await SimHarness.with { h in
            _ = try await h.request(.POST, "/_sim/faults", json: ["mode": "status500", "fraction": 1.0])
            for _ in 0..<3 { #expect(try await h.get(h.tablePath()).status == 500) }
            let current = try await h.get("/_sim/faults")
            #expect(current.json?["fault"]?["mode"] == "status500")
            let cleared = try await h.request(.DELETE, "/_sim/faults")
            #expect(cleared.status == 200)
            #expect(try await h.get(h.tablePath()).status == 200)
            _ = try await h.request(.POST, "/_sim/faults", json: ["mode": "status500", "fraction": 0])
            for _ in 0..<3 { #expect(try await h.get(h.tablePath()).status == 200) }
            let bad = try await h.request(.POST, "/_sim/faults", json: ["mode": "explode"])
            #expect(bad.status == 400)
        }
    }

    @Test("latency delays API requests, not control routes")
    func latency() async throws {
        try await SimHarness.with { h in
            let set = try await h.request(.POST, "/_sim/latency", json: ["fixed_ms": 1000, "jitter_ms": 50])
            #expect(set.json == ["fixed_ms": 1000, "jitter_ms": 50])
            var started = ContinuousClock.now
            #expect(try await h.get(h.tablePath()).status == 200)
            #expect(ContinuousClock.now - started >= .milliseconds(1000))
            started = ContinuousClock.now
            _ = try await h.get("/_sim/counters")
            #expect(ContinuousClock.now - started < .milliseconds(800))
            h.sim.setLatency(fixedMs: 0)
            #expect(h.sim.latency() == SimLatency())
        }
    }

    @Test("counters count by kind and status; the request log records each API request")
    func counters() async throws {
        try await SimHarness.with { h in
            let created = try await h.request(.POST, h.tablePath(), json: ["fields": ["Name": "Ada"]])
            let id = try #require(created.json?.idString)
            _ = try await h.get(h.tablePath() + "?pageSize=5")
            _ = try await h.get(h.tablePath() + "/" + id)
            _ = try await h.request(.PATCH, h.tablePath() + "/" + id, json: ["fields": ["Name": "B"]])
            _ = try await h.request(.DELETE, h.tablePath() + "/" + id)
            _ = try await h.get(h.tablePath(), token: "bad")
            let counters = h.sim.counters()
            #expect(counters.total == 6)
            #expect(counters[.create] == 1 && counters[.get] == 1 && counters[.update] == 1 && counters[.delete] == 1)
            #expect(counters[.list] == 2)
            #expect(counters[status: 200] == 5 && counters[status: 401] == 1)

            let json = try await h.get("/_sim/counters")
            #expect(json.json?["total"] == 6)
            #expect(json.json?["by_kind"]?["list"] == 2)
            #expect(json.json?["by_status"]?["401"] == 1)
            #expect(json.json?["rate_limited"] == 0)

            let log = try await h.get("/_sim/requests")
            let entries = try #require(log.json?["requests"]?.arrayValue)
            #expect(entries.count == 6)
            #expect(entries[1]["method"] == "GET")
            #expect(entries[1]["path"] == .string(h.tablePath()))
            #expect(entries[1]["query"] == "pageSize=5")
            #expect(entries[1]["status"] == 200)
            #expect(entries[1]["time"]?.stringValue.flatMap(SimTime.parse) != nil)

            h.sim.resetCounters()
            #expect(h.sim.counters() == SimCounters())
        }
    }

    @Test("POST /_sim/reset clears faults, latency, counters and the log; ?data=true also the records")
    func resetRoute() async throws {
        try await SimHarness.with { h in
            _ = h.insertUsers(3)
            _ = try await h.get(h.tablePath())
            h.sim.setFault(.status500, count: 5)
            h.sim.setLatency(fixedMs: 10)
            let reset = try await h.request(.POST, "/_sim/reset")
            #expect(reset.status == 200)
            #expect(h.sim.counters().total == 0)
            #expect(h.sim.requestLog().isEmpty)
            #expect(h.sim.currentFault() == nil)
            #expect(h.sim.latency() == SimLatency())
            #expect(try await h.get(h.tablePath()).records.count == 3)
            _ = try await h.request(.POST, "/_sim/reset?data=true")
            #expect(try await h.get(h.tablePath()).records.isEmpty)
        }
    }

    @Test("cancelling the task stops the server")
    func stop() async throws {
        let running = try await AirtableSimulator.start(configuration: SimConfiguration(token: "t"))
        let url = running.baseURL
        await running.stop()
        await #expect(throws: (any Error).self) {
            _ = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/_sim/counters"), timeout: .seconds(2))
        }
    }
}
