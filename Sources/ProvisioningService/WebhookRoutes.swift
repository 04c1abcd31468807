import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Provisioning

/// `POST {webhook.path}`: the inbound user webhook (CONTRACT.md §4).
///
/// Order of checks: size (Content-Length, then while reading), signature
/// (the first configured scheme whose headers are present decides) over the
/// raw bytes, then the payload, then the ledger applies the effect and
/// records the event in one transaction. Depends on what it uses (not on
/// the whole `BuiltPipeline`).
struct WebhookRoutes: Sendable {
    let path: String
    let maxBodyBytes: Int
    let verifiers: [any SignatureVerifier]
    let ledger: any WebhookLedger
    let mapper: WebhookEventMapper
    /// Told what each authentic event names (its negative cache).
    let pipeline: ResolutionPipeline
    let logger: Logger
    let processed: Counter
    let replayed: Counter
    let failed: Counter

    init(
        config: WebhookConfig, verifiers: [any SignatureVerifier], ledger: any WebhookLedger, mapper: WebhookEventMapper,
        resolver: ResolutionPipeline, metrics: any MetricsFactory, logger: Logger
    ) {
        self.path = config.path
        self.maxBodyBytes = config.maxBodyBytes
        self.verifiers = verifiers
        self.ledger = ledger
        self.mapper = mapper
        self.pipeline = resolver
        self.logger = logger
        self.processed = Counter(label: "webhook_user_events_processed", factory: metrics)
        self.replayed = Counter(label: "webhook_user_events_replayed", factory: metrics)
        self.failed = Counter(label: "webhook_user_events_failed", factory: metrics)
    }

    func register(on router: Router<AppRequestContext>) {
        router.post(RouterPath(path)) { request, _ in
            try await handle(request)
        }
    }

    /// What is known of a delivery so far, for the log lines.
    private struct Trace {
        var scheme: String?
        var eventID: String?
        var type: String?
        var recordID: String?
        var email: String?

        var metadata: Logger.Metadata {
            var metadata: Logger.Metadata = [:]
            if let scheme { metadata["scheme"] = .string(scheme) }
            if let eventID { metadata["event_id"] = .string(eventID) }
            if let type { metadata["type"] = .string(type) }
            if let recordID { metadata["record_id"] = .string(recordID) }
            if let email { metadata["email"] = .string(EmailMask.mask(email)) }
            return metadata
        }
    }

    func handle(_ request: Request) async throws -> Response {
        var trace = Trace()
        do {
            return try await process(request, trace: &trace)
        } catch let rejection as WebhookRejection {
            failed.increment()
            var metadata = trace.metadata
            metadata["event"] = "webhook.rejected"
            metadata["reason"] = .string(rejection.reason)
            metadata["status"] = .stringConvertible(rejection.status.code)
            logger.log(level: rejection.status == .serviceUnavailable ? .warning : .info, "webhook.rejected", metadata: metadata)
            throw rejection.apiError
        }
    }

