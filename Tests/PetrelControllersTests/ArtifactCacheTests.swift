import Foundation
import KubeCore
import PetrelAPI
@testable import PetrelControllers
import Synchronization
import Testing

final class LoadCounter: Sendable {
    let count = Mutex(0)
}

@Suite("Artifact cache shared by Kustomization reconciles")
struct ArtifactCacheTests {
    /// A well-formed digest made of `hex` repeated.
    static func digest(_ hex: String) -> String { "sha256:" + String(repeating: hex, count: 64 / hex.count) }

    static func scratch() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("petrel-cache-test-\(UUID().uuidString)")
    }

    @Test("concurrent acquires of one digest load it once and share the folder")
    func concurrentLoadOnce() async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = ArtifactCache(directory: directory)
        let loads = LoadCounter()
        let folders = try await withThrowingTaskGroup(of: URL.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await cache.acquire(digest: Self.digest("aa")) { folder in
                        loads.count.withLock { $0 += 1 }
                        try await Task.sleep(for: .milliseconds(100))
                        try Data("x".utf8).write(to: folder.appendingPathComponent("file"))
                    }
                }
            }
            var all: [URL] = []
            for try await folder in group { all.append(folder) }
            return all
        }
        #expect(loads.count.withLock { $0 } == 1)
        #expect(Set(folders.map(\.path)).count == 1)
        let folder = try #require(folders.first)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("file").path))
        for _ in folders { await cache.release(digest: Self.digest("aa")) }
        #expect(await cache.cachedDigests == [Self.digest("aa")], "an idle revision within capacity is kept")
    }

    @Test(
        "only sha256:<64 lowercase hex> is used as a key: other spellings, colliding ones included, are refused",
        arguments: [
            "sha256-" + String(repeating: "a", count: 64), "sha256:" + String(repeating: "A", count: 64),
            "sha256:" + String(repeating: "a", count: 63), "sha256:" + String(repeating: "a", count: 65),
            "sha256-aaaa:" + String(repeating: "a", count: 60), "sha512:" + String(repeating: "a", count: 64),
            "sha256:../../" + String(repeating: "a", count: 58), "", "sha256:",
        ])
    func digestValidated(digest: String) async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = ArtifactCache(directory: directory)
        // A folder in use under the canonical spelling must survive any other spelling's load.
        let canonical = Self.digest("a")
        let inUse = try await cache.acquire(digest: canonical) { folder in
            try Data("x".utf8).write(to: folder.appendingPathComponent("file"))
        }
        let loads = LoadCounter()
        let error = await #expect(throws: KustomizationError.self) {
            _ = try await cache.acquire(digest: digest) { _ in loads.count.withLock { $0 += 1 } }
        }
        #expect(error?.message.contains("invalid artifact digest") == true, "\(String(describing: error))")
        #expect(loads.count.withLock { $0 } == 0)
        #expect(FileManager.default.fileExists(atPath: inUse.appendingPathComponent("file").path))
        #expect(Artifact.isSHA256Digest(digest) == false)
        await cache.release(digest: canonical)
    }

    @Test("a failed load is not cached: the next acquire loads again")
    func failureNotCached() async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = ArtifactCache(directory: directory)
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            _ = try await cache.acquire(digest: Self.digest("bb")) { _ in throw Boom() }
        }
        #expect(await cache.cachedDigests.isEmpty)
        let folder = try await cache.acquire(digest: Self.digest("bb")) { folder in
            try Data("ok".utf8).write(to: folder.appendingPathComponent("file"))
        }
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("file").path))
        await cache.release(digest: Self.digest("bb"))
    }

    @Test("unused revisions beyond the capacity are deleted, least recently used first; folders in use are kept")
    func eviction() async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = ArtifactCache(directory: directory, idleCapacity: 1)
        let fill: @Sendable (URL) async throws -> Void = { folder in
            try Data("x".utf8).write(to: folder.appendingPathComponent("file"))
        }
        let inUse = try await cache.acquire(digest: Self.digest("01"), load: fill)
        let second = try await cache.acquire(digest: Self.digest("02"), load: fill)
        await cache.release(digest: Self.digest("02"))
        let third = try await cache.acquire(digest: Self.digest("03"), load: fill)
        await cache.release(digest: Self.digest("03"))
        // 01 is in use; 02 and 03 are idle and only one may stay: the older, 02, goes.
        #expect(await cache.cachedDigests == [Self.digest("01"), Self.digest("03")])
        #expect(!FileManager.default.fileExists(atPath: second.path))
        #expect(FileManager.default.fileExists(atPath: third.path))
        #expect(FileManager.default.fileExists(atPath: inUse.path))
        await cache.release(digest: Self.digest("01"))
        // Now 01 is the most recently released: 03 goes.
        #expect(await cache.cachedDigests == [Self.digest("01")])
        #expect(!FileManager.default.fileExists(atPath: third.path))
        await cache.removeAll()
        #expect(!FileManager.default.fileExists(atPath: inUse.path))
    }
}

