import Foundation

/// The table of `provision-bench service`: one row per figure, the naive
/// read-through beside it where it applies, the target and whether it is met.
struct ServiceReport {
    let simLatencyMs: Int
    let bcrypt: Samples
    let atZero: ServicePhases.Latencies
    let atLatency: ServicePhases.Latencies
    let naiveMiss: ServicePhases.Latencies
    let stormFast: ServicePhases.Storm
    let naiveStormFast: ServicePhases.Storm
    let storm: ServicePhases.Storm
    let naiveStorm: ServicePhases.Storm
    let flood: ServicePhases.Flood
    let naiveFlood: ServicePhases.Flood
    let limitedFlood: ServicePhases.Flood?
    let me: (rate: Double, failures: Int)
    let healthz: (rate: Double, failures: Int)
    let webhook: (rate: Double, failures: Int)
    let concurrency: Int
    let pgbench: [Double]
    let idleRSS: (total: Double, anonymous: Double, file: Double)

    func table() -> Table {
        var table = Table(header: ["measure", "provisiond", "naive read-through", "target", "met"])
        func row(_ measure: String, _ value: String, naive: String = "-", target: String = "-", met: Bool? = nil) {
            table.rows.append([measure, value, naive, target, met.map { $0 ? "yes" : "NO" } ?? "-"])
        }
        let l = simLatencyMs
        var hits = atZero.hit
        hits.values += atLatency.hit.values
        var upserts = atZero.upsert
        upserts.values += atLatency.upsert.values

        row("1 login hit p50/p95/p99 ms (store user, n=\(hits.count)\(failures(atZero.hitFailures, atLatency.hitFailures)))", hits.summary)
        row("1 bcrypt verify alone p50/p95/p99 ms (cost 10, NIOThreadPool, as the login does; n=\(bcrypt.count))", bcrypt.summary)
        row("2 login miss p50/p95/p99 ms, sim 0 ms (n=\(atZero.miss.count)\(statuses(atZero.missStatuses)))", atZero.miss.summary)
        row("2 login miss p50/p95/p99 ms, sim \(l) ms (n=\(atLatency.miss.count)\(statuses(atLatency.missStatuses)))", atLatency.miss.summary,
            naive: naiveMiss.miss.summary + statuses(naiveMiss.missStatuses))
        let addedZero = atZero.miss.p95 - atZero.hit.p95
        let addedLatency = atLatency.miss.p95 - atLatency.hit.p95
        let naiveAdded = naiveMiss.miss.p95 - naiveMiss.hit.p95
        row("2 miss added latency p95 ms (miss p95 - hit p95), sim 0 ms", ms(addedZero), target: "<= 300", met: addedZero <= 300)
        row("2 miss added latency p95 ms (miss p95 - hit p95), sim \(l) ms", ms(addedLatency),
            naive: ms(naiveAdded) + " (hit p95 \(ms(naiveMiss.hit.p95)), n=\(naiveMiss.hit.count))")
        row("3 sim round trip p50/p95/p99 ms (AirtableClient.lookup), sim 0 ms", atZero.roundTrip.summary + lookupFailures(atZero))
        row("3 sim round trip p50/p95/p99 ms (AirtableClient.lookup), sim \(l) ms", atLatency.roundTrip.summary + lookupFailures(atLatency))
        row("3 one upsert p50/p95/p99 ms (store.upsert, new identity, n=\(upserts.count))", upserts.summary)
        let excessZero = addedZero - (atZero.roundTrip.p95 + upserts.p95)
        let excessLatency = addedLatency - (atLatency.roundTrip.p95 + upserts.p95)
        let naiveExcess = naiveAdded - (atLatency.roundTrip.p95 + upserts.p95)
        row("3 read-through alone p50/p95/p99 ms (pipeline.resolve of a new email, in-process), sim 0 ms",
            atZero.resolve.summary + resolveFailures(atZero))
        row("3 read-through alone p50/p95/p99 ms (pipeline.resolve of a new email, in-process), sim \(l) ms",
            atLatency.resolve.summary + resolveFailures(atLatency))
        row("3 excess p95 ms = added latency - (round trip p95 + upsert p95), sim 0 ms", ms(excessZero), target: "<= 5", met: excessZero <= 5)
        row("3 excess p95 ms = added latency - (round trip p95 + upsert p95), sim \(l) ms", ms(excessLatency), naive: ms(naiveExcess),
            target: "<= 5", met: excessLatency <= 5)

        let directZero = atZero.resolve.p95 - (atZero.roundTrip.p95 + upserts.p95)
        let directLatency = atLatency.resolve.p95 - (atLatency.roundTrip.p95 + upserts.p95)
        row("3 excess p95 ms of the read-through alone = resolve p95 - (round trip p95 + upsert p95), sim 0 ms", ms(directZero),
            target: "<= 5", met: directZero <= 5)
        row("3 excess p95 ms of the read-through alone = resolve p95 - (round trip p95 + upsert p95), sim \(l) ms", ms(directLatency),
            target: "<= 5", met: directLatency <= 5)

        for (budget, coalesced, naive) in [("5/s", storm, naiveStorm), ("1000/s", stormFast, naiveStormFast)] {
            let prefix = "4 storm: \(coalesced.statuses.counts.values.reduce(0, +)) concurrent first logins of one email, budget \(budget), sim \(l) ms"
            row("\(prefix): sim requests / rows / non-200", stormCell(coalesced), naive: stormCell(naive), target: "1 / 1 / 0",
                met: coalesced.simRequests == 1 && coalesced.rows == 1 && coalesced.statuses.nonOK == 0)
            row("\(prefix): status codes", coalesced.statuses.summary, naive: naive.statuses.summary)
            row("\(prefix): source requests by outcome", outcomes(coalesced.lookups), naive: outcomes(naive.lookups))
        }

        let floodPrefix = "5 flood: \(flood.statuses.counts.values.reduce(0, +)) unknown emails at once, budget 5/s, sim \(l) ms"
        row("\(floodPrefix): sim requests vs budget (5/s x elapsed + 5)", floodBudgetCell(flood), naive: floodBudgetCell(naiveFlood),
            target: "<= budget", met: Double(flood.simRequests) <= flood.budget)
        row("\(floodPrefix): most sim requests in any 1 s", "\(flood.maxInOneSecond)", naive: "\(naiveFlood.maxInOneSecond)",
            target: "<= 5 (Airtable)", met: flood.maxInOneSecond <= 5)
        row("\(floodPrefix): status codes", flood.statuses.summary, naive: naiveFlood.statuses.summary)
        row("\(floodPrefix): source requests by outcome", outcomes(flood.lookups), naive: outcomes(naiveFlood.lookups))
        if let limited = limitedFlood {
            let prefix = "5 the same flood, fresh service, simulator enforcing 5 requests in any 1 s"
            row("\(prefix): sim requests / 429s", "\(limited.simRequests) / \(limited.simRateLimited)", target: "no 429",
                met: limited.simRateLimited == 0)
            row("\(prefix): status codes", limited.statuses.summary)
            row("\(prefix): source requests by outcome", outcomes(limited.lookups))
        }
        row("\(floodPrefix): store-user login p99 ms, during vs quiet", probeCell(flood), naive: probeCell(naiveFlood),
            target: "<= 1.2x quiet", met: flood.during.p99 <= 1.2 * flood.quiet.p99)
        row("\(floodPrefix): store lookup p99 ms (store.user, in-process), during vs quiet", storeProbeCell(flood), naive: storeProbeCell(naiveFlood))
        row("\(floodPrefix): GET /healthz p99 ms (the probe's client), during vs quiet: the floor under any route", staticProbeCell(flood),
            naive: staticProbeCell(naiveFlood))

        let meRatio = me.rate / max(healthz.rate, 1)
        row("6 GET /api/auth/me req/s vs GET /healthz req/s (\(concurrency) connections)",
            String(format: "%.0f vs %.0f = %.2f", me.rate, healthz.rate, meRatio) + failureNote(me.failures + healthz.failures),
            target: ">= 0.60", met: meRatio >= 0.6)
        let reference = pgbench.count > 1 ? pgbench[1] : 0
        if reference > 0 {
            let ratio = webhook.rate / reference
            row("7 webhook user.created events/s (\(concurrency) concurrent) vs pgbench single-row INSERT TPS (16 clients)",
                String(format: "%.0f vs %.0f = %.2f", webhook.rate, reference, ratio) + failureNote(webhook.failures),
                target: ">= 0.50", met: ratio >= 0.5)
        } else {
            row("7 webhook user.created events/s (\(concurrency) concurrent); no pgbench figure given", String(format: "%.0f", webhook.rate) + failureNote(webhook.failures))
        }
        row("idle RSS MiB of the bench process (service + simulator + load client, after setup)", String(format: "%.1f (anon %.1f, file %.1f)", idleRSS.total, idleRSS.anonymous, idleRSS.file),
            target: "<= 50 (provisiond alone: below)")
        return table
    }

