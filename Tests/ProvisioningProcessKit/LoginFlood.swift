import AsyncHTTPClient
import Foundation
import NIOCore

/// Logins over HTTP at a chosen concurrency (floods and storms): a client
/// of its own, since AsyncHTTPClient's shared one opens at most 8
/// connections per host and would turn the flood into a queue.
public enum LoginFlood {
    public static let http = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)))

    /// One login; the status code (0 when no answer came) and the time it took.
    public static func login(_ baseURL: String, email: String, password: String) async -> (status: UInt, took: Duration) {
        let started = ContinuousClock.now
        var request = HTTPClientRequest(url: baseURL + "/api/auth/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = (try? JSONSerialization.data(withJSONObject: ["email": email, "password": password])) ?? Data()
        request.body = .bytes(ByteBuffer(bytes: body))
        guard let response = try? await http.execute(request, timeout: .seconds(60)) else { return (0, ContinuousClock.now - started) }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return (response.status.code, ContinuousClock.now - started)
    }

    /// `emails` logged in, `concurrency` at a time; status codes and times in order.
    public static func logins(_ baseURL: String, emails: [String], password: String, concurrency: Int) async -> [(status: UInt, took: Duration)] {
        await withTaskGroup(of: (Int, UInt, Duration).self) { group in
            var results = [(status: UInt, took: Duration)](repeating: (0, .zero), count: emails.count)
            var next = 0
            func add() {
                guard next < emails.count else { return }
                let index = next
                next += 1
                group.addTask {
                    let (status, took) = await login(baseURL, email: emails[index], password: password)
                    return (index, status, took)
                }
            }
            for _ in 0..<concurrency { add() }
            for await (index, status, took) in group {
                results[index] = (status, took)
                add()
            }
            return results
        }
    }
}
