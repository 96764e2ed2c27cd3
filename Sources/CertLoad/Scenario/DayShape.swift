/// The shape of a certification day (or year): how many centres, rooms, waves, and candidates a
/// session. YAML section `day`.
///
/// Every wave opens `centres × sessionsPerCentre` sessions at the same simulated time; waves are
/// `waveSpacingMinutes` apart. With an explicit `candidates` total (year-scale runs) the number of
/// waves is derived: waves are added until that many candidates are enrolled, and `waves` must not
/// be given too.
///
/// Owned by CertLoad's scenario half.
public struct DayShape: Sendable, Codable, Equatable {
    /// Certification centres (schools, test centres). YAML `centres`.
    public var centres: Int = 1
    /// Sessions (rooms, each with one invigilator) a centre runs in each wave. YAML `sessions_per_centre`.
    public var sessionsPerCentre: Int = 1
    /// Waves in the day. YAML `waves`.
    public var waves: Int = 1
    /// Minutes between the openings of two successive waves. YAML `wave_spacing_minutes`.
    public var waveSpacingMinutes: Double = 120
    /// Candidates enrolled in a session, drawn per session. YAML `candidates_per_session`.
    public var candidatesPerSession = CountRange(fixed: 30)
    /// Explicit total of certifications (first sittings); nil = the shape decides. YAML `candidates`.
    public var candidates: Int? = nil
    /// Nominal session length (DESIGN §3.6: 105 minutes). YAML `session_duration_minutes`.
    public var sessionDurationMinutes: Double = 105
    /// Candidates of a session arrive spread over this many seconds after it opens. YAML `arrival_spread_seconds`.
    public var arrivalSpreadSeconds: Double = 300

    public static let countMax = 10_000_000

    public init() {}

    /// Sessions opened by each wave.
    public var sessionsPerWave: Int { centres * sessionsPerCentre }

    /// The most first-sitting candidates this shape can enrol.
    public var plannedCandidatesMax: Int {
        candidates ?? sessionsPerWave * waves * candidatesPerSession.maximum
    }

    /// One session the runner must open.
    public struct PlannedSession: Sendable, Equatable {
        /// 0-based over the whole run, in opening order.
        public var index: Int
        /// 0-based wave.
        public var wave: Int
        /// 0-based centre.
        public var centre: Int
        /// 0-based room within the centre for this wave.
        public var room: Int
        /// When the session opens, in simulated seconds from the start of the run.
        public var opensAtSeconds: Double
        /// Candidates enrolled.
        public var candidates: Int
    }

    /// Expands the shape into sessions. Draws candidates per session from `random` (pass a generator
    /// seeded for this purpose), so the plan replays from the seed.
    public func plan(using random: inout some RandomNumberGenerator) -> [PlannedSession] {
        var sessions: [PlannedSession] = []
        var enrolled = 0
        var wave = 0
        while true {
            if candidates == nil && wave >= waves { break }
            for centre in 0..<centres {
                for room in 0..<sessionsPerCentre {
                    var size = candidatesPerSession.draw(using: &random)
                    if let total = candidates {
                        if enrolled >= total { return sessions }
                        size = min(size, total - enrolled)
                    }
                    sessions.append(PlannedSession(
                        index: sessions.count, wave: wave, centre: centre, room: room,
                        opensAtSeconds: Double(wave) * waveSpacingMinutes * 60, candidates: size))
                    enrolled += size
                }
            }
            if let total = candidates, enrolled >= total { break }
            wave += 1
        }
        return sessions
    }
}
