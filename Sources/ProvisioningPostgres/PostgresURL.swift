import Foundation
import PostgresNIO

/// A libpq-style URL (`postgres://user:password@host:port/database?sslmode=require`)
/// turned into a `PostgresClient.Configuration`.
enum PostgresURL {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func configuration(from text: String, poolSize: Int) throws(Invalid) -> PostgresClient.Configuration {
        guard let components = URLComponents(string: text),
              components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw Invalid(description: "expected a postgres:// URL")
        }
        let username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let database = components.path.isEmpty ? nil : String(components.path.dropFirst())
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let tls: PostgresClient.Configuration.TLS
        switch query["sslmode"] ?? "disable" {
        case "disable", "allow", "prefer": tls = .disable
        case "require":
            var tlsConfig = TLSConfiguration.makeClientConfiguration()
            tlsConfig.certificateVerification = .none
            tls = .require(tlsConfig)
        case "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        case let other: throw Invalid(description: "unsupported sslmode '\(other)'")
        }
        var configuration: PostgresClient.Configuration
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            let port = components.port ?? 5432
            configuration = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            guard let host = components.host, !host.isEmpty else { throw Invalid(description: "the URL names no host") }
            configuration = .init(host: host, port: components.port ?? 5432, username: username, password: password, database: database, tls: tls)
        }
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}
