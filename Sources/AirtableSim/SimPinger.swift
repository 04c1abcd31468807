import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

/// Airtable's notification: after a change, a ping (no data) is POSTed to
/// each webhook's `notificationUrl`, signed with `X-Airtable-Content-MAC:
/// hmac-sha256=<hex>` (key: the webhook's MAC secret). Changes that come
/// close together share one ping; a failed ping is retried (1, 2, 4, 8, 16 s)
/// and `lastNotificationResult` tells what happened.
extension AirtableSimulator {
    static let pingRetryDelays: [TimeInterval] = [1, 2, 4, 8, 16]
    /// How often due pings are looked for: changes within it share one ping.
    static let pingTick: Duration = .milliseconds(50)

    private struct Ping: Sendable {
        var webhookID: String
        var url: String
        var body: [UInt8]
        var mac: String
        var retryNumber: Int
    }

    /// Runs until cancelled.
    func runPinger() async {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        await withTaskGroup(of: Void.self) { group in
            while !Task.isCancelled {
                for ping in duePings(now: Date()) { group.addTask { await self.send(ping, http: http) } }
                try? await Task.sleep(for: Self.pingTick)
            }
            group.cancelAll()
        }
        try? await http.shutdown()
    }

    /// Pings due now (fresh changes, and retries whose time has come); each webhook has at most one in flight.
    private func duePings(now: Date) -> [Ping] {
        data.withLock { d in
            var pings: [Ping] = []
            for id in d.pingsDue {
                guard let webhook = d.webhooks[id], let url = webhook.notificationURL else {
                    d.pingsDue.remove(id)
                    continue
                }
                if let retry = d.pingRetries[id] {
                    guard !retry.inFlight, retry.at <= now else { continue }
                }
                let retryNumber = d.pingRetries[id]?.number ?? 0
                d.pingsDue.remove(id)
                d.pingRetries[id] = SimData.PingRetry(number: retryNumber, at: now, inFlight: true)
                let body: SimValue = ["base": ["id": .string(webhook.base)], "webhook": ["id": .string(id)], "timestamp": .string(SimTime.format(now))]
                let bytes = Array(SimJSON.serialize(body).utf8)
                let code = HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: webhook.macSecret))
                pings.append(Ping(webhookID: id, url: url, body: bytes, mac: "hmac-sha256=" + code.map { String(format: "%02x", $0) }.joined(), retryNumber: retryNumber))
            }
            return pings
        }
    }

    private func send(_ ping: Ping, http: HTTPClient) async {
        let started = ContinuousClock.now
        var request = HTTPClientRequest(url: ping.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "X-Airtable-Content-MAC", value: ping.mac)
        request.body = .bytes(ByteBuffer(bytes: ping.body))
        var failure: String?
        do {
            let response = try await http.execute(request, timeout: .seconds(10))
            _ = try? await response.body.collect(upTo: 1 << 16)
            if !(200..<300).contains(Int(response.status.code)) { failure = "the notification URL answered \(response.status.code)" }
        } catch {
            failure = "\(error)"
        }
        let durationMs = Double((ContinuousClock.now - started) / .milliseconds(1))
        let now = Date()
        data.withLock { d in
            guard d.webhooks[ping.webhookID] != nil else {
                d.pingRetries[ping.webhookID] = nil
                return
            }
            var result: [String: SimValue] = [
                "success": .bool(failure == nil), "completionTimestamp": .string(SimTime.format(now)),
                "durationMs": .number(durationMs), "retryNumber": .number(Double(ping.retryNumber)),
            ]
            if let failure {
                let willRetry = ping.retryNumber < Self.pingRetryDelays.count
                result["error"] = ["message": .string(failure)]
                result["willBeRetried"] = .bool(willRetry)
                if willRetry {
                    d.pingRetries[ping.webhookID] = SimData.PingRetry(
                        number: ping.retryNumber + 1, at: now.addingTimeInterval(Self.pingRetryDelays[ping.retryNumber]), inFlight: false)
                    d.pingsDue.insert(ping.webhookID)
                } else {
                    d.pingRetries[ping.webhookID] = nil
                }
            } else {
                d.pingRetries[ping.webhookID] = nil
                d.webhooks[ping.webhookID]?.lastSuccessfulNotificationTime = now
            }
            d.webhooks[ping.webhookID]?.lastNotificationResult = .object(result)
        }
    }
}