    private func ms(_ value: Double) -> String { String(format: "%.1f", value) }

    private func stormCell(_ storm: ServicePhases.Storm) -> String {
        "\(storm.simRequests) / \(storm.rows) / \(storm.statuses.nonOK)"
    }

    private func floodBudgetCell(_ flood: ServicePhases.Flood) -> String {
        String(format: "%d vs %.1f (%.2f s)", flood.simRequests, flood.budget, flood.elapsed.seconds)
    }

    private func probeCell(_ flood: ServicePhases.Flood) -> String {
        String(format: "%.1f (n=%d) vs %.1f (n=%d) = %.2fx", flood.during.p99, flood.during.count, flood.quiet.p99, flood.quiet.count,
               flood.during.p99 / max(flood.quiet.p99, 0.001))
            + (flood.probeFailures.counts.isEmpty ? "" : "; failed: \(flood.probeFailures.summary)")
    }

    private func staticProbeCell(_ flood: ServicePhases.Flood) -> String {
        String(format: "%.1f (n=%d) vs %.1f (n=%d) = %.2fx", flood.staticDuring.p99, flood.staticDuring.count, flood.staticQuiet.p99,
               flood.staticQuiet.count, flood.staticDuring.p99 / max(flood.staticQuiet.p99, 0.001))
    }

