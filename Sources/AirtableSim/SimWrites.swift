import Foundation

/// Create, update (PATCH merges, PUT replaces, optional upsert), delete and get, from request bodies.
/// Every request is validated completely before anything is written: a batch succeeds or changes nothing.
extension SimData {
    static let maximumBatch = 10

    func getRecord(base: String, table tableName: String, id: String) throws(SimAPIError) -> SimValue {
        let table = try self.table(base: base, table: tableName)
        guard let record = table.record(id) else { throw SimAPIError.recordNotFound }
        return table.json(record)
    }

    /// `POST /v0/{base}/{table}` with `{"records": [{"fields"}]}` (≤ 10) or a single `{"fields"}`.
    mutating func createRecords(base: String, table tableName: String, body: SimValue, now: Date) throws(SimAPIError) -> SimValue {
        let object = try Self.requestObject(body, allowed: ["records", "fields", "typecast", "returnFieldsByFieldId"])
        return try withTable(base: base, table: tableName) { (table: inout SimTable) throws(SimAPIError) -> SimValue in
            if let single = object["fields"] {
                guard object["records"] == nil else { throw SimAPIError.invalidRequest }
                let fields = try Self.fieldsObject(single)
                try table.validateWritable(fields)
                return table.json(table.create(fields: fields, now: now))
            }
            let entries = try Self.recordEntries(object["records"], verb: "created", allowed: ["fields"])
            var batch: [[String: SimValue]] = []
            for entry in entries {
                let fields = try Self.fieldsObject(entry["fields"] ?? [:])
                try table.validateWritable(fields)
                batch.append(fields)
            }
            let created = batch.map { table.json(table.create(fields: $0, now: now)) }
            return ["records": .array(created)]
        }
    }

    /// `PATCH`/`PUT /v0/{base}/{table}/{recordId}` with `{"fields"}`.
    mutating func updateRecord(base: String, table tableName: String, id: String, body: SimValue, replace: Bool, now: Date) throws(SimAPIError) -> SimValue {
        let object = try Self.requestObject(body, allowed: ["fields", "typecast", "returnFieldsByFieldId"])
        return try withTable(base: base, table: tableName) { (table: inout SimTable) throws(SimAPIError) -> SimValue in
            let fields = try Self.fieldsObject(object["fields"] ?? [:])
            try table.validateWritable(fields)
            guard let record = table.update(id: id, fields: fields, replace: replace, now: now) else {
                throw SimAPIError.rowDoesNotExist(id)
            }
            return table.json(record)
        }
    }

    /// `PATCH`/`PUT /v0/{base}/{table}` with `{"records": [{"id", "fields"}]}` (≤ 10),
    /// optionally `performUpsert: {"fieldsToMergeOn": [...]}`.
    mutating func updateRecords(base: String, table tableName: String, body: SimValue, replace: Bool, now: Date) throws(SimAPIError) -> SimValue {
        let object = try Self.requestObject(body, allowed: ["records", "performUpsert", "typecast", "returnFieldsByFieldId"])
        return try withTable(base: base, table: tableName) { (table: inout SimTable) throws(SimAPIError) -> SimValue in
            let mergeOn = try Self.mergeFields(object["performUpsert"], table: table)
            let entries = try Self.recordEntries(object["records"], verb: "updated", allowed: ["id", "fields"])
            var plan: [(id: String?, fields: [String: SimValue])] = []
            var claimed = Set<String>()
            var newKeys = Set<[SimValue]>()
            for entry in entries {
                let fields = try Self.fieldsObject(entry["fields"] ?? [:])
                try table.validateWritable(fields)
                if let idValue = entry["id"] {
                    guard let id = idValue.stringValue else { throw SimAPIError.invalidRequest }
                    guard table.record(id) != nil else { throw SimAPIError.rowDoesNotExist(id) }
                    guard claimed.insert(id).inserted else { throw SimAPIError.invalidRecords("Record \(id) appears more than once") }
                    plan.append((id, fields))
                    continue
                }
                guard let mergeOn else { throw SimAPIError.invalidRequest("each record needs an id") }
                var key: [SimValue] = []
                for name in mergeOn {
                    guard let value = fields[name], !value.isEmptyCell else {
                        throw SimAPIError.invalidRequest("each record must include a value for every field in fieldsToMergeOn (\(name))")
                    }
                    key.append(value)
                }
                let matches = table.recordsInOrder.filter { record in
                    let visible = table.visibleFields(record)
                    return zip(mergeOn, key).allSatisfy { visible[$0.0] == $0.1 }
                }
                switch matches.count {
                case 0:
                    guard newKeys.insert(key).inserted else {
                        throw SimAPIError.invalidRecords("Two records in this request have the same fieldsToMergeOn values")
                    }
                    plan.append((nil, fields))
                case 1:
                    guard claimed.insert(matches[0].id).inserted else {
                        throw SimAPIError.invalidRecords("Record \(matches[0].id) is matched more than once in this request")
                    }
                    plan.append((matches[0].id, fields))
                default:
                    throw SimAPIError(422, "INVALID_VALUE_FOR_COLUMN",
                                      "Cannot upsert: \(matches.count) records match the fieldsToMergeOn values; they must identify at most one record")
                }
            }
            var records: [SimValue] = []
            var createdIDs: [SimValue] = []
            var updatedIDs: [SimValue] = []
            for step in plan {
                if let id = step.id, let record = table.update(id: id, fields: step.fields, replace: replace, now: now) {
                    records.append(table.json(record))
                    updatedIDs.append(.string(id))
                } else {
                    let record = table.create(fields: step.fields, now: now)
                    records.append(table.json(record))
                    createdIDs.append(.string(record.id))
                }
            }
            var response: [String: SimValue] = ["records": .array(records)]
            if mergeOn != nil {
                response["createdRecords"] = .array(createdIDs)
                response["updatedRecords"] = .array(updatedIDs)
            }
            return .object(response)
        }
    }

