// `petrel-gitrepository-bench`: the GitRepository controller against plain git + tar, side by side in one run.
//
// Measures, on a generated repository served by `git daemon` on loopback:
// 1. time from creating a GitRepository to its artifact being downloadable from the ArtifactServer, for a tree
//    of FILES files (default 5,000), against `git clone --depth 1` + `tar czf` of the same tree;
// 2. the mean duration of a no-change reconcile (the remote still at the stored revision; goal < 50 ms);
// 3. the same creation time for a repository with a long history (COMMITS commits, default 3,000), against a
//    shallow and a full `git clone`: libgit2 1.5 cannot fetch shallowly, so Petrel pays for the whole history;
// 4. the process's peak RSS (VmHWM), which includes the in-process local API server.
// Run through `scripts/bench.sh` (release build); never part of `make test`.
import ControllerRuntime
import Foundation
import GitSource
import KubeClient
import KubeCore
import LocalAPIServer
import Logging
import PetrelAPI
import PetrelControllers
import PetrelManager
import PetrelTesting

enum BenchConfig {
    static let fileCount = Int(ProcessInfo.processInfo.environment["FILES"] ?? "") ?? 5_000
    static let commitCount = Int(ProcessInfo.processInfo.environment["COMMITS"] ?? "") ?? 3_000
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    return seconds(start.duration(to: .now))
}

func procStatus(_ key: String) -> String {
    let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = text.split(separator: "\n").first { $0.hasPrefix(key + ":") }
    return line.map { $0.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces) } ?? "?"
}

/// Deterministic pseudo-random hex text, so file contents compress like real configuration, not like zeros.
func filler(_ seed: Int, length: Int) -> String {
    var state = UInt64(truncatingIfNeeded: seed) &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    var text = ""
    text.reserveCapacity(length)
    let digits = Array("0123456789abcdef")
    for _ in 0..<length {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        text.append(digits[Int(state >> 60)])
    }
    return text
}

func manifest(_ index: Int, revision: Int = 0) -> String {
    """
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: cm-\(index)
      labels: {app: bench, revision: "\(revision)"}
    data:
      payload: \(filler(index * 7_919 + revision, length: 600))

    """
}

/// A repository with `count` files in 100 folders, one commit.
func makeWideRepository(root: URL) throws -> GitTestRepository {
    let repo = try GitTestRepository(root: root, name: "wide")
    for index in 0..<BenchConfig.fileCount {
        let url = repo.work.appendingPathComponent(String(format: "apps/d%03d/cm-%05d.yaml", index % 100, index))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try manifest(index).write(to: url, atomically: false, encoding: .utf8)
    }
    try repo.commit("wide tree")
    return repo
}

/// A repository with 500 files and `BenchConfig.commitCount` commits, each rewriting one file (written with fast-import).
func makeLongRepository(root: URL) throws -> GitTestRepository {
    let repo = try GitTestRepository(root: root, name: "long")
    var stream = ""
    func data(_ text: String) { stream += "data \(text.utf8.count)\n\(text)\n" }
    for commit in 0..<BenchConfig.commitCount {
        stream += "commit refs/heads/main\ncommitter Bench <bench@petrel.invalid> \(1_700_000_000 + commit) +0000\n"
        data("commit \(commit)")
        let files = commit == 0 ? Array(0..<500) : [commit % 500]
        for file in files {
            stream += "M 100644 inline apps/cm-\(file).yaml\n"
            data(manifest(file, revision: commit))
        }
    }
    let streamFile = root.deletingLastPathComponent().appendingPathComponent("long.fast-import")
    try stream.write(to: streamFile, atomically: false, encoding: .utf8)
    try TestCommand.run("/bin/sh", ["-c", "git --git-dir='\(repo.bare.path)' fast-import --quiet < '\(streamFile.path)'"])
    try TestCommand.run("/usr/bin/git", ["--git-dir", repo.bare.path, "gc", "-q"])
    return repo
}

/// `git clone` (shallow or full) + `tar czf` of the checkout, as a baseline; returns (clone, clone + tar) seconds.
func baseline(url: String, tmp: URL, shallow: Bool) throws -> (clone: Double, total: Double) {
    let dir = tmp.appendingPathComponent("baseline-\(UUID().uuidString)")
    let start = ContinuousClock.now
    try TestCommand.run("/usr/bin/git", ["clone", "-q"] + (shallow ? ["--depth", "1"] : []) + [url, dir.path])
    let clone = seconds(start.duration(to: .now))
    try TestCommand.run("/usr/bin/tar", ["czf", dir.path + ".tar.gz", "--exclude=.git", "-C", dir.path, "."])
    let total = seconds(start.duration(to: .now))
    try? FileManager.default.removeItem(at: dir)
    return (clone, total)
}

