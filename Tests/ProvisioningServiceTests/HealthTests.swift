import Foundation
import HummingbirdTesting
import Testing

@Suite("Health and readiness routes")
struct HealthTests {
    @Test("healthz answers 200, readyz reports the store reachable")
    func healthRoutes() async throws {
        try await ServiceHarness.run { harness, client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: ready.body)) as? [String: Any]
            #expect(body?["store"] as? String == "ok")
        }
    }
}
