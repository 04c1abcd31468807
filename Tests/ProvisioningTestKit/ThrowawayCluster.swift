import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL cluster of the test's own, on a free port, that the test may
/// stop and start (the shared server of scripts/test.sh must stay up). Needs
/// `PGBIN` (exported by scripts/test.sh); as root, the server runs as `postgres`.
public final class ThrowawayCluster: Sendable {
    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    public let port: Int
    let directory: String
    let bin: String

    public var adminURL: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }
    public func url(database: String) -> String { "postgres://postgres@127.0.0.1:\(port)/\(database)" }

    /// initdb a new cluster (not started).
    public init() throws {
        guard let bin = ProcessInfo.processInfo.environment["PGBIN"] else {
            throw Failed(description: "PGBIN is not set: run the tests through scripts/test.sh")
        }
        self.bin = bin
        self.port = try Self.freePort()
        self.directory = NSTemporaryDirectory() + "provisiond-cluster-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        if getuid() == 0 { try Self.run("/bin/chown", ["-R", "postgres", directory]) }
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory + "/data")
        try asOwner("\(bin)/initdb", ["-D", directory + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
    }

    /// On a thread of its own: the command blocks, and must hold neither one
    /// of the few cooperative threads nor NIO's thread pool (bcrypt), which
    /// every other test shares.
    public func start() async throws {
        try await Self.onOwnThread { try self.startNow() }
    }

    private static func onOwnThread(_ body: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread {
                do { try body(); continuation.resume() } catch { continuation.resume(throwing: error) }
            }.start()
        }
    }

    private func startNow() throws {
        try asOwner("\(bin)/pg_ctl", [
            "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60",
            "-o", "-k \(directory) -p \(port) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off",
            "start",
        ])
    }

    /// `pg_ctl stop -m fast`: every session is ended, as in a real outage.
    public func stop() async throws {
        try await Self.onOwnThread { try self.stopNow() }
    }

    private func stopNow() throws {
        try asOwner("\(bin)/pg_ctl", ["-D", directory + "/data", "-m", "fast", "-w", "stop"])
    }

    /// Stop (if running) and remove the cluster.
    public func destroy() {
        try? asOwner("\(bin)/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func asOwner(_ tool: String, _ arguments: [String]) throws {
        if getuid() == 0 {
            try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", tool] + arguments)
        } else {
            try Self.run(tool, arguments)
        }
    }

    /// Run `tool` (posix_spawn and waitpid: Foundation's `Process` can hang
    /// waiting on Linux); its output goes to a file, not a pipe, so that a
    /// server it starts cannot hold the pipe open.
    private static func run(_ tool: String, _ arguments: [String]) throws {
        let outputPath = NSTemporaryDirectory() + "provisiond-cluster-command-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, tool, &actions, nil, argv, environ)
        guard spawned == 0 else { throw Failed(description: "\(tool): posix_spawn failed (\(spawned))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitCode = (status >> 8) & 0xFF
        guard status & 0x7F == 0, exitCode == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw Failed(description: "\(tool) \(arguments.joined(separator: " ")) failed (status \(status)): \(text)")
        }
    }

    /// A free port below Linux's ephemeral range (32768–60999): a port bind(0)
    /// hands out there can be taken by the suite's own outgoing connections
    /// before the server binds it.
    private static func freePort() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<32_000)
            if canBind(port) { return port }
        }
        throw Failed(description: "no free port in 20000-31999")
    }

    private static func canBind(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
