import Foundation

/// A real nginx (Debian's package) in front of the instances: round-robin,
/// passing the client's address in `X-Forwarded-For`, as a deployment would.
public struct NginxBalancer: Sendable {
    public let process: LocalProcess
    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public static func start(upstreamPorts: [Int], directory: String) throws -> NginxBalancer {
        guard let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ProcessKitError("nginx is missing: scripts/test.sh installs Debian's nginx package")
        }
        let port = try LocalProcess.freePort()
        let temp = directory + "/tmp"
        try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        let servers = upstreamPorts.map { "    server 127.0.0.1:\($0) max_fails=1 fail_timeout=10s;" }.joined(separator: "\n")
        let conf = """
            worker_processes 1;
            error_log \(directory)/error.log warn;
            pid \(directory)/nginx.pid;
            events { worker_connections 4096; }
            http {
              access_log off;
              client_body_temp_path \(temp)/body;
              proxy_temp_path \(temp)/proxy;
              fastcgi_temp_path \(temp)/fastcgi;
              uwsgi_temp_path \(temp)/uwsgi;
              scgi_temp_path \(temp)/scgi;
              upstream provisiond {
            \(servers)
                keepalive 64;
              }
              server {
                listen 127.0.0.1:\(port);
                location / {
                  proxy_pass http://provisiond;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_set_header X-Forwarded-For $remote_addr;
                  # A refused connection (an instance that died) is tried on the next one.
                  proxy_next_upstream error non_idempotent;
                  proxy_read_timeout 120s;
                }
              }
            }
            """
        try conf.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        let process = try LocalProcess(
            executable: nginx, arguments: ["-p", directory, "-c", directory + "/nginx.conf", "-g", "daemon off;"],
            logPath: directory + "/nginx.out")
        return NginxBalancer(process: process, port: port)
    }
}