struct Harness: Sendable {
    let client: KubeClient
    let controller: Controller
    let artifactBase: String
    let tmp: URL

    /// Creates a GitRepository and returns the seconds until its artifact was downloaded from the server.
    func timeToServedArtifact(name: String, url: String, interval: String) async throws -> (Double, Artifact) {
        let resource = GitRepository.groupVersionResource
        let object = GitRepository(
            metadata: ObjectMeta(name: name, namespace: "default"),
            spec: GitRepositorySpec(url: url, interval: try GoDuration(parsing: interval), ref: GitRepositoryRef(branch: "main")))
        let start = ContinuousClock.now
        _ = try await client.create(resource, namespace: "default", try object.json())
        let artifact = try await eventually("\(name) Ready", timeout: .seconds(600), poll: .milliseconds(10)) {
            () async throws -> Artifact? in
            let current = try GitRepository(json: try await client.get(resource, namespace: "default", name: name))
            return current.isReady ? current.status.artifact : nil
        }
        try await TestCommand.runDetached("/usr/bin/curl", ["-sf", "-o", tmp.appendingPathComponent("\(name).tar.gz").path, artifact.url])
        return (seconds(start.duration(to: .now)), artifact)
    }

    /// The mean duration of the reconciles that ran during `window` (all no-change when the remote is idle).
    func meanReconcile(during window: Duration) async throws -> (count: Int, mean: Double) {
        let before = controller.metrics.snapshot
        try await Task.sleep(for: window)
        let after = controller.metrics.snapshot
        let count = after.durationCount - before.durationCount
        return (count, count == 0 ? 0 : (after.durationSum - before.durationSum) / Double(count))
    }
}

func runController(
    tmp: URL, _ body: @escaping @Sendable (Harness) async throws -> Void
) async throws {
    let logger = {
        var logger = Logger(label: "petrel.bench")
        logger.logLevel = .warning
        return logger
    }()
    let storage = tmp.appendingPathComponent("storage")
    let quiet = Logger(label: "quiet", factory: { _ in SwiftLogNoOpLogHandler() })
    try await LocalAPIServer.withRunning(logger: quiet) { url in
        let kubeconfig = tmp.appendingPathComponent("kubeconfig").path
        try LocalAPIServer.writeKubeconfig(for: url, to: kubeconfig)
        let crd = BenchConfig.packageRoot.appendingPathComponent("crds/source.petrel.dev_gitrepositories.yaml").path
        try await TestCommand.runDetached("/usr/bin/kubectl", ["--kubeconfig", kubeconfig, "apply", "-f", crd])
        var failure: (any Error)?
        do {
            try await KubeClient.withClient(config: KubeConfig(server: url.absoluteString), logger: logger) { client in
                let (ports, continuation) = AsyncStream<Int>.makeStream(bufferingPolicy: .bufferingNewest(1))
                let server = ArtifactServer(
                    storagePath: storage.path, host: "127.0.0.1", port: 0, logger: quiet,
                    onServerRunning: { continuation.yield($0) })
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await server.run() }
                    var iterator = ports.makeAsyncIterator()
                    guard let port = await iterator.next() else { return }
                    let base = "http://127.0.0.1:\(port)"
                    let informers = InformerFactory(client: client, logger: logger)
                    var options = GitRepositoryControllerOptions(storagePath: storage.path, artifactBaseURL: base)
                    options.minimumInterval = .milliseconds(100)  // the no-change benchmark runs a 100 ms interval
                    let controller = GitRepositoryController.make(
                        client: client, informers: informers, recorder: LoggingEventRecorder(logger: logger),
                        options: options, logger: logger)
                    group.addTask { await informers.run() }
                    group.addTask { await controller.run() }
                    defer { group.cancelAll() }
                    try await body(Harness(client: client, controller: controller, artifactBase: base, tmp: tmp))
                }
            }
        } catch {
            failure = error
        }
        try? await Task.sleep(for: .milliseconds(500))
        if let failure { throw failure }
    }
}

