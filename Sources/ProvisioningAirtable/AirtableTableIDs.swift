import Foundation
import Provisioning

/// The ids Airtable's webhooks speak in (CONTRACT §9): the table's `tbl…`
/// id and the `fld…` id of every mapped field, from
/// `GET /v0/meta/bases/{base}/tables`.
struct AirtableTableIDs: Sendable, Equatable {
    var table: String
    /// Field name to id, for every field the provider maps.
    var fields: [String: String]
    /// Field id to name: how payload cells become a record's fields.
    var names: [String: String]

    /// Found in the schema body, or a description of what is missing.
    static func resolve(_ body: Any, settings: AirtableSettings) -> Result<AirtableTableIDs, PushFeedError> {
        let tables = ((body as? [String: Any])?["tables"] as? [[String: Any]]) ?? []
        guard let table = tables.first(where: { $0["id"] as? String == settings.table || $0["name"] as? String == settings.table }),
              let tableID = table["id"] as? String else {
            return .failure(.unavailable("table '\(settings.table)' is not in base \(settings.base)'s schema"))
        }
        var byName: [String: String] = [:]
        for field in (table["fields"] as? [[String: Any]]) ?? [] {
            if let name = field["name"] as? String, let id = field["id"] as? String { byName[name] = id }
        }
        var fields: [String: String] = [:]
        for name in Set(settings.fields.values) {
            guard let id = byName[name] else {
                return .failure(.unavailable("field '\(name)' is not in table '\(settings.table)'"))
            }
            fields[name] = id
        }
        return .success(AirtableTableIDs(
            table: tableID, fields: fields, names: Dictionary(uniqueKeysWithValues: fields.map { ($0.value, $0.key) })))
    }

    /// The webhook's specification: this table, every mapped field's
    /// values with each change, and the values before it.
    var specification: [String: Any] {
        [
            "options": [
                "filters": ["dataTypes": ["tableData"], "recordChangeScope": table],
                "includes": ["includeCellValuesInFieldIds": fields.values.sorted(), "includePreviousCellValues": true],
            ] as [String: Any],
        ]
    }

    /// Whether a webhook's specification (as listed) is the one this config asks for.
    func matches(_ specification: Any?) -> Bool {
        let options = (specification as? [String: Any])?["options"] as? [String: Any]
        let scope = (options?["filters"] as? [String: Any])?["recordChangeScope"] as? String
        let included = (options?["includes"] as? [String: Any])?["includeCellValuesInFieldIds"] as? [String]
        return scope == table && Set(included ?? []) == Set(fields.values)
    }
}