    private func storeProbeCell(_ flood: ServicePhases.Flood) -> String {
        String(format: "%.1f (n=%d) vs %.1f (n=%d)", flood.storeDuring.p99, flood.storeDuring.count, flood.storeQuiet.p99, flood.storeQuiet.count)
    }

    private func failures(_ tallies: StatusTally...) -> String {
        let total = tallies.map(\.nonOK).reduce(0, +)
        return total == 0 ? "" : ", \(total) failed"
    }

    private func statuses(_ tally: StatusTally) -> String {
        tally.nonOK == 0 ? "" : "; \(tally.summary)"
    }

    private func lookupFailures(_ latencies: ServicePhases.Latencies) -> String {
        latencies.lookupFailures == 0 ? "" : " (\(latencies.lookupFailures) not found/failed)"
    }

    private func resolveFailures(_ latencies: ServicePhases.Latencies) -> String {
        latencies.resolveFailures == 0 ? "" : " (\(latencies.resolveFailures) not provisioned)"
    }

    /// `airtable_requests` by status: HTTP codes, `error` (timeout or
    /// transport), `budget_exhausted`, `circuit_open`.
    private func outcomes(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "none" : counts.keys.sorted().map { "\($0)×\(counts[$0]!)" }.joined(separator: ", ")
    }

    private func failureNote(_ failures: Int) -> String {
        failures == 0 ? "" : " (\(failures) failed)"
    }
}
