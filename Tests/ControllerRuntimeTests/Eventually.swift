/// Polls `condition` every 5 ms until it holds or `timeout` passes; true when it held. The tests over HTTP wait for
/// informers, controllers and leader electors this way.
func eventually(_ timeout: Duration = .seconds(60), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return false
}
