/// The engine's step — record the answer to question q, pick question q + 1 (estimate update,
/// rule chain, ranking, draw) — on a seeded 32-question test, replayable at any question. One
/// implementation for every measure of the step: `certsim bench engine`, the reference figure
/// `certsim run` prints beside its CPU per answer, and the `Benchmarks/` package.
///
/// It draws from its own generators (keyed by `seed`), never from a run's.
///
/// ```swift
/// let loop = try EngineStepLoop(bank: bank, configuration: .default)
/// var tests = try loop.tests(pendingQuestion: 16, count: 1_000)
/// var randoms = loop.randoms(question: 17, count: tests.count)
/// try loop.step(&tests, randoms: &randoms, question: 16)   // 1,000 steps at question 16
/// ```
///
/// Owned by CertCore's selection half (no clock, no I/O: callers time it).
public struct EngineStepLoop: Sendable {
    /// The questions the step is reported at.
    public static let questions = [1, 16, 31]
    public static let seed: UInt64 = 20_240_601
    /// Capacity of the simulated candidate who answers.
    public static let trueCapacity = 0.4

    public let bank: ItemBank
    public let configuration: AlgorithmConfiguration
    /// Answers of the seeded test, in order.
    public let answers: [Answer]
    /// Challenge served at each question, in order.
    public let served: [String]
    /// Each answer's challenge and whether it was right.
    public let journal: [(challenge: Challenge, correct: Bool)]

    /// Plays the seeded test once (a candidate of capacity `trueCapacity` answering by the
    /// response model). Throws when the bank cannot serve a whole test under `configuration`.
    public init(bank: ItemBank, configuration: AlgorithmConfiguration) throws(SelectionError) {
        self.bank = bank
        self.configuration = configuration
        var test = AdaptiveTest(bank: bank, configuration: configuration)
        var behaviour = SeededRandom(seed: Self.seed, SeededRandom.key("behaviour"))
        var answers: [Answer] = []
        var served: [String] = []
        var journal: [(challenge: Challenge, correct: Bool)] = []
        for question in 1...max(1, configuration.maximumAssessmentLength) {
            var random = Self.random(question: question)
            guard let challenge = try test.nextChallenge(using: &random) else { break }
            let p = ResponseModel.probabilityCorrect(
                capacity: Self.trueCapacity, discriminant: challenge.discriminant, difficulty: challenge.difficulty)
            let answer = Answer(challengeId: challenge.id, result: behaviour.nextUnitInterval() < p ? .ok : .ko)
            try test.record(answer)
            served.append(challenge.id)
            answers.append(answer)
            journal.append((challenge, answer.result == .ok))
        }
        self.answers = answers
        self.served = served
        self.journal = journal
    }

    /// Questions of the seeded test.
    public var length: Int { answers.count }

    /// The generator of question `question`'s pick.
    public static func random(question: Int) -> SeededRandom {
        // `SeededRandom(seed:keys: [pickKey, question])` without the array: the whole-test loop
        // draws one per step, and the variadic form allocated (a malloc and a free per step,
        // timed as if they were the engine's).
        SeededRandom(SeededRandom.KeyMix(seed: seed).adding(pickKey).adding(UInt64(question)))
    }

    private static let pickKey = SeededRandom.key("pick")

    public func randoms(question: Int, count: Int) -> [SeededRandom] {
        Array(repeating: Self.random(question: question), count: count)
    }

    /// `count` independent tests with `answered` answers and nothing pending.
    public func tests(answered: Int, count: Int) throws(SelectionError) -> [AdaptiveTest] {
        let test = try replay(answered: answered, pending: nil, configuration: configuration)
        return try copies(of: test, count: count)
    }

    /// `count` independent tests with question `pendingQuestion` served and not yet answered.
    public func tests(pendingQuestion: Int, count: Int, configuration: AlgorithmConfiguration? = nil)
        throws(SelectionError) -> [AdaptiveTest]
    {
        let question = min(max(1, pendingQuestion), length)
        let test = try replay(answered: question - 1, pending: served[question - 1],
                              configuration: configuration ?? self.configuration)
        return try copies(of: test, count: count)
    }

    /// The measured step on every test: the answer to `question`, then the pick of `question + 1`
    /// with the matching generator of `randoms` (none after the last question). Returns the
    /// number of challenges picked, so that the work cannot be optimised away.
    @discardableResult
    public func step(_ tests: inout [AdaptiveTest], randoms: inout [SeededRandom], question: Int)
        throws(SelectionError) -> Int
    {
        let answer = answers[question - 1]
        var picked = 0
        for index in tests.indices {
            try tests[index].record(answer)
            if try tests[index].nextChallenge(using: &randoms[index]) != nil { picked += 1 }
        }
        return picked
    }

    /// Whole tests answered in place, one after the other (the state warm in cache): for each
    /// of `tests` (fresh: `tests(answered: 0, count:)`), the pick and the answer of every
    /// question, one step each. Returns the steps taken.
    @discardableResult
    public func wholeTests(_ tests: inout [AdaptiveTest]) throws(SelectionError) -> Int {
        var steps = 0
        for index in tests.indices {
            for question in 1...length {
                var random = Self.random(question: question)
                guard try tests[index].nextChallenge(using: &random) != nil else { break }
                try tests[index].record(answers[question - 1])
                steps += 1
            }
        }
        return steps
    }

    /// Independent copies: each owns its buffers, so that a measured step pays no copy-on-write.
    private func copies(of test: AdaptiveTest, count: Int) throws(SelectionError) -> [AdaptiveTest] {
        var copies: [AdaptiveTest] = []
        copies.reserveCapacity(count)
        for _ in 0..<count {
            copies.append(try AdaptiveTest.replay(
                bank: bank, configuration: test.configuration, answers: test.answers,
                validatedAlertChallengeIds: [], currentChallengeId: test.currentChallengeId))
        }
        return copies
    }

    private func replay(answered: Int, pending: String?, configuration: AlgorithmConfiguration)
        throws(SelectionError) -> AdaptiveTest
    {
        try AdaptiveTest.replay(bank: bank, configuration: configuration, answers: Array(answers.prefix(answered)),
                                validatedAlertChallengeIds: [], currentChallengeId: pending)
    }
}
