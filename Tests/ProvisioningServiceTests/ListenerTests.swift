import AsyncHTTPClient
import Foundation
import Glibc
import HummingbirdTesting
import Testing

/// CONTRACT.md §10: metrics on the management listener; request heads over
/// 16 KiB get 431; idle connections are closed.
@Suite("Listeners: management port, head limit, idle connections")
struct ListenerTests {
    struct Reply {
        var status: UInt
        var body: String
    }

    static func get(_ url: String, headers: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 22)
        return Reply(status: response.status.code, body: String(buffer: body))
    }

    @Test("/metrics is on the management listener (with /healthz and /readyz), not on the public port")
    func managementListener() async throws {
        var options = AuthFixtures.options
        options.management = true
        try await ServiceHarness.run(options) { harness, client in
            let management = try #require(harness.managementURL)
            #expect(try await AuthFixtures.login(client, "nobody@example.com").status == .unauthorized)
            let metrics = try await Self.get(management + "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.body.contains("auth_readthrough_attempts 1"))
            #expect(try await Self.get(management + "/healthz").status == 200)
            #expect(try await Self.get(management + "/readyz").status == 200)
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            // The management listener serves nothing else.
            #expect(try await Self.get(management + "/.well-known/jwks.json").status == 404)
        }
    }

    @Test("observability.public_metrics: true serves /metrics on the public port too")
    func publicMetrics() async throws {
        var options = ServiceHarness.Options()
        options.extraYAML = "observability:\n  public_metrics: true\n"
        try await ServiceHarness.run(options) { _, client in
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
        }
    }

    @Test("a request head over 16 KiB is 431, by one large field, by many fields or by a long target; 15 KiB passes")
    func headLimit() async throws {
        try await ServiceHarness.run { harness, _ in
            let url = harness.baseURL + "/healthz"
            let big = String(repeating: "a", count: 17 * 1024)
            let oneLargeField = try await Self.get(url, headers: [("X-Filler", big)])
            #expect(oneLargeField.status == 431)
            let manyFields = try await Self.get(url, headers: (0..<40).map { ("X-Filler-\($0)", String(repeating: "b", count: 500)) })
            #expect(manyFields.status == 431)
            let longTarget = try await Self.get(url + "?pad=" + big)
            #expect(longTarget.status == 431)
            let fits = try await Self.get(url, headers: [("X-Filler", String(repeating: "c", count: 15 * 1024))])
            #expect(fits.status == 200)
        }
    }

    @Test("a pipelined client gets its earlier response before the 431 of an oversized head")
    func headLimitPipelined() async throws {
        try await ServiceHarness.run { harness, _ in
            let port = try #require(URL(string: harness.baseURL)?.port)
            let connection = try RawConnection(port: port)
            defer { connection.close() }
            let big = String(repeating: "a", count: 17 * 1024)
            try connection.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Filler: \(big)\r\n\r\n")
            let reply = await connection.readUntilClosed(timeoutSeconds: 30)
            #expect(reply.hasPrefix("HTTP/1.1 200"), "\(reply.prefix(200))")
            let refusal = try #require(reply.range(of: "HTTP/1.1 431"))
            #expect(reply[..<refusal.lowerBound].contains("HTTP/1.1 200"))
            #expect(connection.closedByPeer)
        }
    }

    @Test("an idle connection is closed by the service after the idle timeout")
    func idleConnectionClosed() async throws {
        var options = ServiceHarness.Options()
        options.idleTimeoutSeconds = 1
        try await ServiceHarness.run(options) { harness, _ in
            let port = try #require(URL(string: harness.baseURL)?.port)
            let connection = try RawConnection(port: port)
            defer { connection.close() }
            // One request answered on the connection, then silence: the
            // server must close it (a read sees end of stream) well before
            // the 30 s receive timeout below would give up.
            try connection.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let reply = await connection.readUntilClosed(timeoutSeconds: 30)
            #expect(reply.hasPrefix("HTTP/1.1 200"))
            #expect(connection.closedByPeer, "the service closed the idle connection")
        }
    }
}

/// A plain TCP connection to 127.0.0.1, to watch what the server does with it.
final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32
    private(set) var closedByPeer = false

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw RawConnectionError("connect failed: errno \(errno)") }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(descriptor, bytes, bytes.count, 0) == bytes.count else { throw RawConnectionError("send failed") }
    }

    /// `readUntilClosedBlocking` on a thread of its own: a blocking read on
    /// the concurrency pool (two threads on a 2-core machine) could starve
    /// the service under test of the threads it needs to answer.
    func readUntilClosed(timeoutSeconds: Int) async -> String {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.readUntilClosedBlocking(timeoutSeconds: timeoutSeconds)) }
        }
    }

    /// Everything the server sends until it closes the connection, or until
    /// no byte arrives for `timeoutSeconds` (then `closedByPeer` stays false).
    private func readUntilClosedBlocking(timeoutSeconds: Int) -> String {
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 { received += buffer[0..<count]; continue }
            closedByPeer = count == 0 || errno == ECONNRESET
            return String(decoding: received, as: UTF8.self)
        }
    }

    func close() { _ = Glibc.close(descriptor) }
}

struct RawConnectionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
