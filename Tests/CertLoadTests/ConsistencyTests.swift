import Testing
@testable import CertLoad

@Suite struct ConsistencyTests {
    // θ, θ̂ = (0, 0.5), (1, 0.5), (−1, −2), (2, 2.5): errors 0.5, −0.5, −1, 0.5.
    static let samples = [
        ConsistencySample(trueTheta: 0, estimatedTheta: 0.5, reportedErrorRate: 0.4, score: 300, meshLevel: 2, meshLevelFromTrueTheta: 2),
        ConsistencySample(trueTheta: 1, estimatedTheta: 0.5, reportedErrorRate: 0.5, score: 300, meshLevel: 2, meshLevelFromTrueTheta: 3),
        ConsistencySample(trueTheta: -1, estimatedTheta: -2, reportedErrorRate: 0.6, score: 100, meshLevel: 1, meshLevelFromTrueTheta: 1),
        ConsistencySample(trueTheta: 2, estimatedTheta: 2.5, reportedErrorRate: 0.3, score: 550, meshLevel: 4, meshLevelFromTrueTheta: 5),
    ]

    func close(_ a: Double?, _ b: Double, tolerance: Double = 1e-12) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    @Test func handWorkedMeasures() {
        let c = Consistency(samples: Self.samples)
        #expect(c.count == 4)
        #expect(close(c.bias, -0.125))                              // (0.5 − 0.5 − 1 + 0.5) / 4
        #expect(close(c.rmse, (1.75 / 4).squareRoot()))             // (0.25 + 0.25 + 1 + 0.25) / 4
        // Deviations from the means (0.5, 0.375): Sxy = 6.75, Sxx = 5, Syy = 10.1875.
        #expect(close(c.pearson, 6.75 / (5 * 10.1875).squareRoot()))
        #expect(close(c.meanReportedErrorRate, 0.45))
        #expect(close(c.observedError, (1.6875 / 4).squareRoot()))  // errors − bias: 0.625, −0.375, −0.875, 0.625
        #expect(close(c.meshAgreement, 0.5))
    }

    @Test func bandsSplitByTrueAbility() throws {
        let c = Consistency(samples: Self.samples)
        #expect(c.bands.count == 8)
        #expect(c.bands.first?.label == "< -3" && c.bands.last?.label == "≥ 3")
        let band0 = try #require(c.bands.first { $0.lowerTheta == 0 })
        #expect(band0.count == 1 && close(band0.rmse, 0.5) && close(band0.bias, 0.5) && band0.label == "[0, 1)")
        let bandMinus1 = try #require(c.bands.first { $0.lowerTheta == -1 })
        #expect(close(bandMinus1.rmse, 1) && close(bandMinus1.bias, -1))
        #expect(c.bands.first?.count == 0 && c.bands.first?.rmse == nil)
        #expect(c.bands.map(\.count).reduce(0, +) == 4)
    }

    @Test func decilesWorkedByHand() throws {
        // θ = 1…20 given highest first; in decile d (θ = 2d − 1, 2d) the errors are 0.1·d and 0.3·d
        // and the reported error rates 0.2 and 0.4: bias 0.2·d, RMSE d·√0.05, mean reported 0.3.
        let samples = (1...20).reversed().map { theta -> ConsistencySample in
            let d = Double((theta + 1) / 2)
            let odd = theta % 2 == 1
            return ConsistencySample(trueTheta: Double(theta), estimatedTheta: Double(theta) + (odd ? 0.1 : 0.3) * d,
                                     reportedErrorRate: odd ? 0.2 : 0.4, score: 0, meshLevel: 0, meshLevelFromTrueTheta: 0)
        }
        let deciles = try #require(Consistency(samples: samples).deciles)
        #expect(deciles.map(\.decile) == Array(1...10) && deciles.allSatisfy { $0.count == 2 })
        for band in deciles {
            let d = Double(band.decile)
            #expect(band.lowestTheta == 2 * d - 1 && band.highestTheta == 2 * d)
            #expect(close(band.bias, 0.2 * d, tolerance: 1e-9))
            #expect(close(band.rmse, d * 0.05.squareRoot(), tolerance: 1e-9))
            #expect(close(band.meanReportedErrorRate, 0.3))
        }
    }