    /// `DELETE /v0/{base}/{table}/{recordId}` and `DELETE /v0/{base}/{table}?records[]=...` (≤ 10).
    mutating func deleteRecords(base: String, table tableName: String, ids: [String], single: Bool) throws(SimAPIError) -> SimValue {
        try withTable(base: base, table: tableName) { (table: inout SimTable) throws(SimAPIError) -> SimValue in
            guard !ids.isEmpty else { throw SimAPIError.invalidRequest("records[] is required") }
            guard ids.count <= Self.maximumBatch else {
                throw SimAPIError.invalidRecords("A maximum of \(Self.maximumBatch) records can be deleted per request but you have provided \(ids.count).")
            }
            guard Set(ids).count == ids.count else { throw SimAPIError.invalidRecords("A record appears more than once") }
            for id in ids where table.record(id) == nil { throw SimAPIError.recordNotFound }
            for id in ids { _ = table.delete(id: id) }
            let answers: [SimValue] = ids.map { ["id": .string($0), "deleted": true] }
            if single, let first = answers.first { return first }
            return ["records": .array(answers)]
        }
    }

    // MARK: body helpers

    static func requestObject(_ body: SimValue, allowed: Set<String>) throws(SimAPIError) -> [String: SimValue] {
        guard case .object(let object) = body else { throw SimAPIError.invalidRequest }
        for key in object.keys where !allowed.contains(key) { throw SimAPIError.invalidRequest("unknown parameter \(key)") }
        if let typecast = object["typecast"], typecast.boolValue == nil { throw SimAPIError.invalidRequest }
        if let byID = object["returnFieldsByFieldId"], byID != false {
            throw SimAPIError.invalidRequest("the simulator does not support returnFieldsByFieldId")
        }
        return object
    }

    private static func recordEntries(_ value: SimValue?, verb: String, allowed: Set<String>) throws(SimAPIError) -> [[String: SimValue]] {
        guard let array = value?.arrayValue else { throw SimAPIError.invalidRequest("records must be an array") }
        guard !array.isEmpty else { throw SimAPIError.invalidRecords("At least one record must be provided") }
        guard array.count <= maximumBatch else {
            throw SimAPIError.invalidRecords("A maximum of \(maximumBatch) records can be \(verb) per request but you have provided \(array.count).")
        }
        var entries: [[String: SimValue]] = []
        for element in array {
            guard let object = element.objectValue else { throw SimAPIError.invalidRequest }
            for key in object.keys where !allowed.contains(key) { throw SimAPIError.invalidRequest("unknown record key \(key)") }
            entries.append(object)
        }
        return entries
    }

    private static func fieldsObject(_ value: SimValue) throws(SimAPIError) -> [String: SimValue] {
        guard let object = value.objectValue else { throw SimAPIError.invalidRequest("fields must be an object") }
        return object
    }

    private static func mergeFields(_ value: SimValue?, table: SimTable) throws(SimAPIError) -> [String]? {
        guard let value else { return nil }
        guard let object = value.objectValue, Set(object.keys) == ["fieldsToMergeOn"],
            let array = object["fieldsToMergeOn"]?.arrayValue
        else { throw SimAPIError.invalidRequest("performUpsert needs fieldsToMergeOn") }
        var names: [String] = []
        for element in array {
            guard let name = element.stringValue else { throw SimAPIError.invalidRequest }
            guard table.isKnownField(name) else { throw SimAPIError.unknownField(name) }
            guard name != table.spec.lastModifiedField else { throw SimAPIError.computedField(name) }
            names.append(name)
        }
        guard (1...3).contains(names.count), Set(names).count == names.count else {
            throw SimAPIError.invalidRequest("fieldsToMergeOn must name one to three fields")
        }
        return names
    }
}
