import Foundation

/// A change to one record, as a write made it (create, update, delete).
enum SimChange: Sendable {
    case created(SimRecord)
    case updated(before: SimRecord, after: SimRecord)
    case destroyed(String)
}

/// An Airtable webhook on a base (AIRTABLE.md, "Native webhooks"): its
/// specification, MAC secret, payload log (cursor n is `payloads[n - 1]`)
/// and notification state.
struct SimWebhook: Sendable {
    static let lifetime: TimeInterval = 7 * 24 * 3600
    static let maximumPerBase = 10

    let id: String
    let base: String
    let notificationURL: String?
    let macSecret: [UInt8]
    let specification: SimValue
    /// `recordChangeScope`: the `tbl` id it watches; nil: every table.
    let tableScope: String?
    /// `includeCellValuesInFieldIds`: field ids always reported, or every field.
    let includedFieldIDs: Set<String>
    let includesAllFields: Bool
    let includesPreviousValues: Bool
    var isHookEnabled = true
    var expirationTime: Date
    var payloads: [SimValue] = []
    var lastNotificationResult: SimValue = .null
    var lastSuccessfulNotificationTime: Date?
    /// Seconds the webhook's clock runs ahead of the simulator's (`/_sim/webhooks/{id}` `advance_s`).
    var clockOffset: TimeInterval = 0

    func now(_ now: Date) -> Date { now.addingTimeInterval(clockOffset) }
    func isExpired(at now: Date) -> Bool { self.now(now) >= expirationTime }

    var cursorForNextPayload: Int { payloads.count + 1 }

    var json: SimValue {
        let object: [String: SimValue] = [
            "id": .string(id), "type": "client", "isHookEnabled": .bool(isHookEnabled),
            "notificationUrl": notificationURL.map(SimValue.string) ?? .null,
            "cursorForNextPayload": .number(Double(cursorForNextPayload)),
            "areNotificationsEnabled": .bool(notificationURL != nil),
            "expirationTime": .string(SimTime.format(expirationTime)),
            "lastSuccessfulNotificationTime": lastSuccessfulNotificationTime.map { .string(SimTime.format($0)) } ?? .null,
            "lastNotificationResult": lastNotificationResult,
            "specification": specification,
        ]
        return .object(object)
    }

    /// The payload of one write on `table`, or nil when the webhook does not watch it.
    func payload(table: SimTable, changes: [SimChange], transaction: Int, at time: Date) -> SimValue? {
        guard isHookEnabled, tableScope == nil || tableScope == table.id else { return nil }
        var created: [String: SimValue] = [:]
        var changed: [String: SimValue] = [:]
        var destroyed: [SimValue] = []
        for change in changes {
            switch change {
            case .created(let record):
                created[record.id] = [
                    "createdTime": .string(SimTime.format(record.createdTime)),
                    "cellValuesByFieldId": .object(cells(table, table.visibleFields(record), only: nil)),
                ]
            case .updated(let before, let after):
                let old = table.visibleFields(before), new = table.visibleFields(after)
                let changedNames = Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }
                guard !changedNames.isEmpty else { continue }
                var entry: [String: SimValue] = [
                    "current": ["cellValuesByFieldId": .object(cells(table, new, only: changedNames, keepCleared: true))],
                ]
                if includesPreviousValues {
                    entry["previous"] = ["cellValuesByFieldId": .object(cells(table, old, only: changedNames, keepCleared: true))]
                }
                // Fields the webhook always wants that did not change.
                let unchanged = cells(table, new, only: Set(new.keys).subtracting(changedNames)).filter {
                    includesAllFields || includedFieldIDs.contains($0.key)
                }
                if !unchanged.isEmpty { entry["unchanged"] = ["cellValuesByFieldId": .object(unchanged)] }
                changed[after.id] = .object(entry)
            case .destroyed(let id):
                destroyed.append(.string(id))
            }
        }
        var tableChanges: [String: SimValue] = [:]
        if !created.isEmpty { tableChanges["createdRecordsById"] = .object(created) }
        if !changed.isEmpty { tableChanges["changedRecordsById"] = .object(changed) }
        if !destroyed.isEmpty { tableChanges["destroyedRecordIds"] = .array(destroyed) }
        guard !tableChanges.isEmpty else { return nil }
        return [
            "timestamp": .string(SimTime.format(time)), "baseTransactionNumber": .number(Double(transaction)),
            "payloadFormat": "v0", "actionMetadata": ["source": "publicApi", "sourceMetadata": ["user": ["id": "usrSimulator000001"]]],
            "changedTablesById": .object([table.id: .object(tableChanges)]),
        ]
    }

    /// Values by field id; with `keepCleared`, a field in `only` without a value is reported as null.
    private func cells(_ table: SimTable, _ fields: [String: SimValue], only: Set<String>?, keepCleared: Bool = false) -> [String: SimValue] {
        var cells: [String: SimValue] = [:]
        for (name, value) in fields where only?.contains(name) ?? true { cells[table.fieldID(name)] = value }
        if keepCleared, let only {
            for name in only where fields[name] == nil { cells[table.fieldID(name)] = .null }
        }
        return cells
    }
}

extension SimData {
    /// After a write: one payload (one transaction) for every webhook that watches `table`.
    mutating func recordPayload(base: String, table: SimTable, changes: [SimChange]) {
        let now = SimTime.now()
        let watching = webhooks.values.filter { $0.base == base && !$0.isExpired(at: now) }
        guard !watching.isEmpty else { return }
        let transaction = (transactionNumbers[base] ?? 0) + 1
        transactionNumbers[base] = transaction
        for webhook in watching {
            guard let payload = webhook.payload(table: table, changes: changes, transaction: transaction, at: now) else { continue }
            webhooks[webhook.id]?.payloads.append(payload)
            if webhook.notificationURL != nil { pingsDue.insert(webhook.id) }
        }
    }
}