    @Test func decileSizesWhenTheCountDoesNotDivide() throws {
        func sample(_ theta: Double) -> ConsistencySample {
            ConsistencySample(trueTheta: theta, estimatedTheta: theta, reportedErrorRate: 0.5, score: 0, meshLevel: 0,
                              meshLevelFromTrueTheta: 0)
        }
        // 25: cut at ⌊25·i/10⌋ = 0, 2, 5, 7, 10, 12, 15, 17, 20, 22, 25.
        let sizes = try #require(Consistency(samples: (0..<25).map { sample(Double($0)) }).deciles).map(\.count)
        #expect(sizes == [2, 3, 2, 3, 2, 3, 2, 3, 2, 3])
        // 3: only the tenths that hold a certification (cuts 0,0,0,0,1,1,1,2,2,2,3).
        let three = try #require(Consistency(samples: [sample(5), sample(-1), sample(2)]).deciles)
        #expect(three.map(\.decile) == [4, 7, 10] && three.map(\.lowestTheta) == [-1, 2, 5])
        #expect(Consistency(samples: []).deciles == [])
    }

    @Test func retestPairs() {
        let c = Consistency(samples: Self.samples, retest: [
            RetestPair(firstScore: 500, secondScore: 520, firstMeshLevel: 3, secondMeshLevel: 4),
            RetestPair(firstScore: 300, secondScore: 290, firstMeshLevel: 2, secondMeshLevel: 2),
        ])
        #expect(c.retestPairs == 2)
        #expect(close(c.retestMeanAbsoluteDeltaScore, 15))
        #expect(close(c.retestSameLevelShare, 0.5))
    }

    @Test func emptyAndDegenerateInputsGiveNil() {
        let empty = Consistency(samples: [])
        #expect(empty.bias == nil && empty.rmse == nil && empty.pearson == nil && empty.meshAgreement == nil)
        #expect(empty.retestMeanAbsoluteDeltaScore == nil && empty.retestSameLevelShare == nil)
        let flat = Consistency(samples: [Self.samples[0], Self.samples[0]])
        #expect(flat.pearson == nil)   // no variance
        #expect(close(flat.rmse, 0.5))
    }

    @Test func rowsGiveSamplesAndPairs() {
        func row(_ key: String, person: String, sitting: Int, score: Int?, level: Int?, status: String = "validated") -> CandidateRow {
            CandidateRow(candidateKey: key, personKey: person, sitting: sitting, sessionIndex: 0, centre: 0, wave: 0,
                         needsAccessibility: false, trueTheta: 1, status: status, answers: 32,
                         estimatedTheta: score == nil ? nil : 1.5, errorRate: score == nil ? nil : 0.4, score: score,
                         meshLevel: level, meshLevelFromTrueTheta: 3)
        }
        let rows = [
            row("a1", person: "a", sitting: 1, score: 400, level: 3), row("a2", person: "a", sitting: 2, score: 430, level: 3),
            row("b1", person: "b", sitting: 1, score: 200, level: 2), row("b2", person: "b", sitting: 2, score: 250, level: 2, status: "rejected"),
            row("c1", person: "c", sitting: 1, score: nil, level: nil, status: "unfinished"),
        ]
        #expect(CandidateRow.retestPairs(rows) == [RetestPair(firstScore: 400, secondScore: 430, firstMeshLevel: 3, secondMeshLevel: 3)])
        let c = CandidateRow.consistency(rows)
        #expect(c.count == 3 && c.retestPairs == 1 && close(c.retestMeanAbsoluteDeltaScore, 30))
    }
}
