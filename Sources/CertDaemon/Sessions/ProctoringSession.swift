import CertCore
import CertStore
import Synchronization

/// One certification session's session-level state — its CertCore `SessionState`, the
/// enrolment order, and the published results — and the operations that change it: enrol,
/// the candidate's start (the session's first start), finalisation and publication. Owned by
/// the daemon core; created by the `SessionSupervisor`.
///
/// The candidates' own tests are not here: each is a `CandidateTest` in its engine shard, and
/// the candidate-level commands (authorise, end, alerts) go straight there. What shards need
/// of the session (does it still take candidates?) they read from ``gate`` without a hop.
///
/// Every operation checks, then changes state and queues its rows before its first await, so
/// that of two concurrent decisions exactly one applies; its rows commit as one transaction.
actor ProctoringSession {
    nonisolated let id: String
    private let context: DaemonContext
    private var session: SessionState
    private let passwordHash: String
    private let createdAtSeconds: Double
    /// Candidate ids in enrolment order.
    private var candidateOrder: [String] = []
    private var enrolled: Set<String> = []
    /// Candidates enrolled in a complementary certification (DESIGN §3.8): its version id
    /// (a test version, or a CLEA version that runs no test).
    private var complementaryOf: [String: String] = [:]
    /// The engine key of a candidate's complementary test, for the candidates who have one.
    private var followingKey: [String: String] = [:]
    /// The session's status and expiry, for the shards' transitions.
    nonisolated let gate: SessionGateCell
    /// The certification version the session runs, with the daemon's algorithm overrides.
    nonisolated let rules: CertificationRules
    /// The bank the session's own tests draw from.
    nonisolated let bank: ItemBank

    init(session: SessionState, passwordHash: String, createdAtSeconds: Double, rules: CertificationRules,
         context: DaemonContext) {
        self.rules = rules
        self.bank = context.versions.bank(of: rules)
        self.id = session.id
        self.session = session
        self.passwordHash = passwordHash
        self.createdAtSeconds = createdAtSeconds
        self.context = context
        self.gate = SessionGateCell(SessionGate(session))
    }

    var status: SessionStatus { session.status }
    var accessCode: String { session.accessCode }

    var sessionRecord: SessionRecord { record(of: session) }

    private func record(of session: SessionState) -> SessionRecord {
        SessionRecord(
            id: id, accessCode: session.accessCode, invigilatorPasswordHash: passwordHash, name: session.name,
            centre: session.centre, nominalDurationSeconds: session.nominalDurationSeconds,
            status: session.status.rawValue, createdSeconds: createdAtSeconds,
            firstStartSeconds: session.firstStartSeconds, finalizedSeconds: session.finalizedSeconds,
            publishedSeconds: session.publishedSeconds, versionId: rules.version.id)
    }

    private func install(_ updated: SessionState) {
        session = updated
        gate.set(SessionGate(updated))
    }

    // MARK: Proctor

    nonisolated func checkPassword(_ password: String) throws(DaemonError) {
        guard Secrets.verify(password, against: passwordHash) else { throw .invalidCredentials }
    }

    func enrol(candidateId: String, needsAccessibility: Bool, locale: String,
               extraTimePercent: Double = 0, complementaryVersionId: String? = nil) async throws(DaemonError) {
        try checkId(candidateId, what: "candidate id")
        let complementary = try complementaryVersionId.map { id throws(DaemonError) in try complementaryTest(id) }
        guard extraTimePercent.isFinite, (0...Self.extraTimePercentMax).contains(extraTimePercent) else {
            throw .badRequest(.invalidField, "Extra time must be a percentage from 0 to \(Int(Self.extraTimePercentMax)), got \(extraTimePercent).")
        }
        switch session.status {
        case .created, .started: break
        case .finalized, .inProcess:
            throw DaemonError(LifecycleError(.sessionAlreadyFinalized, "Session \(id) is finalised; no candidate can be enrolled."))
        case .processed:
            throw DaemonError(LifecycleError(.sessionAlreadyPublished, "Session \(id) has published its results; no candidate can be enrolled."))
        }
        guard !enrolled.contains(candidateId) else {
            throw .conflict(.candidateAlreadyEnrolled, "Candidate \(candidateId) is already enrolled in session \(id).")
        }
        guard candidateOrder.count < context.limits.candidatesPerSessionMax else {
            throw .conflict(
                .sessionFull,
                "Session \(id) already has \(context.limits.candidatesPerSessionMax) candidates (candidatesPerSessionMax).")
        }
        let test = CandidateTest(
            enrolment: CandidateTest.Enrolment(
                sessionId: id, candidateId: candidateId, externalIndex: candidateOrder.count, locale: locale,
                needsAccessibility: needsAccessibility, extraTimePercent: extraTimePercent,
                durationLimitSeconds: CandidateTest.Enrolment.durationLimit(
                    sessionDurationSeconds: session.nominalDurationSeconds, extraTimePercent: extraTimePercent),
                complementaryVersionId: complementaryVersionId),
            bank: bank, rules: rules)
        // The complementary test: its own key, bank, version and clock (DESIGN §3.8).
        let following = complementary.flatMap { served in served.map { served in
            CandidateTest(
                enrolment: CandidateTest.Enrolment(
                    sessionId: id,
                    candidateId: CandidateTest.Enrolment.complementaryKey(
                        candidateId: candidateId, versionId: served.rules.version.id),
                    externalIndex: candidateOrder.count, locale: locale, needsAccessibility: needsAccessibility,
                    extraTimePercent: extraTimePercent,
                    durationLimitSeconds: CandidateTest.Enrolment.durationLimit(
                        sessionDurationSeconds: served.rules.durationSeconds, extraTimePercent: extraTimePercent),
                    testVersionId: served.rules.version.id),
                bank: served.bank, rules: served.rules)
        } }
        do throws(StoreError) { try context.writer.checkAccepting() } catch { throw DaemonError(error) }
        let key = EngineShard.key(sessionId: id, candidateId: candidateId)
        let followingTestKey = following.map { EngineShard.key(sessionId: id, candidateId: $0.candidateId) }
        if let followingTestKey, context.pool.shard(for: followingTestKey).read(followingTestKey, { _ in true }) == true {
            throw .conflict(.candidateAlreadyEnrolled, "Candidate \(candidateId) is already enrolled in session \(id).")
        }
        guard context.pool.shard(for: key).insert(test, key: key) else {
            throw .conflict(.candidateAlreadyEnrolled, "Candidate \(candidateId) is already enrolled in session \(id).")
        }
        var writes = [test.enrolmentWrite]
        if let following, let followingTestKey {
            _ = context.pool.shard(for: followingTestKey).insert(following, key: followingTestKey)
            followingKey[candidateId] = followingTestKey
            writes.append(following.enrolmentWrite)
        }
        if let complementaryVersionId { complementaryOf[candidateId] = complementaryVersionId }
        candidateOrder.append(candidateId)
        enrolled.insert(candidateId)
        context.gauges.add(.candidates, 1)
        let ticket = CommitTicket()
        context.writer.enqueue(writes, ticket: ticket)
        try await context.wait(ticket)
        context.publish(sessionId: id, candidateId: candidateId, .candidateEnrolled)
    }

    // MARK: Candidate: start or resume

    /// The candidate starts or resumes with the session's access code. The candidate's
    /// transition, the new assessment and (on the session's first start) the session row are
    /// one transaction.
    func start(candidateId: String, accessCode: String) async throws(DaemonError) -> StartResponse {
        guard accessCode == session.accessCode else { throw .invalidAccessCode }
        guard enrolled.contains(candidateId) else { throw .candidateNotFound(candidateId, session: id) }
        let now = context.nowSeconds()
        let key = currentKey(candidateId)
        let shard = context.pool.shard(for: key)
        var updated = session
        let firstOfSession = updated.status == .created
        if firstOfSession { updated.recordFirstStart(nowSeconds: now) }
        let (assessmentId, testId, versionId) = shard.read(key) { ($0.assessmentId, $0.candidateId, $0.rules.version.id) }!
        let newAssessmentId = assessmentId ?? newAssessmentId(candidateId: testId)
        let token = Secrets.token()
        let (outcome, ticket) = try shard.apply(
            .start(session: SessionGate(session), assessmentId: newAssessmentId, tokenHash: Secrets.hash(token)),
            key: key, prefix: firstOfSession ? [.session(record(of: updated))] : [])
        guard case .started(let kind, let startedId) = outcome.reply else {
            try await context.wait(ticket)
            context.notify(outcome.notices, sessionId: id, candidateId: candidateId)
            throw context.refusal(outcome.reply, assessmentId: newAssessmentId)
        }
        if firstOfSession { install(updated) }
        context.routes.register(RoutingTable.Route(
            assessmentId: startedId, sessionId: id, candidateId: candidateId, key: key, shard: shard, session: self,
            token: token))
        try await context.wait(ticket)
        var detail = startedId
        if context.events.hasSubscribers, let end = shard.read(key, { $0.timeLimitSeconds }) ?? nil {
            detail += ", theoretical end \(ControlTables.clockTime(end))"
        }
        context.notify(outcome.notices, sessionId: id, candidateId: candidateId, detail: detail)
        let followedBy = followingKey[candidateId] != nil && key != followingKey[candidateId]
            ? complementaryOf[candidateId] : nil
        return StartResponse(assessmentId: startedId, token: token, resumed: kind == .resume,
                             certificationVersion: versionId, followedBy: followedBy)
    }

    /// The key of the test a candidate's start, authorisation or end applies to: the
    /// complementary test once the first one is over and let it follow (completed, or its time
    /// ran out), else the session's own test.
    func currentKey(_ candidateId: String) -> String {
        let key = EngineShard.key(sessionId: id, candidateId: candidateId)
        guard let following = followingKey[candidateId],
              let status = context.pool.shard(for: key).read(key, { $0.state.status }),
              Self.letsFollowingStart(status)
        else { return key }
        return following
    }

    /// A first test that ended so lets the complementary test start; an end by the
    /// invigilator or by finalisation ends the candidate's certification day (DESIGN §3.8).
    static func letsFollowingStart(_ status: CandidateStatus) -> Bool {
        status == .completed || status == .endedDueToDurationExceeded
    }

    /// Starts the complementary test of `candidateId` once the first one is over (DESIGN
    /// §3.8): no new authorisation, its own clock, the token the candidate already holds.
    /// Returns the route of the complementary test (already started: the same route), or nil
    /// when the candidate has no complementary test to move to.
    func startFollowing(candidateId: String, token: String) async throws(DaemonError) -> RoutingTable.Route? {
        guard let key = followingKey[candidateId], currentKey(candidateId) == key else { return nil }
        let shard = context.pool.shard(for: key)
        guard let (assessmentId, testId, versionId) = shard.read(key, { ($0.assessmentId, $0.candidateId, $0.rules.version.id) })
        else { return nil }
        if let assessmentId {
            // Already moved on (a retried `next`): the same route, now with this token.
            guard let route = context.routes.route(assessmentId: assessmentId) else { return nil }
            if route.registeredToken == nil { context.routes.setToken(token, assessmentId: assessmentId) }
            return route
        }
        let (outcome, ticket) = try shard.apply(
            .startFollowing(session: gate.get(), assessmentId: newAssessmentId(candidateId: testId),
                            tokenHash: Secrets.hash(token)),
            key: key)
        guard case .started(_, let startedId) = outcome.reply else {
            try await context.wait(ticket)
            context.notify(outcome.notices, sessionId: id, candidateId: candidateId)
            throw context.refusal(outcome.reply, assessmentId: testId)
        }
        let route = RoutingTable.Route(
            assessmentId: startedId, sessionId: id, candidateId: candidateId, key: key, shard: shard, session: self,
            token: token)
        context.routes.register(route)
        try await context.wait(ticket)
        context.notify(outcome.notices, sessionId: id, candidateId: candidateId, detail: "\(startedId) (\(versionId))")
        return route
    }

    // MARK: Finalising, publishing

    /// Finalises the session: every started, unfinished test needs an abort reason; running
    /// tests end (`endedDueToFinalization`) and every unfinished test is scored. The session
    /// row, every candidate's end and every result are one transaction.
    func finalize(abortReasons: [String: AbortReason]) async throws(DaemonError) -> FinalizationSummary {
        let now = context.nowSeconds()
        let keys = allTestKeys()
        let states = keys.map { key in context.pool.shard(for: key).read(key) { $0.state }! }
        let plan: FinalizationPlan
        do {
            plan = try Finalization.plan(session: session, candidates: states,
                                         abortReasons: testAbortReasons(abortReasons, states: states), nowSeconds: now)
        } catch {
            throw DaemonError(error)
        }
        do throws(StoreError) { try context.writer.checkAccepting() } catch { throw DaemonError(error) }
        // No start or authorisation from here on: the shards read the gate.
        install(plan.session)
        var writes: [StoreWrite] = [.session(record(of: plan.session))]
        var notices: [(person: String, testId: String, notices: [CandidateTest.Notice])] = []
        var scoredCount = 0
        let reasons = Dictionary(uniqueKeysWithValues: plan.toScore.map { ($0.candidateId, $0.abortReason) })
        let keysByShard = Dictionary(grouping: plan.toScore.map(\.candidateId)) { candidateId in
            context.pool.shardIndex(for: EngineShard.key(sessionId: id, candidateId: candidateId))
        }
        for (shardIndex, candidateIds) in keysByShard.sorted(by: { $0.key < $1.key }) {
            let keys = candidateIds.map { EngineShard.key(sessionId: id, candidateId: $0) }
            let outcomes = try context.pool.shards[shardIndex].applyAll({ key in
                let candidateId = String(key.split(separator: "\u{0}", maxSplits: 1).last ?? "")
                return .finalize(abortReason: reasons[candidateId])
            }, keys: keys)
            for (key, outcome) in outcomes {
                writes += outcome.writes
                let testId = String(key.split(separator: "\u{0}", maxSplits: 1).last ?? "")
                let person = context.pool.shards[shardIndex].read(key) { $0.enrolment.personId } ?? testId
                notices.append((person, testId, outcome.notices))
                if outcome.notices.contains(.resultWritten) { scoredCount += 1 }
            }
        }
        context.gauges.add(.activeSessions, -1)
        let ticket = CommitTicket()
        context.writer.enqueue(writes, ticket: ticket, waitingInEveryMode: scoredCount > 0)
        try await context.wait(ticket)
        for (person, testId, candidateNotices) in notices {
            context.notify(candidateNotices, sessionId: id, candidateId: person, detail: reasons[testId]?.rawValue)
        }
        context.publish(sessionId: id, candidateId: nil, .sessionFinalized)
        let statuses = keys.map { key in context.pool.shard(for: key).read(key) { $0.state.status }! }
        return FinalizationSummary(
            sessionId: id, status: session.status.rawValue,
            completedCount: statuses.filter { $0 == .completed }.count,
            endedByInvigilatorCount: statuses.filter { $0 == .endedByInvigilator }.count,
            endedDueToFinalizationCount: statuses.filter { $0 == .endedDueToFinalization }.count,
            notStartedCount: plan.absentCandidateIds.count, scoredCount: scoredCount)
    }

    /// Publishes a finalised session: its certificates become verifiable by code.
    func publish() async throws(DaemonError) -> [PublishedCertificate] {
        var published = session
        do {
            if published.status == .finalized { try published.beginProcessing() }
            try published.publish(nowSeconds: context.nowSeconds())
        } catch {
            throw DaemonError(error)
        }
        do throws(StoreError) { try context.writer.checkAccepting() } catch { throw DaemonError(error) }
        install(published)
        let ticket = CommitTicket()
        context.writer.enqueue([.session(record(of: published))], ticket: ticket)
        try await context.wait(ticket)
        let certificates = publishedCertificates()
        for certificate in certificates.responses { context.certificates.add(certificate) }
        context.publish(sessionId: id, candidateId: nil, .sessionPublished, detail: "\(certificates.published.count) certificates")
        return certificates.published
    }

    /// The written results of the session's candidates, as certificates.
    private func publishedCertificates() -> (published: [PublishedCertificate], responses: [CertificateResponse]) {
        var published: [PublishedCertificate] = []
        var responses: [CertificateResponse] = []
        for key in allTestKeys() {
            guard let (assessmentId, scored, candidateId, isCore) = context.pool.shard(for: key).read(key, {
                ($0.assessmentId, $0.scored, $0.enrolment.personId, $0.enrolment.testVersionId == nil)
            }),
                let assessmentId, let scored, let code = scored.verificationCode
            else { continue }
            let result = scored.result
            let clea = isCore ? cleaOutcome(candidateId: candidateId, core: result) : nil
            responses.append(CertificateResponse(
                verificationCode: code, sessionId: id, candidateId: candidateId, pixScore: result.pixScore,
                meshLevel: result.meshLevel, level: result.level, competenceLevels: result.competenceLevels,
                status: result.status.rawValue, statusReason: result.statusReason?.rawValue,
                certificationVersion: result.version, juryLevel: juryLevels[assessmentId],
                cleaVersion: clea?.versionId, cleaAcquired: clea?.acquired))
            published.append(PublishedCertificate(
                candidateId: candidateId, assessmentId: assessmentId, verificationCode: code,
                pixScore: result.pixScore, meshLevel: result.meshLevel, level: juryLevels[assessmentId] ?? result.level,
                status: result.status.rawValue, statusReason: result.statusReason?.rawValue,
                certificationVersion: result.version, cleaAcquired: clea?.acquired))
        }
        return (published, responses)
    }

    // MARK: Pix+ Édu jury, CléA

    /// The external jury's levels, by assessment id (DESIGN §3.8).
    private var juryLevels: [String: String] = [:]

    /// The jury's decision on a published Pix+ Édu certification of `candidateId`: raises
    /// LEVEL_ADMISSIBLE to `level` (LEVEL_ADVANCED or LEVEL_EXPERT), once.
    func decideJuryLevel(candidateId: String, level: String) async throws(DaemonError) -> CertificateResponse {
        guard enrolled.contains(candidateId) else { throw .candidateNotFound(candidateId, session: id) }
        guard let key = followingKey[candidateId],
              let (assessmentId, scored, rules) = context.pool.shard(for: key).read(key, { ($0.assessmentId, $0.scored, $0.rules) }),
              rules.version.framework.isEdu
        else {
            throw .notFound(.juryNoCertification, "Candidate \(candidateId) of session \(id) sits no Pix+ Édu certification.")
        }
        guard rules.version.externalLevels.contains(level) else {
            throw .badRequest(.invalidField, "The jury's level must be one of \(rules.version.externalLevels.joined(separator: ", ")) (version \(rules.version.id)), got \(level).")
        }
        guard session.status == .processed else {
            throw .conflict(.juryNotPublished, "Session \(id) has not published its results; the jury decides on published certifications.")
        }
        guard let assessmentId, let scored, let code = scored.verificationCode, scored.result.status == .validated else {
            throw .conflict(.juryNotAdmissible, "The Pix+ Édu certification of candidate \(candidateId) is not validated (\(scored?.result.status.rawValue ?? "never taken")); the jury cannot raise it.")
        }
        guard juryLevels[assessmentId] == nil else {
            throw .conflict(.juryAlreadyDecided, "The jury already gave candidate \(candidateId) the level \(juryLevels[assessmentId]!).")
        }
        do throws(StoreError) { try context.writer.checkAccepting() } catch { throw DaemonError(error) }
        juryLevels[assessmentId] = level
        let ticket = CommitTicket()
        context.writer.enqueue([.juryLevel(assessmentId: assessmentId, level: level, decidedSeconds: context.nowSeconds())],
                               ticket: ticket, waitingInEveryMode: true)
        do throws(DaemonError) {
            try await context.wait(ticket)
        } catch {
            juryLevels[assessmentId] = nil
            throw error
        }
        let result = scored.result
        let certificate = CertificateResponse(
            verificationCode: code, sessionId: id, candidateId: candidateId, pixScore: result.pixScore,
            meshLevel: result.meshLevel, level: result.level, competenceLevels: result.competenceLevels,
            status: result.status.rawValue, statusReason: result.statusReason?.rawValue,
            certificationVersion: result.version, juryLevel: level)
        context.certificates.add(certificate)
        context.publish(sessionId: id, candidateId: candidateId, .juryDecided, detail: "\(level) (\(LevelNames.name(of: level)))")
        return certificate
    }

    /// Puts back a stored jury decision.
    func restoreJuryLevel(_ level: String, assessmentId: String) {
        juryLevels[assessmentId] = level
    }

    /// Whether a candidate enrolled in CléA acquired it, from the core result (DESIGN §3.8).
    private func cleaOutcome(candidateId: String, core: CertificationResult) -> (versionId: String, acquired: Bool)? {
        guard let versionId = complementaryOf[candidateId], let clea = context.versions.clea(id: versionId) else { return nil }
        return (versionId, clea.acquired(core: core))
    }

    /// The complementary certification `versionId` as this session can add it: a test version
    /// with its bank, or nil for a CLEA version (no test of its own).
    private func complementaryTest(_ versionId: String) throws(DaemonError) -> (rules: CertificationRules, bank: ItemBank)? {
        guard rules.version.framework == .core else {
            throw .unprocessable(.complementaryNotAllowed, "Session \(id) runs \(rules.version.id) (\(rules.version.framework.rawValue)); only a core certification session takes a complementary enrolment.")
        }
        if let clea = context.versions.cleaForEnrolment(id: versionId) {
            guard clea.coreVersion == rules.version.id else {
                throw .unprocessable(.complementaryCoreMismatch, "CléA version \(versionId) applies to core version \(clea.coreVersion); session \(id) runs \(rules.version.id).")
            }
            return nil
        }
        let served = try context.versions.servedForEnrolment(versionId: versionId)
        guard served.rules.version.framework != .core else {
            throw .unprocessable(.complementaryNotAllowed, "Version \(versionId) is a core certification; a complementary enrolment names a Pix+ version (Édu, Droit, Pro Santé, CléA).")
        }
        return served
    }

    // MARK: Tests of a candidate

    /// Every test's engine key, in enrolment order (a candidate's own test, then the
    /// complementary one).
    private func allTestKeys() -> [String] {
        candidateOrder.flatMap { candidateId in
            [EngineShard.key(sessionId: id, candidateId: candidateId)] + (followingKey[candidateId].map { [$0] } ?? [])
        }
    }

    /// Finalisation's abort reasons are given per candidate (or per test, `CANDIDATE#VERSION`):
    /// a candidate's reason applies to each of their tests that needs one — the running one,
    /// and a first test whose time ran out.
    private func testAbortReasons(_ given: [String: AbortReason], states: [CandidateState]) -> [String: AbortReason] {
        let statusById = Dictionary(states.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [String: AbortReason] = [:]
        for (candidateId, reason) in given {
            guard let following = followingKey[candidateId] else {
                out[candidateId] = reason
                continue
            }
            let followingId = String(following.split(separator: "\u{0}", maxSplits: 1).last ?? "")
            let needing = [candidateId, followingId].filter { testId in
                guard let state = statusById[testId] else { return false }
                return state.status.hasStarted && state.status != .completed && state.abortReason == nil
            }
            if needing.isEmpty { out[candidateId] = reason } else { for testId in needing { out[testId] = reason } }
        }
        return out
    }

    // MARK: Views

    private func tests() -> [CandidateView] {
        allTestKeys().compactMap { key in context.pool.shard(for: key).read(key) { CandidateView($0) } }
    }

    func summary() -> SessionSummary {
        let views = tests()
        return SessionSummary(
            sessionId: id, name: session.name ?? "", centre: session.centre ?? "", status: session.status.rawValue,
            candidatesCount: candidateOrder.count, startedCount: views.filter { $0.state.status == .started }.count,
            finishedCount: views.filter(\.state.status.isOver).count,
            ongoingAlertsCount: views.filter { $0.liveAlerts.ongoing != nil || $0.companionAlerts.ongoing != nil }.count)
    }

    func detail() -> SessionDetail {
        let views = tests()
        let now = context.nowSeconds()
        let rows = views.map { view in
            let theoreticalEnd = view.state.firstStartSeconds.map { $0 + view.enrolment.durationLimitSeconds }
            return CandidateSummary(
                candidateId: view.enrolment.personId, status: view.state.status.rawValue,
                needsAccessibility: view.enrolment.needsAccessibility, locale: view.enrolment.locale,
                assessmentId: view.assessmentId, answersCount: view.answersCount,
                authorizedUntilSeconds: view.state.authorization?.expiresAtSeconds,
                abortReason: view.state.abortReason, pixScore: view.scored?.result.pixScore,
                certificationStatus: view.scored?.result.status.rawValue,
                statusReason: view.scored?.result.statusReason?.rawValue, level: view.scored?.result.level,
                extraTimePercent: view.enrolment.extraTimePercent, theoreticalEndSeconds: theoreticalEnd,
                overtime: view.state.status == .started && theoreticalEnd.map { now >= $0 } == true,
                certificationVersion: view.versionId, complementary: view.enrolment.complementaryVersionId)
        }
        return SessionDetail(
            sessionId: id, name: session.name ?? "", centre: session.centre ?? "", status: session.status.rawValue,
            accessCode: session.accessCode, nominalDurationSeconds: session.nominalDurationSeconds,
            createdAtSeconds: createdAtSeconds,
            firstStartedAtSeconds: session.firstStartSeconds, finalizedAtSeconds: session.finalizedSeconds,
            candidates: rows, alerts: Self.alerts(of: views, sessionId: id), certificationVersion: rules.version.id)
    }

    func alerts() -> [AlertSummary] {
        Self.alerts(of: tests(), sessionId: id)
    }

    private static func alerts(of views: [CandidateView], sessionId: String) -> [AlertSummary] {
        var out: [AlertSummary] = []
        for view in views {
            let candidateId = view.enrolment.personId
            for alert in view.liveAlerts.history + (view.liveAlerts.ongoing.map { [$0] } ?? []) {
                out.append(AlertSummary(
                    sessionId: sessionId, candidateId: candidateId, kind: "live", challengeId: alert.challengeId,
                    status: alert.status.rawValue, raisedAtSeconds: alert.raisedAtSeconds,
                    reason: alert.reason?.rawValue, questionNumber: alert.questionNumber))
            }
            if let companion = view.companionAlerts.ongoing {
                out.append(AlertSummary(
                    sessionId: sessionId, candidateId: candidateId, kind: "companion", challengeId: nil,
                    status: companion.status.rawValue, raisedAtSeconds: companion.raisedAtSeconds))
            }
        }
        return out
    }

    // MARK: Recovery

    /// Puts back a stored candidate's place in the enrolment order (its test is in its shard).
    func restoreCandidate(_ candidateId: String, complementaryVersionId: String?) {
        candidateOrder.append(candidateId)
        enrolled.insert(candidateId)
        if let complementaryVersionId { complementaryOf[candidateId] = complementaryVersionId }
    }

    /// Puts back a stored candidate's complementary test (its test is in its shard).
    func restoreFollowing(_ candidateId: String, key: String) {
        followingKey[candidateId] = key
    }

    /// The certificates of a session published before the restart.
    func republishCertificates() {
        guard session.status == .processed else { return }
        for certificate in publishedCertificates().responses { context.certificates.add(certificate) }
    }

    // MARK: Helpers

    /// Most extra time a candidate may be given, in percent (a test at most this much longer).
    static let extraTimePercentMax: Double = 300

    private func newAssessmentId(candidateId: String) -> String {
        var attempt = 0
        while true {
            let candidate = Draws.assessmentId(seed: context.seed, sessionId: id, candidateId: candidateId, attempt: attempt)
            if !context.routes.containsAssessment(candidate) { return candidate }
            attempt += 1
        }
    }

    private func checkId(_ value: String, what: String) throws(DaemonError) {
        guard !value.isEmpty, value.utf8.count <= context.limits.idLengthMax else {
            throw .badRequest(.invalidId, "A \(what) must have 1 to \(context.limits.idLengthMax) bytes.")
        }
    }
}

/// What the proctor's views show of one candidate's test (no adaptive buffers copied).
struct CandidateView: Sendable {
    let enrolment: CandidateTest.Enrolment
    let state: CandidateState
    let liveAlerts: LiveAlertLedger
    let companionAlerts: CompanionAlertLedger
    let assessmentId: String?
    let answersCount: Int
    let scored: CandidateTest.Scored?
    let versionId: String

    init(_ test: borrowing CandidateTest) {
        versionId = test.rules.version.id
        enrolment = test.enrolment
        state = test.state
        liveAlerts = test.liveAlerts
        companionAlerts = test.companionAlerts
        assessmentId = test.assessmentId
        answersCount = test.answersCount
        scored = test.scored
    }
}

/// A session's gate, readable by the shards without a hop into the session actor.
final class SessionGateCell: Sendable {
    private let value: Mutex<SessionGate>

    init(_ gate: SessionGate) { value = Mutex(gate) }

    func get() -> SessionGate { value.withLock { $0 } }
    func set(_ gate: SessionGate) { value.withLock { $0 = gate } }
}
