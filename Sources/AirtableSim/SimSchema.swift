import Foundation

/// `GET /v0/meta/bases/{base}/tables` (Airtable's schema route): each table
/// with its `tbl` id and its fields with `fld` ids, which is how names in a
/// config become the ids a webhook specification needs. A field's id is
/// derived from its table's id and its name, so it stays the same for the
/// life of the table. A table that accepts any field name lists the fields
/// its records hold (and its last-modified field), sorted by name.
extension SimTable {
    /// The `fld` id of `name` in this table.
    func fieldID(_ name: String) -> String {
        SimIDs.derived("fld", from: "\(id)|\(name)")
    }

    /// Field names in schema order: the declared ones as declared, else every name in use.
    var schemaFieldNames: [String] {
        var names: [String]
        if let declared = spec.fields {
            names = declared
        } else {
            var seen = Set<String>()
            for record in records.values { seen.formUnion(record.fields.keys) }
            names = seen.sorted()
        }
        if let lm = spec.lastModifiedField, !names.contains(lm) { names.append(lm) }
        return names
    }

    /// Airtable's field type, as far as the values tell.
    private func fieldType(_ name: String) -> String {
        if name == spec.lastModifiedField { return "lastModifiedTime" }
        for record in records.values {
            switch record.fields[name] {
            case .number?: return "number"
            case .bool?: return "checkbox"
            case .array?: return "multipleSelects"
            case .string?: return name.lowercased().contains("email") ? "email" : "singleLineText"
            default: continue
            }
        }
        return name.lowercased().contains("email") ? "email" : "singleLineText"
    }

    var schemaJSON: SimValue {
        let names = schemaFieldNames
        let fields: [SimValue] = names.map { ["id": .string(fieldID($0)), "name": .string($0), "type": .string(fieldType($0))] }
        var object: [String: SimValue] = ["id": .string(id), "name": .string(spec.name), "fields": .array(fields), "views": .array([])]
        if let primary = names.first { object["primaryFieldId"] = .string(fieldID(primary)) }
        return .object(object)
    }
}

extension SimData {
    func schema(base: String) throws(SimAPIError) -> SimValue {
        guard let tables = bases[base] else { throw SimAPIError.modelNotFound }
        return ["tables": .array(tables.map(\.schemaJSON))]
    }
}
