import Logging
import PostgresNIO
import Provisioning
import Synchronization

/// The request window of one remote service (an Airtable base) in
/// `source_budgets`, spent by every instance on the database (CONTRACT §8).
/// The row holds one slot per request per second: a request takes a free
/// slot with one statement, keeps it while it runs and for a window after
/// it ended (`release`), so that no second of the server's can see more than
/// the limit, whatever the clocks or the send delays. No lock is held across
/// the HTTP call: a slot is a value in the row, taken and given back by one
/// statement each. A slot whose holder vanished (a killed instance) frees
/// itself once its request must have ended (its deadline and a window, at
/// least 2 s after the grant). Times are the server's clock, so instances
/// with skewed clocks agree.
public final class PostgresRequestSlots: RequestSlots {
    /// As the in-process window: slightly over a second.
    static let windowMilliseconds = 1010

    let key: String
    let limit: Int
    let client: PostgresClient
    let gate: StoreGate
    let table: String
    let logger: Logger
    private let rowReady = Mutex(false)
    /// Prepared once per connection: planning this statement cost more than running it.
    private let takeStatement: CompiledStatement.Text

    init(key: String, requestsPerSecond: Int, client: PostgresClient, gate: StoreGate, schema: PostgresSchema, logger: Logger) {
        self.key = key
        self.limit = max(requestsPerSecond, 1)
        self.client = client
        self.gate = gate
        self.table = schema.sourceBudgets
        self.logger = logger
        self.takeStatement = CompiledStatement.Text("""
            WITH b AS (
                SELECT free_at, holder, paused_until, clock_timestamp() AS now
                FROM \(schema.sourceBudgets) WHERE key = $1 FOR UPDATE
            ), s AS (
                SELECT u.i::int AS i, b.now, greatest(b.paused_until, b.now) AS paused_until,
                       CASE WHEN u.h <> 0 AND u.f > b.now THEN b.now + make_interval(secs => $5) ELSE u.f END AS ready_at
                FROM b, unnest(b.free_at, b.holder) WITH ORDINALITY AS u(f, h, i)
            ), pick AS (
                SELECT * FROM s ORDER BY ready_at, i LIMIT 1
            ), need AS (
                SELECT ready_at FROM s ORDER BY ready_at, i OFFSET $2 LIMIT 1
            ), taken AS (
                UPDATE \(schema.sourceBudgets) t SET free_at[pick.i] = pick.now + make_interval(secs => $3), holder[pick.i] = $4
                FROM pick, need
                WHERE t.key = $1 AND need.ready_at <= pick.now AND pick.paused_until <= pick.now
                RETURNING pick.i
            )
            SELECT pick.i, EXISTS (SELECT 1 FROM taken),
                   extract(epoch FROM greatest(need.ready_at, pick.paused_until) - pick.now)::float8,
                   extract(epoch FROM pick.paused_until - pick.now)::float8
            FROM pick, need
            """)
    }

    private struct Look {
        var granted: Bool
        var index: Int
        var wait: Duration
        var paused: Duration
    }

    public func acquire(priority: RequestPriority, deadline: ContinuousClock.Instant) async -> SlotGrant {
        let holder = Int64.random(in: 1...Int64.max)
        // Background work leaves one slot of the window spare for a sign-in.
        let needed = priority == .background && limit >= 2 ? 2 : 1
        // The request ends by the deadline (plus the part of the timeout
        // kept for it): after that and a window, its slot is free whatever happened.
        let abandonedAfter = max(.seconds(2), deadline - ContinuousClock.now + .milliseconds(1200))
        let abandonedSeconds = Double(abandonedAfter.components.seconds) + Double(abandonedAfter.components.attoseconds) / 1e18
        while !Task.isCancelled {
            let look: Look?
            do {
                look = try await take(holder: holder, needed: needed, abandonedSeconds: abandonedSeconds)
            } catch {
                logger.warning("budget.unavailable", metadata: ["event": "budget.unavailable", "detail": "\(String(describing: error))"])
                return .refused
            }
            guard let look else { continue }
            if look.granted { return .granted(RequestSlot(index: look.index, holder: holder)) }
            if look.paused > .zero { return .paused(remaining: look.paused) }
            let wake = ContinuousClock.now + max(look.wait, .milliseconds(2))
            guard wake <= deadline else { return .refused }
            try? await Task.sleep(until: wake)
        }
        return .refused
    }

