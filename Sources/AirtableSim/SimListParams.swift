/// The parameters of a list request, from a query string (`GET`) or a JSON body (`POST .../listRecords`).
struct SimListParams: Sendable {
    struct Sort: Sendable {
        var field: String
        var descending: Bool
    }

    var filterByFormula: String?
    var pageSize = 100
    var offset: String?
    var fields: [String]?
    var sort: [Sort] = []
    var maxRecords: Int?

    static let maximumPageSize = 100

    /// Parameters Airtable accepts that the simulator ignores.
    private static let ignoredKeys: Set<String> = ["view", "timeZone", "userLocale"]

    init() {}

    init(query: [(key: String, value: String)]) throws(SimAPIError) {
        var sortFields: [Int: String] = [:]
        var sortDirections: [Int: String] = [:]
        for (key, value) in query {
            switch key {
            case "filterByFormula": filterByFormula = value
            case "pageSize": pageSize = try Self.integer(value, name: key)
            case "maxRecords": maxRecords = try Self.integer(value, name: key)
            case "offset": offset = value
            case "fields[]", "fields":
                fields = (fields ?? []) + [value]
            case "cellFormat": try Self.checkCellFormat(.string(value))
            case "returnFieldsByFieldId": try Self.checkFieldIDs(value == "true" || value == "1")
            case _ where Self.ignoredKeys.contains(key) || key.hasPrefix("recordMetadata"): break
            case _ where key.hasPrefix("fields["):
                guard key.hasSuffix("]"), Int(key.dropFirst(7).dropLast()) != nil else { throw SimAPIError.invalidRequest }
                fields = (fields ?? []) + [value]
            case _ where key.hasPrefix("sort["):
                // sort[N][field] / sort[N][direction]
                let inner = key.dropFirst(5)
                guard let close = inner.firstIndex(of: "]"), let index = Int(inner[..<close]), index >= 0, index < 100 else {
                    throw SimAPIError.invalidRequest
                }
                switch inner[close...] {
                case "][field]": sortFields[index] = value
                case "][direction]": sortDirections[index] = value
                default: throw SimAPIError.invalidRequest
                }
            default:
                throw SimAPIError.invalidRequest("unknown parameter \(key)")
            }
        }
        for index in sortFields.keys.sorted() {
            guard let field = sortFields[index] else { continue }
            sort.append(Sort(field: field, descending: try Self.direction(sortDirections[index])))
        }
        guard Set(sortDirections.keys).isSubset(of: Set(sortFields.keys)) else { throw SimAPIError.invalidRequest }
        try validate()
    }

    init(body: SimValue) throws(SimAPIError) {
        guard case .object(let object) = body else { throw SimAPIError.invalidRequest }
        for (key, value) in object {
            switch key {
            case "filterByFormula":
                guard let s = value.stringValue else { throw SimAPIError.invalidRequest }
                filterByFormula = s
            case "pageSize":
                guard let n = value.intValue else { throw SimAPIError.invalidRequest }
                pageSize = n
            case "maxRecords":
                guard let n = value.intValue else { throw SimAPIError.invalidRequest }
                maxRecords = n
            case "offset":
                guard let s = value.stringValue else { throw SimAPIError.invalidRequest }
                offset = s
            case "fields":
                guard let a = value.arrayValue else { throw SimAPIError.invalidRequest }
                var names: [String] = []
                for element in a {
                    guard let s = element.stringValue else { throw SimAPIError.invalidRequest }
                    names.append(s)
                }
                fields = names
            case "sort":
                guard let a = value.arrayValue else { throw SimAPIError.invalidRequest }
                for element in a {
                    guard let field = element["field"]?.stringValue else { throw SimAPIError.invalidRequest }
                    let direction = element["direction"]
                    guard direction == nil || direction?.stringValue != nil else { throw SimAPIError.invalidRequest }
                    sort.append(Sort(field: field, descending: try Self.direction(direction?.stringValue)))
                }
            case "cellFormat": try Self.checkCellFormat(value)
            case "returnFieldsByFieldId": try Self.checkFieldIDs(value.boolValue ?? false)
            case _ where Self.ignoredKeys.contains(key) || key == "recordMetadata": break
            default: throw SimAPIError.invalidRequest("unknown parameter \(key)")
            }
        }
        try validate()
    }

    private func validate() throws(SimAPIError) {
        guard (1...Self.maximumPageSize).contains(pageSize) else {
            throw SimAPIError.invalidRequest("pageSize must be between 1 and \(Self.maximumPageSize)")
        }
        if let maxRecords, maxRecords < 1 { throw SimAPIError.invalidRequest("maxRecords must be positive") }
    }

    private static func integer(_ text: String, name: String) throws(SimAPIError) -> Int {
        guard let n = Int(text) else { throw SimAPIError.invalidRequest("\(name) must be an integer") }
        return n
    }

    private static func direction(_ text: String?) throws(SimAPIError) -> Bool {
        switch text {
        case nil, "asc"?: return false
        case "desc"?: return true
        default: throw SimAPIError.invalidRequest("sort direction must be asc or desc")
        }
    }

    private static func checkCellFormat(_ value: SimValue) throws(SimAPIError) {
        guard value == "json" else { throw SimAPIError.invalidRequest("the simulator supports only cellFormat=json") }
    }

    private static func checkFieldIDs(_ on: Bool) throws(SimAPIError) {
        guard !on else { throw SimAPIError.invalidRequest("the simulator does not support returnFieldsByFieldId") }
    }
}
