import Synchronization

/// Fans session events out to `watch` subscribers. Owned by the daemon core. Each
/// subscriber's stream keeps the newest `bufferMax` events, so a slow reader loses old events
/// rather than growing memory.
///
/// Events are published on hot paths (every acknowledged answer), so with nobody watching
/// `publish` is one relaxed atomic load: no lock, no event built, no sequence number used.
/// Callers that must compute something to publish (the time) check `hasSubscribers` first.
final class EventHub: Sendable {
    private struct Subscriber {
        let sessionId: String?
        let continuation: AsyncStream<SessionEvent>.Continuation
    }

    private struct State {
        var nextSequence = 1
        var nextSubscriberId = 0
        var subscribers: [Int: Subscriber] = [:]
    }

    private let state = Mutex(State())
    /// Mirrors `state.subscribers.count` (written under the lock), read without it.
    private let subscriberCount = Atomic<Int>(0)
    let bufferMax: Int

    init(bufferMax: Int) { self.bufferMax = bufferMax }

    /// True while at least one stream is open. A subscriber arriving concurrently with a
    /// publication may miss that one event, as it would had it subscribed a moment later.
    var hasSubscribers: Bool { subscriberCount.load(ordering: .relaxed) > 0 }

    func subscribe(sessionId: String?) -> AsyncStream<SessionEvent> {
        let (stream, continuation) = AsyncStream<SessionEvent>.makeStream(bufferingPolicy: .bufferingNewest(bufferMax))
        let id = state.withLock { state in
            let id = state.nextSubscriberId
            state.nextSubscriberId += 1
            state.subscribers[id] = Subscriber(sessionId: sessionId, continuation: continuation)
            subscriberCount.store(state.subscribers.count, ordering: .relaxed)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.state.withLock { state in
                state.subscribers.removeValue(forKey: id)
                self.subscriberCount.store(state.subscribers.count, ordering: .relaxed)
            }
        }
        return stream
    }

    /// Numbers the event and yields it to the matching subscribers; does nothing when no
    /// stream is open.
    func publish(
        atSeconds: Double, sessionId: String, candidateId: String?, kind: SessionEventKind, detail: String? = nil,
        answersCount: Int? = nil
    ) {
        guard hasSubscribers else { return }
        // Yielded under the lock so that every subscriber sees events in sequence order.
        state.withLock { state in
            let event = SessionEvent(
                sequence: state.nextSequence, atSeconds: atSeconds, sessionId: sessionId,
                candidateId: candidateId, kind: kind, detail: detail, answersCount: answersCount)
            state.nextSequence += 1
            for subscriber in state.subscribers.values where subscriber.sessionId == nil || subscriber.sessionId == sessionId {
                subscriber.continuation.yield(event)
            }
        }
    }

    func finishAll() {
        let all = state.withLock { state in
            let all = state.subscribers.values.map(\.continuation)
            state.subscribers.removeAll()
            subscriberCount.store(0, ordering: .relaxed)
            return all
        }
        for continuation in all { continuation.finish() }
    }
}
