import Foundation
import PostgresNIO

/// A libpq-style URL (`postgres://user:password@host:port/database?sslmode=require`)
/// turned into a `PostgresClient.Configuration` (the pool) or a
/// `PostgresConnection.Configuration` (one dedicated session).
enum PostgresURL {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// What the URL says, before either configuration is made of it.
    private struct Parsed {
        var username: String
        var password: String?
        var database: String?
        /// A unix socket path, or nil for `host`:`port`.
        var socketPath: String?
        var host: String
        var port: Int
        /// nil: no TLS.
        var tls: TLSConfiguration?
    }

    static func configuration(from text: String, poolSize: Int) throws(Invalid) -> PostgresClient.Configuration {
        let parsed = try parse(text)
        var configuration: PostgresClient.Configuration
        if let socketPath = parsed.socketPath {
            configuration = .init(unixSocketPath: socketPath, username: parsed.username, password: parsed.password, database: parsed.database)
        } else {
            configuration = .init(
                host: parsed.host, port: parsed.port, username: parsed.username, password: parsed.password, database: parsed.database,
                tls: parsed.tls.map { .require($0) } ?? .disable)
        }
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    static func connectionConfiguration(from text: String) throws -> PostgresConnection.Configuration {
        let parsed = try parse(text)
        var configuration: PostgresConnection.Configuration
        if let socketPath = parsed.socketPath {
            configuration = .init(unixSocketPath: socketPath, username: parsed.username, password: parsed.password, database: parsed.database)
        } else {
            configuration = .init(
                host: parsed.host, port: parsed.port, username: parsed.username, password: parsed.password, database: parsed.database,
                tls: try parsed.tls.map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    private static func parse(_ text: String) throws(Invalid) -> Parsed {
        guard let components = URLComponents(string: text),
              components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw Invalid(description: "expected a postgres:// URL")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        var parsed = Parsed(
            username: components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres",
            password: components.percentEncodedPassword.flatMap { $0.removingPercentEncoding },
            database: components.path.isEmpty ? nil : String(components.path.dropFirst()),
            socketPath: nil, host: components.host ?? "", port: components.port ?? 5432, tls: nil)
        switch query["sslmode"] ?? "disable" {
        case "disable", "allow", "prefer": break
        case "require":
            var tlsConfig = TLSConfiguration.makeClientConfiguration()
            tlsConfig.certificateVerification = .none
            parsed.tls = tlsConfig
        case "verify-ca", "verify-full": parsed.tls = .makeClientConfiguration()
        case let other: throw Invalid(description: "unsupported sslmode '\(other)'")
        }
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            parsed.socketPath = "\(socketDirectory)/.s.PGSQL.\(parsed.port)"
        } else if parsed.host.isEmpty {
            throw Invalid(description: "the URL names no host")
        }
        return parsed
    }
}