@Suite("Applied-set memo: when a Kustomization reconcile may skip the API")
struct AppliedSetMemoTests {
    static func kustomization(
        uid: String = "u1", generation: Int64 = 2, observed: Int64 = 2, ready: Bool = true,
        requestedAt: String? = nil, handled: String? = nil, interval: String = "10m"
    ) throws -> Kustomization {
        var annotations: JSONValue = [:]
        if let requestedAt { annotations["reconcile.petrel.dev/requestedAt"] = .string(requestedAt) }
        var status: JSONValue = [
            "observedGeneration": .integer(observed),
            "conditions": [
                [
                    "type": "Ready", "status": ready ? "True" : "False", "reason": "ReconciliationSucceeded",
                    "message": "ok", "lastTransitionTime": "2026-01-01T00:00:00Z",
                ]
            ],
            "inventory": ["entries": [["id": "default_cm__ConfigMap", "v": "v1"]]],
        ]
        if let handled { status["lastHandledReconcileAt"] = .string(handled) }
        let json: JSONValue = [
            "apiVersion": "kustomize.petrel.dev/v1", "kind": "Kustomization",
            "metadata": [
                "name": "app", "namespace": "default", "uid": .string(uid), "generation": .integer(generation),
                "annotations": annotations,
            ],
            "spec": [
                "interval": .string(interval), "prune": true, "sourceRef": ["kind": "GitRepository", "name": "repo"],
            ],
            "status": status,
        ]
        return try Kustomization(json: json)
    }

    static let objects: [JSONValue] = [Manifests.configMap("cm")]

    @Test("an identical build within the interval skips; the remaining time is the rest of the interval")
    func skips() throws {
        let memo = AppliedSetMemo()
        let object = try Self.kustomization()
        let fingerprint = AppliedSetMemo.fingerprint(Self.objects)
        let start = ContinuousClock.now
        #expect(memo.remaining(for: object, fingerprint: fingerprint, now: start) == nil, "nothing recorded yet")
        memo.record(object, fingerprint: fingerprint, at: start)
        let left = try #require(memo.remaining(for: object, fingerprint: fingerprint, now: start + .seconds(60)))
        #expect(left == .seconds(540))
        #expect(memo.remaining(for: object, fingerprint: fingerprint, now: start + .seconds(600)) == nil, "drift check due")
    }

    @Test("a changed build, a pending requestedAt, a new generation, not Ready, another UID: no skip")
    func noSkip() throws {
        let memo = AppliedSetMemo()
        let fingerprint = AppliedSetMemo.fingerprint(Self.objects)
        let now = ContinuousClock.now
        memo.record(try Self.kustomization(), fingerprint: fingerprint, at: now)
        let changed = AppliedSetMemo.fingerprint([Manifests.configMap("cm", data: ["k": "other"])])
        #expect(changed != fingerprint)
        #expect(memo.remaining(for: try Self.kustomization(), fingerprint: changed, now: now) == nil)
        #expect(memo.remaining(for: try Self.kustomization(requestedAt: "now"), fingerprint: fingerprint, now: now) == nil)
        #expect(
            memo.remaining(
                for: try Self.kustomization(requestedAt: "now", handled: "now"), fingerprint: fingerprint, now: now) != nil)
        #expect(memo.remaining(for: try Self.kustomization(generation: 3), fingerprint: fingerprint, now: now) == nil)
        #expect(memo.remaining(for: try Self.kustomization(ready: false), fingerprint: fingerprint, now: now) == nil)
        #expect(memo.remaining(for: try Self.kustomization(uid: "u2"), fingerprint: fingerprint, now: now) == nil)
        memo.forget(try Self.kustomization())
        #expect(memo.remaining(for: try Self.kustomization(), fingerprint: fingerprint, now: now) == nil)
        #expect(memo.count == 0)
    }
}
