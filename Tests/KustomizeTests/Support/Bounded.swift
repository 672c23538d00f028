import Foundation
import Synchronization

/// Runs `body` on a thread of its own and returns its result, or nil when it has not returned within `limit`.
///
/// For inputs that used to hang a build: the test fails (nil) instead of hanging the suite. The bound is generous
/// (it only catches hangs, never measures speed); a thread that does not finish is left behind.
func finishing<T: Sendable>(within limit: Duration = .seconds(60), _ body: @escaping @Sendable () -> T) async -> T? {
    let once = Mutex<CheckedContinuation<T?, Never>?>(nil)
    return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
        once.withLock { $0 = continuation }
        let thread = Thread {
            let result = body()
            once.withLock { $0.take() }?.resume(returning: result)
        }
        thread.stackSize = 8 << 20
        thread.start()
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: Double(limit.components.seconds))
            once.withLock { $0.take() }?.resume(returning: nil)
        }
    }
}
