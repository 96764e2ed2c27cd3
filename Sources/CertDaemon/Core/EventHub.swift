import Synchronization

/// Fans session events out to `watch` subscribers. Owned by the daemon core. Each
/// subscriber's stream keeps the newest `bufferMax` events, so a slow reader loses old events
/// rather than growing memory.
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
    let bufferMax: Int

    init(bufferMax: Int) { self.bufferMax = bufferMax }

    func subscribe(sessionId: String?) -> AsyncStream<SessionEvent> {
        let (stream, continuation) = AsyncStream<SessionEvent>.makeStream(bufferingPolicy: .bufferingNewest(bufferMax))
        let id = state.withLock { state in
            let id = state.nextSubscriberId
            state.nextSubscriberId += 1
            state.subscribers[id] = Subscriber(sessionId: sessionId, continuation: continuation)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Numbers the event and yields it to the matching subscribers.
    func publish(
        atSeconds: Double, sessionId: String, candidateId: String?, kind: SessionEventKind, detail: String? = nil
    ) {
        // Yielded under the lock so that every subscriber sees events in sequence order.
        state.withLock { state in
            let event = SessionEvent(
                sequence: state.nextSequence, atSeconds: atSeconds, sessionId: sessionId,
                candidateId: candidateId, kind: kind, detail: detail)
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
            return all
        }
        for continuation in all { continuation.finish() }
    }
}
