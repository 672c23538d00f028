import ControllerRuntime
import Foundation
import KubeClient
import KubeCore
import PetrelAPI
import PetrelControllers
import PetrelTesting
import Testing

@Suite("GitRepository controller against a local API server and real git servers", .serialized)
struct GitRepositoryControllerTests {
    @Test("a new GitRepository becomes Ready with its artifact stored; new commits give new revisions, events and GC")
    func createAndFollowBranch() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let first = try repo.commit("first", files: ["deploy/app.yaml": "v: 1\n", ".github/ci.yml": "x\n", "logo.png": "p"])
            try await withGitDaemon(root: root) { daemon in
                let url = daemon.url(repo.relativePath)
                try await withGitRepositoryController(tmp: tmp) { env in
                    try await env.create("app", spec: try gitSpec(url, interval: "1s"))
                    let ready = try await env.waitReady("app", revision: "main@sha1:\(first)")
                    let artifact = try #require(ready.status.artifact)
                    let path = "gitrepository/\(env.namespace)/app/\(first).tar.gz"
                    #expect(artifact.path == path)
                    #expect(artifact.url == "\(GitRepositoryHarness.artifactBaseURL)/\(path)")
                    let file = try #require(env.file(artifact))
                    #expect(try sha256Digest(of: file) == artifact.digest)
                    let size = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int
                    #expect(artifact.size.map(Int.init) == size)
                    #expect(try tarEntries(file) == ["deploy/", "deploy/app.yaml"])
                    #expect(ready.metadata.hasFinalizer(WellKnown.finalizer))
                    #expect(ready.status.observedGeneration == ready.metadata.generation)
                    let readyCondition = ready.status.conditions.find(ConditionType.ready)
                    #expect(readyCondition?.reason == "Succeeded")
                    #expect(readyCondition?.message == "stored artifact for revision 'main@sha1:\(first)'")
                    #expect(ready.status.conditions.isTrue(ConditionType.artifactInStorage))
                    #expect(ready.status.conditions.map(\.type) == ["Ready", "ArtifactInStorage"])

                    let second = try repo.commit("second", files: ["deploy/app.yaml": "v: 2\n"])
                    let moved = try await env.waitReady("app", revision: "main@sha1:\(second)")
                    #expect(moved.status.artifact?.digest != artifact.digest)
                    // The event is recorded just after the status write that waitReady saw.
                    let newArtifacts = try await eventually("two NewArtifact events", timeout: .seconds(10)) {
                        let found = env.events.all.filter { $0.reason == "NewArtifact" && $0.name == "app" }
                        return found.count >= 2 ? found : nil
                    }
                    #expect(newArtifacts.map(\.message) == [
                        "stored artifact for revision 'main@sha1:\(first)': first",
                        "stored artifact for revision 'main@sha1:\(second)': second",
                    ])
                    #expect(newArtifacts.allSatisfy { $0.type == .normal })

