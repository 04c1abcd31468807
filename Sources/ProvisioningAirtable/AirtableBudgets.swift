import Provisioning

extension SourceBudgets {
    /// The budget of an Airtable base: one per (API URL, base), so that every
    /// provider on a base spends the same 5 requests per second.
    /// With a shared `coordination`, the window is the store's row for the
    /// base, which every instance spends.
    func budget(for settings: AirtableSettings, shared: Coordination = .none) -> SourceBudget {
        let apiURL = settings.apiURL.hasSuffix("/") ? String(settings.apiURL.dropLast()) : settings.apiURL
        let key = "airtable|\(apiURL)|\(settings.base)"
        return budget(for: key, shared: shared) {
            SourceBudget(
                requestsPerSecond: settings.requestsPerSecond, failureThreshold: settings.failureThreshold, openSeconds: settings.openSeconds,
                shared: shared, key: key)
        }
    }
}
