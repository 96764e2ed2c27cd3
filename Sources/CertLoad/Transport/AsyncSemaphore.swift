/// A counting semaphore for tasks: at most `permits` holders at once, waiters served first come
/// first served. Bounds requests in flight on one control connection (below the daemon's
/// pending-request limit).
///
/// Owned by the runner's transport half.
actor AsyncSemaphore {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var waitersHead = 0

    init(permits: Int) {
        precondition(permits > 0, "a semaphore needs at least one permit")
        available = permits
    }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waitersHead < waiters.count {
            let waiter = waiters[waitersHead]
            waitersHead += 1
            if waitersHead > 1024, waitersHead * 2 > waiters.count {
                waiters.removeFirst(waitersHead)
                waitersHead = 0
            }
            waiter.resume()
        } else {
            available += 1
        }
    }
}
