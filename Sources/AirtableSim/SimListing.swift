import Foundation

extension SimData {
    /// Answers a list request: `{"records": [...], "offset"?: "itr.../rec..."}`.
    mutating func list(base: String, table tableName: String, params: SimListParams, now: ContinuousClock.Instant,
                       iteratorTTL: Duration) throws(SimAPIError) -> SimValue {
        let table = try self.table(base: base, table: tableName)
        expireIterators(now: now, ttl: iteratorTTL)
        if let fields = params.fields {
            for name in fields where !table.isKnownField(name) { throw SimAPIError.unknownField(name) }
        }

        let iterator: SimIterator
        let start: Int
        if let offset = params.offset {
            (iterator, start) = try resume(offset: offset, base: base, table: table)
        } else {
            var ids = try Self.matchingIDs(table: table, params: params)
            if let maxRecords = params.maxRecords, ids.count > maxRecords { ids = Array(ids.prefix(maxRecords)) }
            iterator = SimIterator(id: SimIDs.make("itr"), baseID: base, tableID: table.id, recordIDs: ids, lastUsed: now)
            start = 0
        }

        let end = min(start + params.pageSize, iterator.recordIDs.count)
        let page = iterator.recordIDs[start..<end].compactMap { table.record($0) }
        var response: [String: SimValue] = ["records": .array(page.map { table.json($0, only: params.fields) })]
        if end < iterator.recordIDs.count {
            var kept = iterator
            kept.lastUsed = now
            storeIterator(kept)
            response["offset"] = .string("\(kept.id)/\(kept.recordIDs[end])")
        }
        return .object(response)
    }

    /// Finds the iterator named by an offset token and the position it points at.
    private func resume(offset: String, base: String, table: SimTable) throws(SimAPIError) -> (SimIterator, Int) {
        let parts = offset.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, SimIDs.isValid(String(parts[0]), prefix: "itr"), SimIDs.isValid(String(parts[1]), prefix: "rec") else {
            throw SimAPIError(422, "INVALID_OFFSET_VALUE", "The value of offset \(offset) is invalid")
        }
        guard let iterator = iterators[String(parts[0])], iterator.baseID == base, iterator.tableID == table.id,
            let start = iterator.recordIDs.firstIndex(of: String(parts[1]))
        else {
            throw SimAPIError(422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE", "The list records iterator is not available. Restart the listing.")
        }
        return (iterator, start)
    }

    private mutating func storeIterator(_ iterator: SimIterator) {
        iterators[iterator.id] = iterator
        if iterators.count > Self.maximumIterators,
            let oldest = iterators.values.min(by: { $0.lastUsed < $1.lastUsed })
        {
            iterators[oldest.id] = nil
        }
    }

    mutating func expireIterators(now: ContinuousClock.Instant, ttl: Duration) {
        iterators = iterators.filter { now - $0.value.lastUsed < ttl }
    }

    /// Filter, then sort (stable; creation order otherwise).
    static func matchingIDs(table: SimTable, params: SimListParams) throws(SimAPIError) -> [String] {
        var records = table.recordsInOrder
        if let text = params.filterByFormula, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let formula = try compileFormula(text, table: table)
            records = records.filter { FormulaEvaluator.matches(formula, record: table.formulaRecord($0)) }
        }
        guard !params.sort.isEmpty else { return records.map(\.id) }
        for spec in params.sort where !table.isKnownField(spec.field) { throw SimAPIError.unknownField(spec.field) }
        let keyed = records.enumerated().map { (index: $0.offset, record: $0.element, fields: table.visibleFields($0.element)) }
        let sorted = keyed.sorted { a, b in
            for spec in params.sort {
                let order = compareCells(a.fields[spec.field], b.fields[spec.field])
                if order != 0 { return spec.descending ? order > 0 : order < 0 }
            }
            return a.index < b.index
        }
        return sorted.map(\.record.id)
    }

    /// Parses a formula and checks its field names against a declared table.
    static func compileFormula(_ text: String, table: SimTable) throws(SimAPIError) -> FormulaNode {
        let formula: FormulaNode
        do {
            formula = try FormulaParser.parse(text)
        } catch {
            throw SimAPIError.invalidFormula(error.message)
        }
        for name in formula.referencedFields.sorted() where !table.isKnownField(name) {
            throw SimAPIError.invalidFormula("Unknown field names: \(name.lowercased())")
        }
        return formula
    }

    /// Sort order of cells: empty first, then numbers, then text (case-insensitive).
    static func compareCells(_ a: SimValue?, _ b: SimValue?) -> Int {
        let x = FormulaValue(cell: a), y = FormulaValue(cell: b)
        switch (x, y) {
        case (.blank, .blank): return 0
        case (.blank, _): return -1
        case (_, .blank): return 1
        default: break
        }
        if case .string = x {} else if case .string = y {} else if let n = x.numeric, let m = y.numeric {
            return n < m ? -1 : (n > m ? 1 : 0)
        }
        let s = x.text.lowercased(), t = y.text.lowercased()
        if s != t { return s < t ? -1 : 1 }
        return x.text < y.text ? -1 : (x.text > y.text ? 1 : 0)
    }
}
