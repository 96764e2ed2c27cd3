import Testing
@testable import CertCore

/// A ledger with an ongoing alert on challenge "rec2", raised at 10 s.
func ledgerWithOngoingAlert() throws -> LiveAlertLedger {
    var ledger = LiveAlertLedger()
    try ledger.raise(challengeId: "rec2", currentChallengeId: "rec2", answeredChallengeIds: ["rec1"], nowSeconds: 10)
    return ledger
}

@Suite("Lifecycle: live alerts")
struct LifecycleLiveAlertTests {
    @Test func raiseOnTheCurrentChallenge() throws {
        var ledger = LiveAlertLedger()
        let outcome = try ledger.raise(challengeId: "rec2", currentChallengeId: "rec2",
                                       answeredChallengeIds: ["rec1"], nowSeconds: 10)
        #expect(outcome == .raised)
        #expect(ledger.ongoing == LiveAlert(challengeId: "rec2", raisedAtSeconds: 10))
        #expect(ledger.ongoing?.status == .ongoing)
        #expect(ledger.raisedCount == 1)
        #expect(ledger.history.isEmpty)
    }

    @Test func alertOnAnAnsweredChallengeIsRefused() {
        expectRefusal(LiveAlertLedger(), .liveAlertOnAnsweredChallenge) { (l: inout LiveAlertLedger) throws(LifecycleError) in
            try l.raise(challengeId: "rec1", currentChallengeId: "rec2", answeredChallengeIds: ["rec1"], nowSeconds: 10)
        }
    }

    @Test func alertOnAnAnsweredChallengeIsRefusedEvenWhileOneIsOngoing() throws {
        expectRefusal(try ledgerWithOngoingAlert(), .liveAlertOnAnsweredChallenge) { (l: inout LiveAlertLedger) throws(LifecycleError) in
            try l.raise(challengeId: "rec1", currentChallengeId: "rec2", answeredChallengeIds: ["rec1"], nowSeconds: 11)
        }
    }

    @Test func secondAlertWhileOneIsOngoingIsIgnored() throws {
        let before = try ledgerWithOngoingAlert()
        var ledger = before
        let outcome = try ledger.raise(challengeId: "rec2", currentChallengeId: "rec2",
                                       answeredChallengeIds: ["rec1"], nowSeconds: 12)
        #expect(outcome == .ignoredAlreadyOngoing)
        #expect(ledger == before)
    }

    @Test func alertOnAnotherChallengeIsRefused() {
        expectRefusal(LiveAlertLedger(), .liveAlertNotCurrentChallenge) { (l: inout LiveAlertLedger) throws(LifecycleError) in
            try l.raise(challengeId: "rec9", currentChallengeId: "rec2", answeredChallengeIds: [], nowSeconds: 10)
        }
        expectRefusal(LiveAlertLedger(), .liveAlertNotCurrentChallenge) { (l: inout LiveAlertLedger) throws(LifecycleError) in
            try l.raise(challengeId: "rec9", currentChallengeId: nil, answeredChallengeIds: [], nowSeconds: 10)
        }
    }

    @Test func validateTheOngoingAlert() throws {
        var ledger = try ledgerWithOngoingAlert()
        let alert = try ledger.validate(challengeId: "rec2", nowSeconds: 40)
        #expect(alert.status == .validated)
        #expect(alert.resolvedAtSeconds == 40)
        #expect(ledger.ongoing == nil)
        #expect(ledger.history == [alert])
        #expect(ledger.validatedChallengeIds == ["rec2"])
    }

    @Test func dismissTheOngoingAlert() throws {
        var ledger = try ledgerWithOngoingAlert()
        let alert = try ledger.dismiss(challengeId: "rec2", nowSeconds: 40)
        #expect(alert.status == .dismissed)
        #expect(ledger.ongoing == nil)
        #expect(ledger.history == [alert])
        #expect(ledger.validatedChallengeIds.isEmpty)
    }

    @Test func validateOrDismissWithoutOngoingAlertIsRefused() throws {
        expectRefusal(LiveAlertLedger(), .liveAlertNotOngoing) { (l: inout LiveAlertLedger) throws(LifecycleError) in
            try l.validate(challengeId: "rec2", nowSeconds: 1)
        }
        expectRefusal(LiveAlertLedger(), .liveAlertNotOngoing) { (l: inout LiveAlertLedger) throws(LifecycleError) in
            try l.dismiss(challengeId: "rec2", nowSeconds: 1)
        }
    }

    @Test func validateAnotherChallengeThanTheOngoingOneIsRefused() throws {
        expectRefusal(try ledgerWithOngoingAlert(), .liveAlertNotOngoing) { (l: inout LiveAlertLedger) throws(LifecycleError) in
            try l.validate(challengeId: "rec3", nowSeconds: 40)
        }
    }

