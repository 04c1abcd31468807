import Foundation

/// One record as the simulator keeps it. `fields` never holds empty values nor the computed last-modified field.
struct SimRecord: Sendable {
    let id: String
    let createdTime: Date
    var lastModifiedTime: Date
    var fields: [String: SimValue]
}

/// A public, read-only copy of one record (for tests).
public struct SimRecordSnapshot: Sendable, Hashable {
    public let id: String
    public let createdTime: Date
    public let lastModifiedTime: Date
    /// The fields as the API returns them, including the last-modified field when the table has one.
    public let fields: [String: SimValue]
}

struct SimTable: Sendable {
    let id: String
    var spec: SimTableSpec
    private(set) var declared: Set<String>?
    private(set) var records: [String: SimRecord] = [:]
    /// Record ids in creation order (the default listing order).
    private(set) var order: [String] = []
    /// Changes since the last `takeChanges()`: what webhook payloads report.
    private(set) var changes: [SimChange] = []

    init(spec: SimTableSpec, id: String = SimIDs.make("tbl")) {
        self.id = id
        self.spec = spec
        self.declared = spec.fields.map(Set.init)
    }

    mutating func redeclare(fields: [String]?, lastModifiedField: String??) {
        if let fields {
            spec.fields = fields
            declared = Set(fields)
        }
        if let lastModifiedField { spec.lastModifiedField = lastModifiedField }
    }

    var count: Int { records.count }
    var recordsInOrder: [SimRecord] { order.compactMap { records[$0] } }
    func record(_ id: String) -> SimRecord? { records[id] }

    /// Readable by formulas, `fields[]` and `sort`.
    func isKnownField(_ name: String) -> Bool {
        guard let declared else { return true }
        return declared.contains(name) || name == spec.lastModifiedField
    }

    /// Rejects unknown names (declared tables) and writes to the computed last-modified field.
    func validateWritable(_ fields: [String: SimValue]) throws(SimAPIError) {
        for name in fields.keys.sorted() {
            if name == spec.lastModifiedField { throw SimAPIError.computedField(name) }
            if let declared, !declared.contains(name) { throw SimAPIError.unknownField(name) }
            if name.isEmpty { throw SimAPIError.unknownField(name) }
        }
    }

    /// The fields as the API shows them: the last-modified field added, empty values left out.
    func visibleFields(_ record: SimRecord) -> [String: SimValue] {
        var fields = record.fields
        if let lm = spec.lastModifiedField { fields[lm] = .string(SimTime.format(record.lastModifiedTime)) }
        return fields
    }

    func snapshot(_ record: SimRecord) -> SimRecordSnapshot {
        SimRecordSnapshot(id: record.id, createdTime: record.createdTime, lastModifiedTime: record.lastModifiedTime,
                          fields: visibleFields(record))
    }

    /// `{"id", "createdTime", "fields"}`, restricted to `only` when given.
    func json(_ record: SimRecord, only: [String]? = nil) -> SimValue {
        var fields = visibleFields(record)
        if let only {
            let keep = Set(only)
            fields = fields.filter { keep.contains($0.key) }
        }
        return ["id": .string(record.id), "createdTime": .string(SimTime.format(record.createdTime)), "fields": .object(fields)]
    }

    func formulaRecord(_ record: SimRecord) -> FormulaRecord {
        let lm = spec.lastModifiedField
        return FormulaRecord(id: record.id, createdTime: record.createdTime, lastModifiedTime: record.lastModifiedTime) { name in
            if name == lm { return .date(record.lastModifiedTime) }
            return FormulaValue(cell: record.fields[name])
        }
    }

    static func withoutEmpties(_ fields: [String: SimValue]) -> [String: SimValue] {
        fields.filter { !$0.value.isEmptyCell }
    }

    // MARK: writes (callers validate first)

    mutating func create(fields: [String: SimValue], id: String? = nil, createdTime: Date? = nil, lastModified: Date? = nil, now: Date) -> SimRecord {
        var recordID = id ?? SimIDs.make("rec")
        while id == nil, records[recordID] != nil { recordID = SimIDs.make("rec") }
        if records[recordID] != nil { order.removeAll { $0 == recordID } }
        let record = SimRecord(id: recordID, createdTime: createdTime.map(SimTime.truncated) ?? now,
                               lastModifiedTime: lastModified.map(SimTime.truncated) ?? now,
                               fields: Self.withoutEmpties(fields))
        records[recordID] = record
        order.append(recordID)
        changes.append(.created(record))
        return record
    }

