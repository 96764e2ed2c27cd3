import CertDaemon
import Foundation

/// `FlatJSON` against `JSONDecoder` on the bodies it reads on the hot path: an answer's body (the
/// daemon, `POST /assessments/{id}/answers`) and a challenge (the runner's client, `GET …/next`).
/// Both decode into the same struct; `JSONDecoder` gets its bytes as a ready `Data`.
enum JSONComparison {
    static let answerBodies = [
        #"{"challengeId":"c0123","result":"ok"}"#,
        #"{"challengeId":"c0456","result":"ko"}"#,
        #"{"challengeId":"c0789","result":"skipped"}"#,
        #"{"challengeId":"c1011","result":"timedout"}"#,
    ]
    static let challengeBodies = [
        #"{"assessmentId":"a-000123","certificationVersion":"core-v3","challengeId":"c0123","competence":"1.1","questionNumber":7}"#,
        #"{"challengeId":"c0456","competence":"3.2","questionNumber":18}"#,
    ]

    static func run(bodies: Int, rounds: Int) {
        print("JSON reader: \(bodies) bodies per path and round, \(rounds) rounds, median ns per body")
        let answers = answerBodies.map { Array($0.utf8) }
        let answerData = answerBodies.map { Data($0.utf8) }
        let challenges = challengeBodies.map { Array($0.utf8) }
        let challengeData = challengeBodies.map { Data($0.utf8) }
        let decoder = JSONDecoder()

        // Both readers must agree before either is timed.
        for (bytes, data) in zip(answers, answerData) {
            let flat = bytes.withUnsafeBytes { AnswerRequest(flatJSON: $0) }
            precondition(flat != nil && flat == (try? decoder.decode(AnswerRequest.self, from: data)), "readers disagree")
        }
        for (bytes, data) in zip(challenges, challengeData) {
            let flat = ChallengeResponse(flatJSON: bytes)
            precondition(flat != nil && flat == (try? decoder.decode(ChallengeResponse.self, from: data)), "readers disagree")
        }

        var results: [String: [Double]] = [:]
        for _ in 0..<rounds {
            results["answer, FlatJSON", default: []].append(time(bodies) { index in
                answers[index & 3].withUnsafeBytes { AnswerRequest(flatJSON: $0)!.challengeId.utf8.count }
            })
            results["answer, JSONDecoder", default: []].append(time(bodies) { index in
                try! decoder.decode(AnswerRequest.self, from: answerData[index & 3]).challengeId.utf8.count
            })
            results["challenge, FlatJSON", default: []].append(time(bodies) { index in
                ChallengeResponse(flatJSON: challenges[index & 1])!.questionNumber
            })
            results["challenge, JSONDecoder", default: []].append(time(bodies) { index in
                try! decoder.decode(ChallengeResponse.self, from: challengeData[index & 1]).questionNumber
            })
        }
        for name in ["answer, FlatJSON", "answer, JSONDecoder", "challenge, FlatJSON", "challenge, JSONDecoder"] {
            let perRound = results[name]!.map { Measure.format($0, decimals: 0) }.joined(separator: ", ")
            print("  \(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(Measure.format(Measure.median(results[name]!), decimals: 0)) ns/body  (rounds: \(perRound))")
        }
    }

    /// Nanoseconds per call of `body`, over `count` calls; the results are summed so none is dropped.
    private static func time(_ count: Int, _ body: (Int) -> Int) -> Double {
        var sink = 0
        let start = Measure.monotonicNanoseconds()
        for index in 0..<count { sink &+= body(index) }
        let elapsed = Measure.monotonicNanoseconds() - start
        precondition(sink != 0)
        return Double(elapsed) / Double(count)
    }
}
