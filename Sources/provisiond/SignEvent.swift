import ArgumentParser
import Foundation
import ProvisioningSignatures

/// Signs a webhook body as a Standard Webhooks sender would, and prints the
/// headers (or a ready curl command): no hand-computed HMAC in demos.
struct SignEvent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-event", abstract: "Sign a user event body with an hmac-sha256 (whsec_) secret.")

    @Option(help: "The whsec_ secret (default: $WEBHOOK_SECRET).") var secret: String?
    @Option(help: "The event body as JSON text ('-' reads standard input).") var body: String
    @Option(help: "Print a curl command posting to this URL instead of the headers.") var curl: String?
    @Option(help: "Unix timestamp (default: now).") var timestamp: Int?

    func run() throws {
        guard let secret = secret ?? ProcessInfo.processInfo.environment["WEBHOOK_SECRET"] else {
            throw ValidationError("give --secret or set WEBHOOK_SECRET")
        }
        let text = body == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : body
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let id = object["id"] as? String else {
            throw ValidationError("the body must be a JSON object with an \"id\"")
        }
        let time = timestamp ?? Int(Date().timeIntervalSince1970)
        let signature = try HMACSignatureScheme.sign(id: id, timestamp: time, body: Array(text.utf8), secret: secret)
        let headers = ["webhook-id: \(id)", "webhook-timestamp: \(time)", "webhook-signature: \(signature)"]
        guard let curl else {
            headers.forEach { print($0) }
            return
        }
        let quotedBody = "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
        print((["curl -s -X POST '\(curl)' -H 'Content-Type: application/json'"] + headers.map { "-H '\($0)'" } + ["--data-raw \(quotedBody)"])
            .joined(separator: " \\\n  "))
    }
}
