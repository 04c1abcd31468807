import Foundation
import Provisioning
import ProvisioningHTTPSource

/// Background sync lists `/Users` by `startIndex`/`count` through the same
/// budget as read-through, at `.background` priority. Incremental passes
/// filter on `meta.lastModified gt "…"`; a server that refuses that filter
/// (400) is listed in full from then on.
extension SCIMClient: ListableSource {
    static let listingTimeout: Duration = .seconds(30)

    public func page(modifiedAfter: Date?, offset: String?) async throws(SourceListingError) -> SourcePage {
        let startIndex = offset.flatMap(Int.init) ?? 1
        var items = [("startIndex", String(startIndex)), ("count", String(settings.pageSize))]
        let filtered = modifiedAfter != nil && filtersByLastModified.load(ordering: .relaxed)
        if filtered, let modifiedAfter { items.append(("filter", SCIMFilter.modifiedAfter(modifiedAfter))) }
        switch await send(settings.usersURL + Self.query(items), priority: .background, timeout: Self.listingTimeout) {
        case .ok(let body):
            let fetchedAt = Date()
            let resources = resources(body)
            var page = SourcePage(records: [], nextOffset: nil)
            for resource in resources {
                switch mapResource(resource, fetchedAt: fetchedAt) {
                case .active(let record)?: page.records.append(record)
                case .inactive(let gone)?: page.deleted.append(gone)
                case nil: continue
                }
            }
            let total = (body.value as? [String: Any])?["totalResults"] as? Int ?? 0
            let next = startIndex + resources.count
            page.nextOffset = !resources.isEmpty && next <= total ? String(next) : nil
            return page
        case .failed(400, "invalidFilter") where filtered:
            logger.warning("scim.filter_unsupported", metadata: [
                "event": "scim.filter_unsupported", "detail": "meta.lastModified filter refused: listing in full",
            ])
            filtersByLastModified.store(false, ordering: .relaxed)
            return try await page(modifiedAfter: nil, offset: offset)
        case .rateLimited:
            throw .unavailable(retryAfterSeconds: 30)
        case .notFound, .failed, .unreachable:
            throw .unavailable(retryAfterSeconds: budget.breaker.retryAfterSeconds())
        }
    }

    /// SCIM's sort is optional for a service provider: the cursor is saved when a listing completes.
    public var listsInModifiedOrder: Bool { false }

    /// Half the `requests_per_second`, leaving room for lookups (as Airtable's).
    public var listingInterval: Duration {
        .nanoseconds(Int64(2e9 / Double(max(settings.requestsPerSecond, 1))))
    }
}
