import Hummingbird

/// Streams a watch to the client until the store ends it, the timeout passes or the client goes away.
enum WatchWriter {
    static func write(
        _ watch: WatchStream, store: ObjectStore, bookmarkInterval: Duration, to writer: inout any ResponseBodyWriter
    ) async throws {
        if let error = watch.initialError {
            try await writer.write(ByteBuffer(bytes: watch.encode(.error(error))))
            try await writer.finish(nil)
            return
        }
        let id = watch.id
        defer { store.stopWatch(id) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let timeout = watch.timeout {
                group.addTask {
                    try await Task.sleep(for: timeout)
                    store.stopWatch(id)
                }
            }
            if watch.bookmarks {
                store.bookmark(id, initialEventsEnd: watch.sendInitialEvents)
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: bookmarkInterval)
                        store.bookmark(id)
                    }
                }
            }
            for await message in watch.stream {
                try await writer.write(ByteBuffer(bytes: watch.encode(message)))
            }
            group.cancelAll()
        }
        try await writer.finish(nil)
    }
}