                    let third = try repo.commit("third", files: ["deploy/app.yaml": "v: 3\n"])
                    try await env.waitReady("app", revision: "main@sha1:\(third)")
                    let folder = env.storage.appendingPathComponent("gitrepository/\(env.namespace)/app")
                    let archives = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
                    #expect(archives == ["\(second).tar.gz", "\(third).tar.gz", "latest.tar.gz"].sorted())
                }
            }
        }
    }

    @Test("reconciles that find the remote unchanged write nothing to the API server")
    func noChangeWritesNothing() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let hash = try repo.commit("c", files: ["a.yaml": "a: 1\n"])
            try await withGitDaemon(root: root) { daemon in
                try await withGitRepositoryController(tmp: tmp) { env in
                    try await env.create("quiet", spec: try gitSpec(daemon.url(repo.relativePath), interval: "200ms"))
                    let ready = try await env.waitReady("quiet", revision: "main@sha1:\(hash)")
                    let file = try #require(env.file(ready.status.artifact))
                    let modified = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date
                    // Let the interval-driven reconciles run a few times.
                    let before = env.reconcileCount
                    _ = try await eventually("5 more reconciles", timeout: .seconds(20)) {
                        env.reconcileCount >= before + 5 ? true : nil
                    }
                    let after = try await env.get("quiet")
                    #expect(after.metadata.resourceVersion == ready.metadata.resourceVersion)
                    #expect(after.status == ready.status)
                    let modifiedAfter = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date
                    #expect(modifiedAfter == modified, "the archive was not rewritten")
                    #expect(env.events.all.filter { $0.reason == "NewArtifact" }.count == 1)
                }
            }
        }
    }

    @Test("a branch that does not exist gives Ready=False naming the remote's branches; the last artifact is kept")
    func missingBranchKeepsArtifact() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let hash = try repo.commit("c", files: ["a.yaml": "a: 1\n"])
            try repo.checkout(branch: "dev")
            try repo.commit("dev", files: ["b.yaml": "b: 1\n"])
            try await withGitDaemon(root: root) { daemon in
                try await withGitRepositoryController(tmp: tmp) { env in
                    try await env.create("typo", spec: try gitSpec(daemon.url(repo.relativePath)))
                    let ready = try await env.waitReady("typo", revision: "main@sha1:\(hash)")
                    try await env.patch("typo", ["spec": ["ref": ["branch": "mian"]]])
                    let failed = try await env.wait("typo", for: "Ready=False") {
                        $0.status.conditions.isFalse(ConditionType.ready)
                    }
                    let readyCondition = failed.status.conditions.find(ConditionType.ready)
                    #expect(readyCondition?.reason == "GitOperationFailed")
                    #expect(readyCondition?.message == "branch 'mian' not found; remote has: dev, main")
                    let fetchFailed = failed.status.conditions.find(ConditionType.fetchFailed)
                    #expect(fetchFailed?.status == .true && fetchFailed?.reason == "GitOperationFailed")
                    #expect(failed.status.conditions.find(ConditionType.reconciling)?.reason == "ProgressingWithRetry")
                    #expect(failed.status.conditions.isTrue(ConditionType.artifactInStorage))
                    #expect(failed.status.artifact == ready.status.artifact)
                    let file = try #require(env.file(failed.status.artifact))
                    #expect(FileManager.default.fileExists(atPath: file.path))
                    let warnings = try await eventually("a Warning event for typo", timeout: .seconds(10)) {
                        let found = env.events.all.filter { $0.type == .warning && $0.name == "typo" }
                        return found.isEmpty ? nil : found
                    }
                    #expect(warnings.first?.reason == "GitOperationFailed")

                    // Fixing the spec recovers and clears the failure conditions.
                    try await env.patch("typo", ["spec": ["ref": ["branch": "dev"]]])
                    let fixed = try await env.wait("typo", for: "Ready=True on dev") {
                        $0.isReady && $0.status.artifact?.revision.hasPrefix("dev@sha1:") == true
                    }
                    #expect(fixed.status.conditions.map(\.type) == ["Ready", "ArtifactInStorage"])
                }
            }
        }
    }

    @Test("a server that went away gives Ready=False and keeps the artifact; requestedAt is echoed")
    func stoppedServerKeepsArtifact() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let hash = try repo.commit("c", files: ["a.yaml": "a: 1\n"])
            try await withGitRepositoryController(tmp: tmp) { env in
                let ready = try await withGitDaemon(root: root) { daemon in
                    try await env.create("gone", spec: try gitSpec(daemon.url(repo.relativePath)))
                    return try await env.waitReady("gone", revision: "main@sha1:\(hash)")
                }
                try await env.requestReconcile("gone", token: "after-stop")
                let failed = try await env.wait("gone", for: "Ready=False after the server stopped") {
                    $0.status.conditions.isFalse(ConditionType.ready)
                }
                #expect(failed.status.lastHandledReconcileAt == "after-stop")
                #expect(failed.status.conditions.find(ConditionType.fetchFailed)?.reason == "GitOperationFailed")
                #expect(failed.status.conditions.find(ConditionType.ready)?.message.contains("127.0.0.1") == true)
                #expect(failed.status.artifact == ready.status.artifact)
                #expect(FileManager.default.fileExists(atPath: try #require(env.file(failed.status.artifact)).path))
            }
        }
    }

    @Test("suspend stops fetching until resumed; requestedAt lands in lastHandledReconcileAt")
    func suspendAndRequestedAt() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let first = try repo.commit("c1", files: ["a.yaml": "a: 1\n"])
            try await withGitDaemon(root: root) { daemon in
                try await withGitRepositoryController(tmp: tmp) { env in
                    try await env.create("paused", spec: try gitSpec(daemon.url(repo.relativePath)))
                    try await env.waitReady("paused", revision: "main@sha1:\(first)")
                    try await env.requestReconcile("paused", token: "t1")
                    try await env.wait("paused", for: "lastHandledReconcileAt t1") { $0.status.lastHandledReconcileAt == "t1" }

                    let beforeSuspend = env.reconcileCount
                    try await env.patch("paused", ["spec": ["suspend": true]])
                    _ = try await eventually("the suspend is reconciled") { env.reconcileCount > beforeSuspend ? true : nil }
                    let second = try repo.commit("c2", files: ["a.yaml": "a: 2\n"])
                    let beforeRequest = env.reconcileCount
                    try await env.requestReconcile("paused", token: "t2")
                    _ = try await eventually("the request is reconciled") { env.reconcileCount > beforeRequest ? true : nil }
                    let suspended = try await env.get("paused")
                    #expect(suspended.status.artifact?.revision == "main@sha1:\(first)")
                    #expect(suspended.status.lastHandledReconcileAt == "t1")

                    try await env.patch("paused", ["spec": ["suspend": false]])
                    let resumed = try await env.waitReady("paused", revision: "main@sha1:\(second)")
                    #expect(resumed.status.lastHandledReconcileAt == "t2")
                }
            }
        }
    }

    @Test("deleting a GitRepository removes its artifacts, then its finalizer")
    func deletionRemovesArtifacts() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let hash = try repo.commit("c", files: ["a.yaml": "a: 1\n"])
            try await withGitDaemon(root: root) { daemon in
                try await withGitRepositoryController(tmp: tmp) { env in
                    try await env.create("doomed", spec: try gitSpec(daemon.url(repo.relativePath)))
                    try await env.waitReady("doomed", revision: "main@sha1:\(hash)")
                    let folder = env.storage.appendingPathComponent("gitrepository/\(env.namespace)/doomed")
                    #expect(FileManager.default.fileExists(atPath: folder.path))
                    _ = try await env.client.delete(GitRepositoryHarness.resource, namespace: env.namespace, name: "doomed")
                    _ = try await eventually("the object to be gone") { () async throws -> Bool? in
                        do {
                            _ = try await env.get("doomed")
                            return nil
                        } catch let error as KubeClientError where error.isNotFound {
                            return true
                        }
                    }
                    #expect(!FileManager.default.fileExists(atPath: folder.path))
                }
            }
        }
    }

    @Test("tag and semver refs give '<tag>@sha1:' revisions of the tagged commits")
    func tagAndSemver() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let one = try repo.commit("one", files: ["v.yaml": "1\n"])
            try repo.tag("v1.0.0", message: "annotated 1.0.0")
            let onePointOne = try repo.commit("one point one", files: ["v.yaml": "1.1\n"])
            try repo.tag("v1.1.0")
            try repo.commit("two", files: ["v.yaml": "2\n"])
            try repo.tag("v2.0.0")
            try await withGitDaemon(root: root) { daemon in
                try await withGitRepositoryController(tmp: tmp) { env in
                    let url = daemon.url(repo.relativePath)
                    var tagSpec = try gitSpec(url)
                    tagSpec.ref = GitRepositoryRef(tag: "v1.0.0")
                    try await env.create("tagged", spec: tagSpec)
                    var semverSpec = try gitSpec(url)
                    semverSpec.ref = GitRepositoryRef(semver: ">=1.0.0 <2.0.0")
                    try await env.create("ranged", spec: semverSpec)
                    try await env.waitReady("tagged", revision: "v1.0.0@sha1:\(one)")
                    let ranged = try await env.waitReady("ranged", revision: "v1.1.0@sha1:\(onePointOne)")
                    let file = try #require(env.file(ranged.status.artifact))
                    #expect(try TestCommand.run("/usr/bin/tar", ["-xzOf", file.path, "v.yaml"]) == "1.1\n")

                    var badRange = try gitSpec(url)
                    badRange.ref = GitRepositoryRef(semver: "not a range")
                    try await env.create("bad-range", spec: badRange)
                    let stalled = try await env.wait("bad-range", for: "Stalled=True") {
                        $0.status.conditions.isTrue(ConditionType.stalled)
                    }
                    #expect(stalled.status.conditions.isFalse(ConditionType.ready))
                    #expect(stalled.status.conditions.find(ConditionType.reconciling) == nil)
                }
            }
        }
    }

    @Test("spec.ignore replaces the default exclusions and changes the digest of the same revision")
    func ignoreRulesChangeDigest() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let hash = try repo.commit(
                "c", files: ["a.yaml": "a\n", "notes.txt": "n\n", "logo.png": "p", "sub/.sourceignore": "*.md\n", "sub/x.md": "x", "sub/y.yaml": "y\n"])
            try await withGitDaemon(root: root) { daemon in
                try await withGitRepositoryController(tmp: tmp) { env in
                    try await env.create("ignoring", spec: try gitSpec(daemon.url(repo.relativePath)))
                    let plain = try await env.waitReady("ignoring", revision: "main@sha1:\(hash)")
                    let plainEntries = try tarEntries(try #require(env.file(plain.status.artifact)))
                    #expect(plainEntries == ["a.yaml", "notes.txt", "sub/", "sub/.sourceignore", "sub/y.yaml"])
                    #expect(plain.status.observedIgnore == nil)

                    try await env.patch("ignoring", ["spec": ["ignore": "*.txt\n"]])
                    let ignored = try await env.wait("ignoring", for: "a new digest with spec.ignore") {
                        $0.isReady && $0.status.observedIgnore == "*.txt\n"
                    }
                    #expect(ignored.status.artifact?.revision == "main@sha1:\(hash)")
                    #expect(ignored.status.artifact?.digest != plain.status.artifact?.digest)
                    let entries = try tarEntries(try #require(env.file(ignored.status.artifact)))
                    #expect(entries == ["a.yaml", "logo.png", "sub/", "sub/.sourceignore", "sub/y.yaml"])
                }
            }
        }
    }

    @Test("HTTPS with ca.crt from a Secret is trusted; without it Ready=False with AuthenticationFailed")
    func httpsWithCASecret() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            let hash = try repo.commit("c", files: ["a.yaml": "a\n"])
            try await withGitHTTPServers(root: root) { http in
                try await withGitRepositoryController(tmp: tmp) { env in
                    let secrets = GroupVersionResource(group: "", version: "v1", resource: "secrets")
                    let encoded = Data(http.caCertificate.utf8).base64EncodedString()
                    _ = try await env.client.create(
                        secrets, namespace: env.namespace,
                        ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "ca", "namespace": .string(env.namespace)],
                         "data": ["ca.crt": .string(encoded)]])
                    var trusted = try gitSpec(http.httpsURL(repo.relativePath))
                    trusted.secretRef = LocalObjectReference(name: "ca")
                    try await env.create("tls", spec: trusted)
                    try await env.waitReady("tls", revision: "main@sha1:\(hash)")

                    try await env.create("untrusted", spec: try gitSpec(http.httpsURL(repo.relativePath)))
                    let refused = try await env.wait("untrusted", for: "Ready=False") {
                        $0.status.conditions.isFalse(ConditionType.ready)
                    }
                    #expect(refused.status.conditions.find(ConditionType.fetchFailed)?.reason == "AuthenticationFailed")
                    #expect(refused.status.artifact == nil)
                    #expect(refused.status.conditions.find(ConditionType.artifactInStorage) == nil)

                    var missing = try gitSpec(http.httpsURL(repo.relativePath))
                    missing.secretRef = LocalObjectReference(name: "nope")
                    try await env.create("no-secret", spec: missing)
                    let noSecret = try await env.wait("no-secret", for: "Ready=False") {
                        $0.status.conditions.isFalse(ConditionType.ready)
                    }
                    #expect(
                        noSecret.status.conditions.find(ConditionType.ready)?.message
                            == "failed to get secret '\(env.namespace)/nope': not found; create it or fix spec.secretRef")
                }
            }
        }
    }

    @Test("a rejected bearer token gives AuthenticationFailed naming the URL and 401, never the token")
    func rejectedBearerToken() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            try repo.commit("c", files: ["a.yaml": "a\n"])
            try await withGitHTTPServers(root: root) { http in
                try await withGitRepositoryController(tmp: tmp) { env in
                    let secrets = GroupVersionResource(group: "", version: "v1", resource: "secrets")
                    _ = try await env.client.create(
                        secrets, namespace: env.namespace,
                        ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "token", "namespace": .string(env.namespace)],
                         "data": ["bearerToken": .string(Data("wrong-s3cret-token".utf8).base64EncodedString())]])
                    var spec = try gitSpec(http.bearerURL(repo.relativePath))
                    spec.secretRef = LocalObjectReference(name: "token")
                    try await env.create("bearer", spec: spec)
                    let refused = try await env.wait("bearer", for: "Ready=False") {
                        $0.status.conditions.isFalse(ConditionType.ready)
                    }
                    let ready = try #require(refused.status.conditions.find(ConditionType.ready))
                    #expect(ready.reason == "AuthenticationFailed")
                    #expect(ready.message.hasPrefix("authentication failed for \(http.bearerURL(repo.relativePath)): 401"))
                    #expect(!ready.message.contains("wrong-s3cret-token"))
                    #expect(env.events.all.allSatisfy { !$0.message.contains("wrong-s3cret-token") })
                }
            }
        }
    }
}
