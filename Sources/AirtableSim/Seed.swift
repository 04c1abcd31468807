import Foundation
import Yams

/// A problem in a seed file, with the path of the offending key.
public struct SimSeedError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let path: String
    public let message: String
    public var description: String { "\(file): \(path.isEmpty ? "" : path + ": ")\(message)" }
}

/// A parsed seed file:
/// `{"bases": {"appX": {"tables": {"Users": {"fields": [...]?, "lastModifiedField": "Last Modified"?,
///   "records": [{"id"?, "createdTime"?, "fields": {...}}]}}}}}`.
/// A record may give the table's last-modified field to set its last-modified time.
struct SimSeed: Sendable {
    struct Record: Sendable {
        var id: String?
        var createdTime: Date?
        var lastModified: Date?
        var fields: [String: SimValue]
    }

    struct Table: Sendable {
        var base: String
        var name: String
        var fields: [String]?
        /// `.some(nil)` when the seed sets `lastModifiedField: null`; `nil` when the key is absent.
        var lastModifiedField: String??
        var records: [Record]
    }

    var tables: [Table] = []

    /// Reads JSON (`.json`) or YAML (anything else) and checks the shape.
    static func load(path: String) throws(SimSeedError) -> SimSeed {
        let fail = { (p: String, m: String) in SimSeedError(file: path, path: p, message: m) }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw fail("", "cannot read: \(error.localizedDescription)")
        }
        let root: SimValue
        if path.lowercased().hasSuffix(".json") {
            guard let value = SimJSON.parse(Data(text.utf8)) else { throw fail("", "not valid JSON") }
            root = value
        } else {
            do {
                guard let node = try Yams.compose(yaml: text) else { throw fail("", "empty file") }
                root = try value(of: node, path: "", fail: fail)
            } catch let error as SimSeedError {
                throw error
            } catch {
                throw fail("", "not valid YAML: \(error)")
            }
        }
        return try parse(root, fail: fail)
    }

    static func parse(_ root: SimValue, fail: (String, String) -> SimSeedError) throws(SimSeedError) -> SimSeed {
        var seed = SimSeed()
        let top = try object(root, "", allowed: ["bases"], fail: fail)
        let bases = try object(top["bases"] ?? [:], "bases", allowed: nil, fail: fail)
        for base in bases.keys.sorted() {
            let basePath = "bases.\(base)"
            let baseObject = try object(bases[base] ?? [:], basePath, allowed: ["tables"], fail: fail)
            let tables = try object(baseObject["tables"] ?? [:], basePath + ".tables", allowed: nil, fail: fail)
            for name in tables.keys.sorted() {
                let tablePath = "\(basePath).tables.\(name)"
                let t = try object(tables[name] ?? [:], tablePath, allowed: ["fields", "lastModifiedField", "records"], fail: fail)
                var table = Table(base: base, name: name, fields: nil, lastModifiedField: nil, records: [])
                if let fields = t["fields"] {
                    guard let names = fields.arrayValue?.compactMap(\.stringValue), names.count == fields.arrayValue?.count else {
                        throw fail(tablePath + ".fields", "expected a list of field names")
                    }
                    table.fields = names
                }
                switch t["lastModifiedField"] {
                case nil: break
                case .null?: table.lastModifiedField = .some(nil)
                case .string(let s)?: table.lastModifiedField = .some(s)
                default: throw fail(tablePath + ".lastModifiedField", "expected a field name or null")
                }
                guard let records = (t["records"] ?? []).arrayValue else { throw fail(tablePath + ".records", "expected a list") }
                for (i, r) in records.enumerated() {
                    table.records.append(try record(r, "\(tablePath).records[\(i)]", fail: fail))
                }
                seed.tables.append(table)
            }
        }
        return seed
    }

    private static func record(_ value: SimValue, _ path: String, fail: (String, String) -> SimSeedError) throws(SimSeedError) -> Record {
        let r = try object(value, path, allowed: ["id", "createdTime", "fields"], fail: fail)
        var record = Record(fields: try object(r["fields"] ?? [:], path + ".fields", allowed: nil, fail: fail))
        if let id = r["id"] {
            guard let s = id.stringValue, SimIDs.isValid(s, prefix: "rec") else {
                throw fail(path + ".id", "expected rec followed by 14 letters or digits")
            }
            record.id = s
        }
        if let created = r["createdTime"] {
            guard let s = created.stringValue, let date = SimTime.parse(s) else {
                throw fail(path + ".createdTime", "expected an ISO 8601 time")
            }
            record.createdTime = date
        }
        return record
    }

    private static func object(_ value: SimValue, _ path: String, allowed: Set<String>?, fail: (String, String) -> SimSeedError) throws(SimSeedError) -> [String: SimValue] {
        guard case .object(let o) = value else { throw fail(path, "expected a mapping") }
        if let allowed {
            for key in o.keys.sorted() where !allowed.contains(key) {
                throw fail(path.isEmpty ? key : "\(path).\(key)", "unknown key (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        return o
    }

    /// YAML → value, honouring quoting: only plain scalars become numbers, booleans or null.
    private static func value(of node: Node, path: String, fail: (String, String) -> SimSeedError) throws -> SimValue {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain else { return .string(scalar.string) }
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map(SimValue.bool) ?? .string(scalar.string)
            case .int: return node.int.map { .number(Double($0)) } ?? .string(scalar.string)
            case .float: return node.float.map(SimValue.number) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            var out: [SimValue] = []
            for (i, element) in sequence.enumerated() { out.append(try value(of: element, path: "\(path)[\(i)]", fail: fail)) }
            return .array(out)
        case .mapping(let mapping):
            var out: [String: SimValue] = [:]
            for (k, v) in mapping {
                guard let key = k.string else {
                    let line = k.mark.map { " (line \($0.line))" } ?? ""
                    throw fail(path, "keys must be strings\(line)")
                }
                out[key] = try value(of: v, path: path.isEmpty ? key : "\(path).\(key)", fail: fail)
            }
            return .object(out)
        case .alias:
            throw fail(path, "YAML aliases are not supported")
        }
    }
}

extension SimData {
    /// Adds a seed's tables and records; a seed's `fields` list turns a table into a declared one.
    mutating func apply(_ seed: SimSeed, file: String, now: Date) throws(SimSeedError) {
        for t in seed.tables {
            let path = "bases.\(t.base).tables.\(t.name)"
            if (try? tableIndex(base: t.base, table: t.name)) == nil {
                var lastModified: String? = nil
                if case .some(let value) = t.lastModifiedField { lastModified = value }
                addTable(base: t.base, spec: SimTableSpec(name: t.name, fields: t.fields, lastModifiedField: lastModified))
            } else {
                do {
                    try withTable(base: t.base, table: t.name) { (table: inout SimTable) throws(SimAPIError) in
                        table.redeclare(fields: t.fields, lastModifiedField: t.lastModifiedField)
                    }
                } catch {
                    throw SimSeedError(file: file, path: path, message: "table not found")
                }
            }
            for (i, r) in t.records.enumerated() {
                let recordPath = "\(path).records[\(i)]"
                do {
                    try withTable(base: t.base, table: t.name) { (table: inout SimTable) throws(SimAPIError) in
                        var fields = r.fields
                        var lastModified = r.lastModified
                        if let lm = table.spec.lastModifiedField, let value = fields.removeValue(forKey: lm) {
                            guard let s = value.stringValue, let date = SimTime.parse(s) else {
                                throw SimAPIError(422, "INVALID_VALUE_FOR_COLUMN", "\(lm): expected an ISO 8601 time")
                            }
                            lastModified = date
                        }
                        try table.validateWritable(fields)
                        if let id = r.id, table.record(id) != nil {
                            throw SimAPIError(422, "DUPLICATE_ID", "record id \(id) is used twice")
                        }
                        _ = table.create(fields: fields, id: r.id, createdTime: r.createdTime,
                                         lastModified: lastModified ?? r.createdTime, now: now)
                    }
                } catch {
                    guard case .string(let message)? = error.body["error"]?["message"] else { throw SimSeedError(file: file, path: recordPath, message: "invalid record") }
                    throw SimSeedError(file: file, path: recordPath, message: message)
                }
            }
        }
    }
}
