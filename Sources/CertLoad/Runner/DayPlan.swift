/// The day a run plays, built from the scenario: every session (which centre, room and wave,
/// when it opens) with its candidates' stable ids, and, with `retest: true`, a second day in which
/// every person sits again in a session of the same shape.
///
/// Ids are readable and stable: session `c012-s03-w2` is centre 12, room 3, wave 2 (1-based);
/// its candidates are `c012-s03-w2-k01`…; a retest session and its candidates end in `-r2`. The
/// daemon keys its challenge picks by these ids, so the same scenario gives the same picks
/// whatever the transport or the concurrency.
///
/// Owned by the runner.
public struct DayPlan: Sendable {
    /// One session to open.
    public struct Session: Sendable, Equatable {
        /// 0-based over the run (first day, then retest day).
        public var index: Int
        public var sessionId: String
        public var centre: Int
        public var room: Int
        public var wave: Int
        /// 0 first day, 1 retest day.
        public var sitting: Int
        /// When the session opens, in simulated seconds from the day's start.
        public var opensAtSeconds: Double
        public var candidates: [CandidateIdentity]
        /// Index of the population group the session holds (0 on a day with one group).
        public var group: Int = 0
    }

    /// The group of first-day session `index`: a draw keyed by the session, against the groups'
    /// cumulative shares (one group: 0, no draw).
    static func group(sessionIndex index: Int, shares: [Double], draws: RunnerDraws) -> Int {
        guard shares.count > 1 else { return 0 }
        let u = draws.unit(.sessionGroup, UInt64(index))
        var cumulative = 0.0
        for (group, share) in shares.enumerated() {
            cumulative += share
            if u < cumulative { return group }
        }
        return shares.count - 1
    }

    public let sessions: [Session]
    /// Persons (first sittings).
    public let persons: Int

    public var candidatesCount: Int { sessions.reduce(0) { $0 + $1.candidates.count } }

    public init(scenario: Scenario, draws: RunnerDraws) {
        var sizeRandom = draws.generator(.sessionSize)
        let planned = scenario.day.plan(using: &sizeRandom)
        var sessions: [Session] = []
        var person = 0
        var firstDay: [Session] = []
        for plannedSession in planned {
            let sessionId = Self.sessionId(centre: plannedSession.centre, room: plannedSession.room,
                                           wave: plannedSession.wave, sitting: 0)
            var candidates: [CandidateIdentity] = []
            for k in 0..<plannedSession.candidates {
                candidates.append(CandidateIdentity(personIndex: person, sitting: 0, sessionId: sessionId,
                                                    candidateId: Self.candidateId(sessionId: sessionId, seat: k)))
                person += 1
            }
            firstDay.append(Session(index: firstDay.count, sessionId: sessionId, centre: plannedSession.centre,
                                    room: plannedSession.room, wave: plannedSession.wave, sitting: 0,
                                    opensAtSeconds: plannedSession.opensAtSeconds, candidates: candidates,
                                    group: Self.group(sessionIndex: firstDay.count,
                                                      shares: scenario.population.groups.map(\.share), draws: draws)))
        }
        sessions = firstDay
        if scenario.retest {
            // The retest day starts when the first day is over (last opening + a session's length).
            let dayLengthSeconds = (firstDay.map(\.opensAtSeconds).max() ?? 0) + scenario.day.sessionDurationMinutes * 60
            for session in firstDay {
                let sessionId = Self.sessionId(centre: session.centre, room: session.room, wave: session.wave, sitting: 1)
                let candidates = session.candidates.enumerated().map { seat, first in
                    CandidateIdentity(personIndex: first.personIndex, sitting: 1, sessionId: sessionId,
                                      candidateId: Self.candidateId(sessionId: sessionId, seat: seat))
                }
                sessions.append(Session(index: sessions.count, sessionId: sessionId, centre: session.centre,
                                        room: session.room, wave: session.wave, sitting: 1,
                                        opensAtSeconds: dayLengthSeconds + session.opensAtSeconds, candidates: candidates,
                                        group: session.group))
            }
        }
        self.sessions = sessions
        self.persons = person
    }

    static func sessionId(centre: Int, room: Int, wave: Int, sitting: Int) -> String {
        "c\(pad(centre + 1, 3))-s\(pad(room + 1, 2))-w\(wave + 1)" + (sitting == 0 ? "" : "-r\(sitting + 1)")
    }

    /// The retest suffix, when any, comes with the session id.
    static func candidateId(sessionId: String, seat: Int) -> String {
        "\(sessionId)-k\(pad(seat + 1, 2))"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
