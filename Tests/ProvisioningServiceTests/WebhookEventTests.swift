import Foundation
import Provisioning
import ProvisioningService
import Testing

@Suite("Inbound user webhook: event decoding and field mapping")
struct WebhookEventTests {
    static func config(_ yaml: String) throws -> PipelineConfig {
        try ConfigLoader(registry: BuiltinKinds.registry(), environment: [:]).load(yaml: yaml, file: "test.yaml")
    }

    @Test("the sources' field mapping comes from config, kind-neutrally; none declared: attribute names")
    func sourceFieldMapping() throws {
        let airtable = try Self.config("""
            version: 1
            providers:
              - name: db
                kind: memory
              - name: at
                kind: airtable
                token: t
                base: appX
                fields:
                  email: E-mail
                  display_name: Full Name
                  team: Team
            """)
        #expect(airtable.sourceFieldMapping == ["email": "E-mail", "display_name": "Full Name", "team": "Team"])

        let memoryOnly = try Self.config("""
            version: 1
            providers:
              - name: db
                kind: memory
              - name: directory
                kind: memory
                users:
                  - email: a@example.com
                    floor: "3"
            """)
        let mapping = memoryOnly.sourceFieldMapping
        #expect(mapping["email"] == "email")
        #expect(mapping["display_name"] == "display_name")
        #expect(mapping["floor"] == "floor")
    }

    @Test("decoding: times, optional fields, modified_at defaulting to occurred_at, then to the receipt time")
    func decoding() throws {
        let body = Array(#"{"id":"evt_1","type":"user.updated","occurred_at":"2026-11-26T10:15:00.250Z","extra":1,"record":{"id":"rec1","fields":{"Email":" Ada@Example.com ","Name":null,"Other":[1]}}}"#.utf8)
        let event = try WebhookEvent.decode(body)
        #expect(event.id == "evt_1")
        #expect(event.type == .updated)
        #expect(event.recordModifiedAt == nil)
        #expect(event.occurredAt == Date(timeIntervalSince1970: 1_795_688_100.25))
        let mapper = WebhookEventMapper(source: "airtable", mapping: ["email": "Email", "display_name": "Name", "modified_at": "Last Modified"])
        #expect(mapper.canonicalEmail(of: event) == "ada@example.com")
        let received = Date(timeIntervalSince1970: 1_800_000_000)
        guard case .upsert(let record) = try mapper.effect(for: event, receivedAt: received) else {
            Issue.record("expected an upsert")
            return
        }
        #expect(record.recordID == "rec1")
        #expect(record.values == ["email": " Ada@Example.com "])
        #expect(record.modifiedAt == event.occurredAt)

        let bare = try WebhookEvent.decode(Array(#"{"id":"e","type":"user.deleted","record":{"id":"rec2"}}"#.utf8))
        #expect(try mapper.effect(for: bare, receivedAt: received) == .delete(source: "airtable", recordID: "rec2"))
        let noTimes = try WebhookEvent.decode(Array(#"{"id":"e","type":"user.updated","record":{"id":"rec2","fields":{"Name":"N"}}}"#.utf8))
        guard case .upsert(let late) = try mapper.effect(for: noTimes, receivedAt: received) else {
            Issue.record("expected an upsert")
            return
        }
        #expect(late.modifiedAt == received)
        #expect(late.values == ["display_name": "N"])
    }

    @Test("a create without an email is unprocessable; a mapped field that is not text is invalid")
    func mappingErrors() throws {
        let mapper = WebhookEventMapper(source: "airtable", mapping: ["email": "Email", "role": "Role"])
        let noEmail = try WebhookEvent.decode(Array(#"{"id":"e","type":"user.created","record":{"id":"r","fields":{"Role":"admin"}}}"#.utf8))
        #expect(throws: WebhookEvent.Unprocessable.self) { try mapper.effect(for: noEmail, receivedAt: Date()) }
        let numeric = try WebhookEvent.decode(Array(#"{"id":"e","type":"user.created","record":{"id":"r","fields":{"Email":"a@b.co","Role":true}}}"#.utf8))
        #expect(throws: WebhookEvent.InvalidPayload.self) { try mapper.effect(for: numeric, receivedAt: Date()) }
        // An unmapped field of any type is ignored.
        let unmapped = try WebhookEvent.decode(Array(#"{"id":"e","type":"user.created","record":{"id":"r","fields":{"Email":"a@b.co","Tags":["x"]}}}"#.utf8))
        #expect(throws: Never.self) { try mapper.effect(for: unmapped, receivedAt: Date()) }
    }
}
