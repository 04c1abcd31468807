import Foundation

/// `/v0/bases/{base}/webhooks[/{id}[/refresh|/payloads]]`: create, list,
/// delete, refresh and read payloads, as Airtable answers them.
extension SimData {
    static let maximumPayloadsPerPage = 50

    /// `POST /v0/bases/{base}/webhooks` with `{"notificationUrl", "specification"}`.
    mutating func createWebhook(base: String, body: SimValue, now: Date) throws(SimAPIError) -> SimValue {
        guard let tables = bases[base] else { throw SimAPIError.modelNotFound }
        let object = try Self.requestObject(body, allowed: ["notificationUrl", "specification"])
        var notificationURL: String?
        switch object["notificationUrl"] {
        case nil, .null?: notificationURL = nil
        case .string(let url)? where url.hasPrefix("http://") || url.hasPrefix("https://"): notificationURL = url
        default: throw SimAPIError.invalidRequest("notificationUrl must be an http(s) URL or null")
        }
        guard let specification = object["specification"], let options = specification["options"]?.objectValue else {
            throw SimAPIError.invalidRequest("specification.options is required")
        }
        let filters = options["filters"]
        guard let dataTypes = filters?["dataTypes"]?.arrayValue, dataTypes == ["tableData"] else {
            throw SimAPIError.invalidRequest("specification.options.filters.dataTypes must be [\"tableData\"]")
        }
        let scope = filters?["recordChangeScope"]?.stringValue
        if let scope, !tables.contains(where: { $0.id == scope }) {
            throw SimAPIError.invalidRequest("recordChangeScope \(scope) is not a table of this base")
        }
        let includes = options["includes"]
        var fieldIDs = Set<String>()
        var all = false
        switch includes?["includeCellValuesInFieldIds"] {
        case nil, .null?: break
        case .string("all")?: all = true
        case .array(let ids)?:
            for id in ids {
                guard let id = id.stringValue, SimIDs.isValid(id, prefix: "fld") else {
                    throw SimAPIError.invalidRequest("includeCellValuesInFieldIds must hold field ids")
                }
                fieldIDs.insert(id)
            }
        default: throw SimAPIError.invalidRequest("includeCellValuesInFieldIds must be a list of field ids or \"all\"")
        }
        guard webhooks.values.filter({ $0.base == base && !$0.isExpired(at: now) }).count < SimWebhook.maximumPerBase else {
            throw SimAPIError.invalidRequest("TOO_MANY_WEBHOOKS: a base has at most \(SimWebhook.maximumPerBase)")
        }
        var id = SimIDs.make("ach")
        while webhooks[id] != nil { id = SimIDs.make("ach") }
        var secret = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in secret.indices { secret[i] = UInt8.random(in: 0...255, using: &generator) }
        let webhook = SimWebhook(
            id: id, base: base, notificationURL: notificationURL, macSecret: secret, specification: specification,
            tableScope: scope, includedFieldIDs: fieldIDs, includesAllFields: all,
            includesPreviousValues: includes?["includePreviousCellValues"]?.boolValue ?? false,
            expirationTime: now.addingTimeInterval(SimWebhook.lifetime))
        webhooks[id] = webhook
        return ["id": .string(id), "macSecretBase64": .string(Data(secret).base64EncodedString()),
                "expirationTime": .string(SimTime.format(webhook.expirationTime))]
    }

    /// `GET /v0/bases/{base}/webhooks`; expired ones are gone.
    mutating func listWebhooks(base: String, now: Date) throws(SimAPIError) -> SimValue {
        guard bases[base] != nil else { throw SimAPIError.modelNotFound }
        dropExpiredWebhooks(now: now)
        let listed = webhooks.values.filter { $0.base == base }.sorted { $0.id < $1.id }
        return ["webhooks": .array(listed.map(\.json))]
    }

    mutating func deleteWebhook(base: String, id: String, now: Date) throws(SimAPIError) -> SimValue {
        _ = try liveWebhook(base: base, id: id, now: now)
        webhooks[id] = nil
        pingsDue.remove(id)
        return [:]
    }

    /// `POST …/webhooks/{id}/refresh`: seven more days from now.
    mutating func refreshWebhook(base: String, id: String, now: Date) throws(SimAPIError) -> SimValue {
        let webhook = try liveWebhook(base: base, id: id, now: now)
        let expiration = webhook.now(now).addingTimeInterval(SimWebhook.lifetime)
        webhooks[id]?.expirationTime = expiration
        return ["expirationTime": .string(SimTime.format(expiration))]
    }

    /// `GET …/webhooks/{id}/payloads?cursor=N&limit=L`; listing extends the webhook's life too.
    mutating func webhookPayloads(base: String, id: String, query: [(key: String, value: String)], now: Date) throws(SimAPIError) -> SimValue {
        let webhook = try liveWebhook(base: base, id: id, now: now)
        var cursor = 1
        var limit = Self.maximumPayloadsPerPage
        for (key, value) in query {
            switch key {
            case "cursor":
                guard let n = Int(value), n >= 1 else { throw SimAPIError.invalidRequest("cursor must be a positive integer") }
                cursor = n
            case "limit":
                guard let n = Int(value), (1...Self.maximumPayloadsPerPage).contains(n) else {
                    throw SimAPIError.invalidRequest("limit must be between 1 and \(Self.maximumPayloadsPerPage)")
                }
                limit = n
            default:
                throw SimAPIError.invalidRequest("unknown parameter \(key)")
            }
        }
        let start = min(cursor - 1, webhook.payloads.count)
        let end = min(start + limit, webhook.payloads.count)
        webhooks[id]?.expirationTime = webhook.now(now).addingTimeInterval(SimWebhook.lifetime)
        return ["payloads": .array(Array(webhook.payloads[start..<end])), "cursor": .number(Double(max(cursor, end + 1))),
                "mightHaveMore": .bool(end < webhook.payloads.count)]
    }

    private mutating func liveWebhook(base: String, id: String, now: Date) throws(SimAPIError) -> SimWebhook {
        dropExpiredWebhooks(now: now)
        guard let webhook = webhooks[id], webhook.base == base else { throw SimAPIError(404, "NOT_FOUND", "Could not find webhook \(id)") }
        return webhook
    }

    /// Airtable deletes a webhook once it has expired.
    mutating func dropExpiredWebhooks(now: Date) {
        for (id, webhook) in webhooks where webhook.isExpired(at: now) {
            webhooks[id] = nil
            pingsDue.remove(id)
        }
    }
}