nonisolated func runBenchmark() async throws {
    try await withTemporaryDirectory("petrel-bench") { tmp in
        let root = tmp.appendingPathComponent("srv")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        print("generating repositories: \(BenchConfig.fileCount) files; \(BenchConfig.commitCount) commits …")
        let wide = try makeWideRepository(root: root)
        let long = try makeLongRepository(root: root)
        let rssBefore = procStatus("VmRSS")
        try await withGitDaemon(root: root) { daemon in
            let wideURL = daemon.url(wide.relativePath)
            let longURL = daemon.url(long.relativePath)
            let wideShallow = try baseline(url: wideURL, tmp: tmp, shallow: true)
            let longShallow = try baseline(url: longURL, tmp: tmp, shallow: true)
            let longFull = try baseline(url: longURL, tmp: tmp, shallow: false)
            // Where the time goes, outside the controller: the old path (fetch + checkout, then archive the
            // directory) and the controller's path (bare fetch, then archive the commit from the object database).
            let checkoutDir = tmp.appendingPathComponent("direct-checkout")
            let checkoutStart = ContinuousClock.now
            _ = try await GitClient().checkout(url: wideURL, reference: GitReference(branch: "main"), into: checkoutDir)
            let checkoutSeconds = seconds(checkoutStart.duration(to: .now))
            let directorySeconds = try timed {
                try TarGzArchiver.archive(directory: checkoutDir, to: tmp.appendingPathComponent("direct.tar.gz"))
            }
            let bareDir = tmp.appendingPathComponent("direct-bare")
            let fetchStart = ContinuousClock.now
            let fetched = try await GitClient().fetch(url: wideURL, reference: GitReference(branch: "main"), into: bareDir)
            let fetchSeconds = seconds(fetchStart.duration(to: .now))
            guard case .fetched(let wideCommit) = fetched else { throw GitSourceError.referenceNotFound("the bare fetch found no commit") }
            let treeFile = tmp.appendingPathComponent("tree.tar.gz")
            let treeSeconds = try timed {
                try TreeArchiver.archive(repository: bareDir, commit: wideCommit.hash, to: treeFile)
            }
            var fastSizeCounter = 0
            let fastSeconds = try timed {
                fastSizeCounter = try TreeArchiver.archive(
                    repository: bareDir, commit: wideCommit.hash, to: treeFile, compressionLevel: 1
                ).size
            }
            let fastSize = fastSizeCounter
            try await runController(tmp: tmp) { harness in
                let (wideSeconds, wideArtifact) = try await harness.timeToServedArtifact(
                    name: "wide", url: wideURL, interval: "100ms")
                let idle = try await harness.meanReconcile(during: .seconds(5))
                let (longSeconds, _) = try await harness.timeToServedArtifact(name: "long", url: longURL, interval: "1h")
                func ms(_ value: Double) -> String { String(format: "%.0f ms", value * 1000) }
                print("== GitRepository: new object to served artifact (\(BenchConfig.fileCount) files, artifact \(wideArtifact.size ?? 0) bytes)")
                print("petrel (create → Ready → HTTP GET)      \(ms(wideSeconds))")
                print("git clone --depth 1 + tar czf         \(ms(wideShallow.total)) (clone \(ms(wideShallow.clone)))")
                print(String(format: "ratio petrel / (git + tar)             %.2f", wideSeconds / wideShallow.total))
                print("  measured directly: bare fetch \(ms(fetchSeconds)) + archive from the object database \(ms(treeSeconds))")
                print("  the same archive with gzip level 1: \(ms(fastSeconds)), \(fastSize) bytes")
                print("  (old path: fetch + checkout \(ms(checkoutSeconds)) + archive of the directory \(ms(directorySeconds)))")
                print("== no-change reconcile (interval 100ms, 5 s window)")
                print(String(format: "reconciles %d, mean %.1f ms (goal < 50 ms)", idle.count, idle.mean * 1000))
                print("== long history (\(BenchConfig.commitCount) commits; libgit2 1.5 fetches full history)")
                print("petrel (create → Ready → HTTP GET)      \(ms(longSeconds))")
                print("git clone --depth 1 + tar czf         \(ms(longShallow.total))")
                print("git clone (full) + tar czf            \(ms(longFull.total))")
                print(String(format: "ratio petrel / shallow git              %.2f", longSeconds / longShallow.total))
                print(String(format: "ratio petrel / full git                 %.2f", longSeconds / longFull.total))
            }
        }
        print("== memory (whole process, includes the in-process local API server)")
        print("RSS before the controller started      \(rssBefore)")
        print("peak RSS (VmHWM)                        \(procStatus("VmHWM"))")
    }
}

try await runBenchmark()