    /// PATCH merges (an empty value clears the field); PUT (`replace`) clears every field not sent.
    mutating func update(id: String, fields: [String: SimValue], replace: Bool, now: Date) -> SimRecord? {
        guard var record = records[id] else { return nil }
        let before = record
        if replace {
            record.fields = Self.withoutEmpties(fields)
        } else {
            for (name, value) in fields {
                record.fields[name] = value.isEmptyCell ? nil : value
            }
        }
        record.lastModifiedTime = now
        records[id] = record
        changes.append(.updated(before: before, after: record))
        return record
    }

    mutating func delete(id: String) -> Bool {
        guard records.removeValue(forKey: id) != nil else { return false }
        order.removeAll { $0 == id }
        changes.append(.destroyed(id))
        return true
    }

    /// The changes since the last call, in order.
    mutating func takeChanges() -> [SimChange] {
        defer { changes = [] }
        return changes
    }

    mutating func removeAll() {
        records = [:]
        order = []
    }
}

/// A listing in progress: the ids matched when it started, in order.
struct SimIterator: Sendable {
    let id: String
    let baseID: String
    let tableID: String
    let recordIDs: [String]
    var lastUsed: ContinuousClock.Instant
}

/// All bases, tables and list iterators.
struct SimData: Sendable {
    var bases: [String: [SimTable]] = [:]
    var iterators: [String: SimIterator] = [:]
    /// Webhooks by id (`ach…`), and each base's transaction number.
    var webhooks: [String: SimWebhook] = [:]
    var transactionNumbers: [String: Int] = [:]
    /// Webhooks with payloads their notification URL has not been pinged for.
    var pingsDue: Set<String> = []
    /// A webhook's ping in flight or waiting to be retried.
    struct PingRetry: Sendable {
        var number: Int
        var at: Date
        var inFlight: Bool
    }
    var pingRetries: [String: PingRetry] = [:]
    static let maximumIterators = 1000

    init(configuration: SimConfiguration) {
        for (base, specs) in configuration.bases {
            for spec in specs { addTable(base: base, spec: spec) }
        }
    }

    mutating func addTable(base: String, spec: SimTableSpec) {
        var tables = bases[base] ?? []
        if let i = tables.firstIndex(where: { $0.spec.name == spec.name }) {
            tables[i].redeclare(fields: spec.fields, lastModifiedField: .some(spec.lastModifiedField))
        } else {
            tables.append(SimTable(spec: spec))
        }
        bases[base] = tables
    }

    /// The table addressed by name or `tbl` id; 403 when the base or table is unknown.
    func tableIndex(base: String, table: String) throws(SimAPIError) -> Int {
        guard let tables = bases[base],
            let i = tables.firstIndex(where: { $0.spec.name == table }) ?? tables.firstIndex(where: { $0.id == table })
        else { throw SimAPIError.modelNotFound }
        return i
    }

    func table(base: String, table: String) throws(SimAPIError) -> SimTable {
        let i = try tableIndex(base: base, table: table)
        guard let t = bases[base]?[i] else { throw SimAPIError.modelNotFound }
        return t
    }

    /// Runs `body` on the addressed table in place.
    mutating func withTable<R>(base: String, table: String, _ body: (inout SimTable) throws(SimAPIError) -> R) throws(SimAPIError) -> R {
        let i = try tableIndex(base: base, table: table)
        guard var tables = bases[base] else { throw SimAPIError.modelNotFound }
        bases[base] = nil  // keep the array uniquely referenced while editing
        defer {
            // One write request (or one control call) is one payload, as one Airtable transaction.
            let changes = tables[i].takeChanges()
            let table = tables[i]
            bases[base] = tables
            if !changes.isEmpty { recordPayload(base: base, table: table, changes: changes) }
        }
        return try body(&tables[i])
    }

    mutating func clearRecords() {
        for (base, tables) in bases {
            var copy = tables
            for i in copy.indices {
                copy[i].removeAll()
                _ = copy[i].takeChanges()
            }
            bases[base] = copy
        }
        iterators = [:]
    }
}
