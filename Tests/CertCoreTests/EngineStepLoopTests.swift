import CertCore
import Testing

/// The shared engine step loop: its tests are the seeded test's states, its steps are the
/// engine's own transitions, and it draws nothing from anyone else's generators.
@Suite struct EngineStepLoopTests {
    static let bank = BankGenerator.generate(challenges: 600, seed: 11)

    @Test func theSeededTestIsPlayedToItsLengthAndReplaysTheSame() throws {
        let loop = try EngineStepLoop(bank: Self.bank, configuration: .default)
        let again = try EngineStepLoop(bank: Self.bank, configuration: .default)
        #expect(loop.length == AlgorithmConfiguration.default.maximumAssessmentLength)
        #expect(loop.served == again.served)
        #expect(loop.answers == again.answers)
        #expect(Set(loop.served).count == loop.length, "no challenge is served twice")
        #expect(loop.answers.map(\.challengeId) == loop.served)
    }

    @Test func aStepAtQuestionQRecordsTheAnswerAndPicksTheSeededTestsNextChallenge() throws {
        let loop = try EngineStepLoop(bank: Self.bank, configuration: .default)
        for question in EngineStepLoop.questions {
            var tests = try loop.tests(pendingQuestion: question, count: 3)
            #expect(tests.allSatisfy { $0.currentChallengeId == loop.served[question - 1] && $0.answers.count == question - 1 })
            var randoms = loop.randoms(question: question + 1, count: tests.count)
            #expect(try loop.step(&tests, randoms: &randoms, question: question) == 3)
            for test in tests {
                #expect(test.answers == Array(loop.answers.prefix(question)))
                #expect(test.currentChallengeId == loop.served[question], "the same pick as the seeded test")
            }
        }
    }

    @Test func wholeTestsTakeOneStepPerQuestionAndEndComplete() throws {
        let loop = try EngineStepLoop(bank: Self.bank, configuration: .default)
        var tests = try loop.tests(answered: 0, count: 4)
        #expect(try loop.wholeTests(&tests) == 4 * loop.length)
        #expect(tests.allSatisfy { $0.isComplete && $0.answers == loop.answers })
    }

    @Test func aBankTooSmallForATestIsRefusedWithItsCode() {
        let tiny = BankGenerator.generate(challenges: 16, seed: 3)
        #expect(throws: SelectionError.self) { _ = try EngineStepLoop(bank: tiny, configuration: .default) }
    }
}