    /// Given back off the caller's path (the request has its answer): a
    /// slot freed a moment late only errs on the safe side.
    public func release(_ slot: RequestSlot) async {
        Task { await giveBack(slot) }
    }

    private func giveBack(_ slot: RequestSlot) async {
        _ = try? await gate.run { [self] in
            try await client.query("""
                UPDATE \(unescaped: table) SET
                    free_at[\(slot.index)::int] = greatest(clock_timestamp() + make_interval(secs => \(Double(Self.windowMilliseconds) / 1000)), paused_until),
                    holder[\(slot.index)::int] = 0
                WHERE key = \(key) AND holder[\(slot.index)::int] = \(slot.holder)
                """, logger: logger)
        }
    }

    /// Closes the window for `duration`; each slot reopens at a random
    /// moment within a second after it, so that the instances do not all
    /// send at once when the pause ends.
    public func pause(for duration: Duration) async {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        do {
            try await ensureRow()
            _ = try await gate.run { [self] in
                try await client.query("""
                    UPDATE \(unescaped: table) t SET
                        paused_until = p.until,
                        free_at = ARRAY(SELECT p.until + random() * interval '1 second' FROM generate_series(1, cardinality(t.free_at))),
                        holder = array_fill(0::bigint, ARRAY[cardinality(t.holder)])
                    FROM (SELECT greatest(paused_until, clock_timestamp() + make_interval(secs => \(seconds))) AS until
                          FROM \(unescaped: table) WHERE key = \(key)) p
                    WHERE t.key = \(key)
                    """, logger: logger)
            }
        } catch {
            logger.warning("budget.unavailable", metadata: ["event": "budget.unavailable", "detail": "\(String(describing: error))"])
        }
    }

    /// One statement: lock the row, take the first free slot if `needed`
    /// slots are free and the window is not paused, else say how long to
    /// wait. A running request's slot counts as freeing a window from now
    /// at the earliest. nil: the row was missing (now made).
    private func take(holder: Int64, needed: Int, abandonedSeconds: Double) async throws -> Look? {
        try await ensureRow()
        var bindings = PostgresBindings()
        bindings.append(key)
        bindings.append(needed - 1)
        bindings.append(abandonedSeconds)
        bindings.append(holder)
        bindings.append(Double(Self.windowMilliseconds) / 1000)
        let rows = try await gate.run { [self, bindings] in
            try await client.withConnection { connection in
                try await CompiledStatement.rows(takeStatement, bindings, on: connection, logger: logger)
            }
        }
        guard let row = rows.first else {
            rowReady.withLock { $0 = false }
            return nil
        }
        let (index, granted, wait, paused) = try row.decode((Int, Bool, Double, Double).self)
        return Look(granted: granted, index: index, wait: .milliseconds(Int64(wait * 1000)), paused: .milliseconds(Int64(paused * 1000)))
    }

    /// Make the row (once per process, again if it went missing). A row of
    /// another size (another `requests_per_second`) is remade to this one's.
    private func ensureRow() async throws {
        guard !rowReady.withLock({ $0 }) else { return }
        _ = try await gate.run { [self] in
            try await client.query("""
                INSERT INTO \(unescaped: table) AS t (key, free_at, holder)
                VALUES (\(key), array_fill('epoch'::timestamptz, ARRAY[\(limit)::int]), array_fill(0::bigint, ARRAY[\(limit)::int]))
                ON CONFLICT (key) DO UPDATE SET free_at = EXCLUDED.free_at, holder = EXCLUDED.holder
                WHERE cardinality(t.free_at) <> \(limit)::int
                """, logger: logger)
        }
        rowReady.withLock { $0 = true }
    }
}

/// Every remote service's window on one database, made once per key.
final class PostgresSharedBudgets: Sendable {
    let client: PostgresClient
    let gate: StoreGate
    let schema: PostgresSchema
    let logger: Logger
    private let windows = Mutex<[String: PostgresRequestSlots]>([:])

    init(client: PostgresClient, gate: StoreGate, schema: PostgresSchema, logger: Logger) {
        self.client = client
        self.gate = gate
        self.schema = schema
        self.logger = logger
    }

    func slots(key: String, requestsPerSecond: Int) -> any RequestSlots {
        windows.withLock { windows in
            if let window = windows[key], window.limit == max(requestsPerSecond, 1) { return window }
            let window = PostgresRequestSlots(
                key: key, requestsPerSecond: requestsPerSecond, client: client, gate: gate, schema: schema, logger: logger)
            windows[key] = window
            return window
        }
    }
}