    @Test func resolvingTwiceIsRefused() throws {
        var validated = try ledgerWithOngoingAlert()
        try validated.validate(challengeId: "rec2", nowSeconds: 40)
        expectRefusal(validated, .liveAlertNotOngoing) { (l: inout LiveAlertLedger) throws(LifecycleError) in
            try l.dismiss(challengeId: "rec2", nowSeconds: 41)
        }
        var dismissed = try ledgerWithOngoingAlert()
        try dismissed.dismiss(challengeId: "rec2", nowSeconds: 40)
        expectRefusal(dismissed, .liveAlertNotOngoing) { (l: inout LiveAlertLedger) throws(LifecycleError) in
            try l.validate(challengeId: "rec2", nowSeconds: 41)
        }
    }

    @Test func aDismissedChallengeMayBeAlertedAgain() throws {
        var ledger = try ledgerWithOngoingAlert()
        try ledger.dismiss(challengeId: "rec2", nowSeconds: 40)
        let outcome = try ledger.raise(challengeId: "rec2", currentChallengeId: "rec2",
                                       answeredChallengeIds: ["rec1"], nowSeconds: 50)
        #expect(outcome == .raised)
        #expect(ledger.raisedCount == 2)
    }

    @Test func alertsPerCandidateAreBounded() throws {
        #expect(LiveAlertLedger.defaultMaximumAlerts == 64)
        var ledger = LiveAlertLedger(maximumAlerts: 2)
        for second in [10.0, 20.0] {
            try ledger.raise(challengeId: "rec2", currentChallengeId: "rec2", answeredChallengeIds: [], nowSeconds: second)
            try ledger.dismiss(challengeId: "rec2", nowSeconds: second + 1)
        }
        expectRefusal(ledger, .liveAlertLimitReached) { (l: inout LiveAlertLedger) throws(LifecycleError) in
            try l.raise(challengeId: "rec2", currentChallengeId: "rec2", answeredChallengeIds: [], nowSeconds: 30)
        }
    }

    @Test func singleAlertTransitions() throws {
        var validated = LiveAlert(challengeId: "rec2", raisedAtSeconds: 5)
        try validated.validate(nowSeconds: 6)
        #expect(validated.status == .validated)
        var dismissed = LiveAlert(challengeId: "rec2", raisedAtSeconds: 5)
        try dismissed.dismiss(nowSeconds: 6)
        #expect(dismissed.status == .dismissed)
        #expect(dismissed.resolvedAtSeconds == 6)
        for resolved in [validated, dismissed] {
            expectRefusal(resolved, .liveAlertNotOngoing) { (a: inout LiveAlert) throws(LifecycleError) in
                try a.validate(nowSeconds: 7)
            }
            expectRefusal(resolved, .liveAlertNotOngoing) { (a: inout LiveAlert) throws(LifecycleError) in
                try a.dismiss(nowSeconds: 7)
            }
        }
    }
}

@Suite("Lifecycle: companion alerts")
struct LifecycleCompanionAlertTests {
    @Test func raiseThenClear() throws {
        var ledger = CompanionAlertLedger()
        #expect(ledger.raise(nowSeconds: 10) == .raised)
        #expect(ledger.ongoing?.status == .ongoing)
        let cleared = try ledger.clear(nowSeconds: 30)
        #expect(cleared.status == .cleared)
        #expect(cleared.raisedAtSeconds == 10)
        #expect(cleared.clearedAtSeconds == 30)
        #expect(ledger.ongoing == nil)
        #expect(ledger.clearedCount == 1)
    }

    @Test func secondAlertWhileOneIsOngoingIsIgnored() {
        var ledger = CompanionAlertLedger()
        ledger.raise(nowSeconds: 10)
        let before = ledger
        #expect(ledger.raise(nowSeconds: 11) == .ignoredAlreadyOngoing)
        #expect(ledger == before)
    }

    @Test func clearWithoutOngoingAlertIsRefused() throws {
        expectRefusal(CompanionAlertLedger(), .companionAlertNotOngoing) { (l: inout CompanionAlertLedger) throws(LifecycleError) in
            try l.clear(nowSeconds: 1)
        }
        var ledger = CompanionAlertLedger()
        ledger.raise(nowSeconds: 10)
        try ledger.clear(nowSeconds: 20)
        expectRefusal(ledger, .companionAlertNotOngoing) { (l: inout CompanionAlertLedger) throws(LifecycleError) in
            try l.clear(nowSeconds: 21)
        }
    }

    @Test func clearingAClearedAlertIsRefused() throws {
        var alert = CompanionAlert(raisedAtSeconds: 3)
        try alert.clear(nowSeconds: 4)
        expectRefusal(alert, .companionAlertNotOngoing) { (a: inout CompanionAlert) throws(LifecycleError) in
            try a.clear(nowSeconds: 5)
        }
    }
}
