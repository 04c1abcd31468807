import Foundation
import Provisioning
import Testing

/// Source subscriptions (an Airtable webhook's id, secret and cursor).
extension StoreKitConformance {
    static let subscriptionCases: [Case] = [
        Case(name: "a subscription is kept per source and replaced whole by a new one") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let source = "src-\(f.token)"
            #expect(try await kit.sourceSubscriptions.subscription(source: source) == nil)
            let first = SourceSubscription(source: source, subscriptionID: "achFirst", secret: "c2VjcmV0", cursor: 1, expiresAt: f.at(10))
            try await kit.sourceSubscriptions.save(first)
            #expect(try await kit.sourceSubscriptions.subscription(source: source) == first)
            #expect(try await kit.sourceSubscriptions.subscription(source: source + "-other") == nil)
            let second = SourceSubscription(source: source, subscriptionID: "achSecond", secret: "b3RoZXI=", cursor: 1)
            try await kit.sourceSubscriptions.save(second)
            #expect(try await kit.sourceSubscriptions.subscription(source: source) == second)
            try await kit.sourceSubscriptions.remove(source: source)
            #expect(try await kit.sourceSubscriptions.subscription(source: source) == nil)
        },
        Case(name: "the cursor only moves forward, and only for the subscription that is current") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let source = "src-\(f.token)"
            try await kit.sourceSubscriptions.save(SourceSubscription(source: source, subscriptionID: "achNow", secret: "cw=="))
            #expect(try await kit.sourceSubscriptions.advanceCursor(source: source, subscriptionID: "achNow", to: 5))
            #expect(try await kit.sourceSubscriptions.advanceCursor(source: source, subscriptionID: "achNow", to: 3) == false)
            #expect(try await kit.sourceSubscriptions.advanceCursor(source: source, subscriptionID: "achOld", to: 9) == false)
            #expect(try await kit.sourceSubscriptions.subscription(source: source)?.cursor == 5)
            try await kit.sourceSubscriptions.extend(source: source, subscriptionID: "achNow", until: f.at(30))
            try await kit.sourceSubscriptions.extend(source: source, subscriptionID: "achOld", until: f.at(90))
            try await kit.sourceSubscriptions.markNotified(source: source, at: f.at(20))
            try await kit.sourceSubscriptions.markNotified(source: source, at: f.at(21))
            let current = try await kit.sourceSubscriptions.subscription(source: source)
            #expect(current?.expiresAt == f.at(30) && current?.lastNotifiedAt == f.at(21) && current?.notifications == 2)
            // A webhook made anew keeps counting: a reader compares counts.
            try await kit.sourceSubscriptions.save(SourceSubscription(source: source, subscriptionID: "achNew", secret: "cw=="))
            #expect(try await kit.sourceSubscriptions.subscription(source: source)?.notifications == 2)
        },
    ]
}