    private func process(_ request: Request, trace: inout Trace) async throws -> Response {
        let receivedAt = Date()
        let body = try await Self.readBody(request, maxBodyBytes: maxBodyBytes)
        let headers = request.headers
        let lookup = HeaderLookup { name in HTTPField.Name(name).flatMap { headers[$0] } }

        // The signature, over the raw bytes, before anything is parsed.
        guard let verifier = verifiers.first(where: { $0.isPresent(in: lookup) }) else {
            throw WebhookRejection.invalidSignature(
                verifiers.isEmpty ? "no signature scheme is configured" : "no configured scheme's headers are present")
        }
        trace.scheme = verifier.kind
        let signedEventID: String?
        switch verifier.verify(headers: lookup, body: body, now: receivedAt) {
        case .invalid(let reason): throw WebhookRejection.invalidSignature(reason)
        case .valid(let eventID): signedEventID = eventID
        }

        let event: WebhookEvent
        do {
            event = try WebhookEvent.decode(body)
        } catch {
            throw WebhookRejection.invalidPayload(error.detail)
        }
        // The id the signature carries (`webhook-id`, `Idempotency-Key`) wins over the body's.
        let eventID = signedEventID.flatMap { $0.isEmpty ? nil : $0 } ?? event.id
        trace.eventID = eventID
        trace.type = event.type.rawValue
        trace.recordID = event.recordID
        guard eventID.count <= WebhookEvent.maxIDLength else {
            throw WebhookRejection.invalidPayload("event id is longer than \(WebhookEvent.maxIDLength) characters")
        }
        if eventID != event.id {
            logger.debug("webhook.event_id_differs", metadata: [
                "event": "webhook.event_id_differs", "event_id": .string(eventID), "body_id": .string(event.id),
            ])
        }
        let email = mapper.canonicalEmail(of: event)
        trace.email = email
        // Whatever becomes of it, an authentic event names this email and
        // record: a cached "nobody knows them" may be wrong now.
        defer { pipeline.forget(canonicalEmail: email, source: mapper.source, recordID: event.recordID) }

        let effect: WebhookEffect
        do {
            effect = try mapper.effect(
                for: event, receivedAt: receivedAt, futureToleranceSeconds: verifier.toleranceSeconds, mayWrite: verifier.mayWrite)
        } catch let error as WebhookEvent.InvalidPayload {
            throw WebhookRejection.invalidPayload(error.detail)
        } catch let error as WebhookEvent.Unprocessable {
            throw WebhookRejection.unprocessable(error.detail)
        }

        // Kept per scheme, so that one scheme cannot claim another's ids.
        let delivery = WebhookDelivery(eventID: "\(verifier.kind):\(eventID)", bodySHA256: Hex.encode(SHA256.hash(data: body)))
        let result: LedgerResult
        do {
            result = try await ledger.apply(delivery, effect: effect)
        } catch let error as StoreError {
            throw WebhookRejection.from(error)
        } catch is CancellationError {
            throw WebhookRejection.unavailable("cancelled")
        } catch {
            throw WebhookRejection.unavailable("ledger failed: \(String(describing: type(of: error)))")
        }

        switch result {
        case .conflict:
            throw WebhookRejection.conflict
        case .processed(let outcome):
            processed.increment()
            log("webhook.accepted", trace: trace, outcome: outcome)
            return try jsonResponse(WebhookAcceptedBody(status: "processed", eventID: eventID, outcome: outcome.outcome, userID: outcome.userID))
        case .replayed(let outcome):
            replayed.increment()
            log("webhook.replayed", trace: trace, outcome: outcome)
            return try jsonResponse(WebhookAcceptedBody(status: "replayed", eventID: eventID, outcome: outcome.outcome, userID: outcome.userID))
        }
    }

    /// The body, at most `maxBodyBytes`: a larger declared length is refused
    /// before reading, a larger body as soon as the limit is passed.
    static func readBody(_ request: Request, maxBodyBytes: Int) async throws(WebhookRejection) -> [UInt8] {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBodyBytes {
            throw WebhookRejection.payloadTooLarge("Content-Length \(declared) over max_body_bytes \(maxBodyBytes)")
        }
        do {
            let buffer = try await request.body.collect(upTo: maxBodyBytes)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw WebhookRejection.payloadTooLarge("body over max_body_bytes \(maxBodyBytes)")
        } catch {
            throw WebhookRejection.invalidPayload("the body could not be read")
        }
    }

    private func log(_ event: String, trace: Trace, outcome: WebhookOutcome) {
        var metadata = trace.metadata
        metadata["event"] = .string(event)
        metadata["outcome"] = .string(outcome.outcome)
        metadata["user_id"] = .string(outcome.userID?.uuidString.lowercased() ?? "")
        logger.info("\(event)", metadata: metadata)
    }
}
