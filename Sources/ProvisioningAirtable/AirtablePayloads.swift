import Foundation
import Provisioning

/// A page of webhook payloads (`GET …/webhooks/{id}/payloads`) read into
/// records of the watched table: a created record's cells, a changed
/// record's `current` and `unchanged` cells (`current` wins), both by field
/// id; destroyed record ids. The payload's time stands in for the record's
/// modified time when the table maps no modified-time field.
struct AirtablePayloads {
    /// The last version of each record the page touched, in first-seen order.
    var records: [AirtableRecord] = []
    /// When each record's last change happened.
    var changedAt: [String: Date] = [:]
    var destroyed: [DeletedRecord] = []
    /// Error payloads (`{"error": true, "code"}`), by code.
    var errors: [String] = []
    var next: Int
    var mightHaveMore: Bool

    init?(_ body: Any, ids: AirtableTableIDs, from cursor: Int) {
        guard let object = body as? [String: Any], let payloads = object["payloads"] as? [[String: Any]] else { return nil }
        next = (object["cursor"] as? Int) ?? cursor
        mightHaveMore = (object["mightHaveMore"] as? Bool) ?? false
        var index: [String: Int] = [:]
        for payload in payloads {
            if payload["error"] as? Bool == true {
                errors.append(payload["code"] as? String ?? "unknown")
                continue
            }
            let time = (payload["timestamp"] as? String).flatMap(AirtableTime.parse) ?? Date()
            let table = (payload["changedTablesById"] as? [String: Any])?[ids.table] as? [String: Any] ?? [:]
            for (id, created) in (table["createdRecordsById"] as? [String: [String: Any]]) ?? [:] {
                let fields = Self.cells(created["cellValuesByFieldId"], ids: ids)
                let createdTime = (created["createdTime"] as? String).flatMap(AirtableTime.parse)
                keep(AirtableRecord(id: id, createdTime: createdTime, fields: fields), at: time, index: &index)
            }
            for (id, changed) in (table["changedRecordsById"] as? [String: [String: Any]]) ?? [:] {
                var fields = Self.cells((changed["unchanged"] as? [String: Any])?["cellValuesByFieldId"], ids: ids)
                fields.merge(Self.cells((changed["current"] as? [String: Any])?["cellValuesByFieldId"], ids: ids)) { $1 }
                keep(AirtableRecord(id: id, createdTime: nil, fields: fields), at: time, index: &index)
            }
            for id in (table["destroyedRecordIds"] as? [String]) ?? [] {
                destroyed.append(DeletedRecord(recordID: id, modifiedAt: time))
            }
        }
    }

    private mutating func keep(_ record: AirtableRecord, at time: Date, index: inout [String: Int]) {
        changedAt[record.id] = time
        if let at = index[record.id] {
            // A later change of the same record holds every included cell: it
            // replaces the earlier one; the creation time stays.
            let createdTime = records[at].createdTime
            records[at] = record
            records[at].createdTime = record.createdTime ?? createdTime
        } else {
            index[record.id] = records.count
            records.append(record)
        }
    }

    /// Cells by field name; a cleared cell (null) is dropped, as Airtable drops
    /// empty fields. A single select is `{id, name, color}` in a webhook
    /// payload (its name in the REST API): its name is the value.
    static func cells(_ json: Any?, ids: AirtableTableIDs) -> [String: AirtableValue] {
        var fields: [String: AirtableValue] = [:]
        for (id, value) in (json as? [String: Any]) ?? [:] {
            guard let name = ids.names[id], !(value is NSNull) else { continue }
            if let choice = value as? [String: Any], let choiceName = choice["name"] as? String, choice["id"] is String {
                fields[name] = .string(choiceName)
            } else {
                fields[name] = AirtableValue(value)
            }
        }
        return fields
    }
}
