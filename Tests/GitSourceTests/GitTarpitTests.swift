import Foundation
import GitSource
import PetrelTesting
import Synchronization
import Testing

/// Review finding S3 and issue 13, point 5: one slow git peer stalls nothing else.
@Suite("Stalled and trickling remotes", .serialized)
struct GitTarpitTests {
    /// Healthy HTTPS fetch times (seconds) while the tarpits hold their connections.
    final class Timings: Sendable {
        let durations = Mutex<[Double]>([])
        func add(_ duration: Duration) { durations.withLock { $0.append(Self.seconds(duration)) } }
        static func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
    }

    /// Tarpit operations still running.
    final class Running: Sendable {
        let count: Atomic<Int>
        init(_ count: Int) { self.count = Atomic(count) }
    }

    static func tarpitURL(_ tarpit: Tarpit) -> String {
        switch (tarpit.flavour, tarpit.tls) {
        case ("http", true): "https://localhost:\(tarpit.port)/repo.git"
        case ("http", false): "http://127.0.0.1:\(tarpit.port)/repo.git"
        case ("ssh", _): "ssh://git@127.0.0.1:\(tarpit.port)/srv/repo.git"
        default: "git://127.0.0.1:\(tarpit.port)/repo.git"
        }
    }

    /// Fetches `url` into a fresh bare repository; returns how long it took.
    static func fetch(_ url: String, credentials: GitCredentials, tmp: URL) async throws -> Duration {
        let start = ContinuousClock.now
        let target = tmp.appendingPathComponent("healthy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: target) }
        _ = try await GitClient().fetch(
            url: url, reference: GitReference(branch: "main"), credentials: credentials, into: target)
        return start.duration(to: .now)
    }

    @Test(
        "a silent or trickling remote fails within its timeout on https, http, git:// and ssh while HTTPS fetches go on"
    )
    func tarpits() async throws {
        try await withTemporaryDirectory { tmp in
            let root = tmp.appendingPathComponent("srv")
            let repo = try GitTestRepository(root: root)
            _ = try repo.commit("c", files: ["a.yaml": "a\n"])
            let pitCA = try makeTestCertificates(in: tmp)
            let tarpits = TarpitMode.allCases.flatMap { mode in
                [
                    Tarpit(mode: mode, flavour: "http", tls: true), Tarpit(mode: mode, flavour: "http"),
                    Tarpit(mode: mode, flavour: "git"), Tarpit(mode: mode, flavour: "ssh"),
                ]
            }
            try await withGitHTTPServers(root: root) { http in
                let healthy = http.httpsURL(repo.relativePath)
                let trusted = GitCredentials(caCertificate: http.caCertificate)
                var baseline: [Double] = []
                for _ in 0..<3 { baseline.append(Timings.seconds(try await Self.fetch(healthy, credentials: trusted, tmp: tmp))) }
                try await withTarpits(
                    tarpits, certificate: tmp.appendingPathComponent("server.crt"),
                    key: tmp.appendingPathComponent("server.key"), in: tmp
                ) { started in
                    let timeout = Duration.seconds(3)
                    let stalled = Running(started.count)
                    let during = Timings()
                    let results = try await withThrowingTaskGroup(of: (Tarpit, GitSourceError?, Duration)?.self) { group in
                        for tarpit in started {
                            group.addTask {
                                defer { stalled.count.subtract(1, ordering: .relaxed) }
                                let start = ContinuousClock.now
                                do {
                                    _ = try await GitClient().listReferences(
                                        url: Self.tarpitURL(tarpit), credentials: GitCredentials(caCertificate: pitCA),
                                        timeout: timeout)
                                    return (tarpit, nil, start.duration(to: .now))
                                } catch let error as GitSourceError {
                                    return (tarpit, error, start.duration(to: .now))
                                }
                            }
                        }
                        group.addTask {
                            // Healthy HTTPS fetches, one after the other, for as long as a tarpit holds a connection.
                            while stalled.count.load(ordering: .relaxed) > 0 {
                                during.add(try await Self.fetch(healthy, credentials: trusted, tmp: tmp))
                            }
                            return nil
                        }
                        var results: [(Tarpit, GitSourceError?, Duration)] = []
                        for try await result in group { if let result { results.append(result) } }
                        return results
                    }
                    for (tarpit, error, elapsed) in results.sorted(by: { $0.0.port < $1.0.port }) {
                        let name = "\(tarpit.mode) \(Self.tarpitURL(tarpit))"
                        #expect(error?.reason == "Timeout", "\(name): \(String(describing: error))")
                        #expect(elapsed < timeout + .seconds(30), "\(name) took \(elapsed)")
                        print("tarpit \(name): failed after \(elapsed) (timeout \(timeout)): \(error?.reason ?? "no error")")
                    }
                    let fetches = during.durations.withLock { $0 }
                    #expect(fetches.count >= 2, "healthy HTTPS fetches during the stall: \(fetches)")
                    print(
                        "healthy HTTPS fetch: before the stall \(baseline.map { String(format: "%.3f", $0) }) s; "
                            + "during it \(fetches.count) fetches, max \(String(format: "%.3f", fetches.max() ?? 0)) s, "
                            + "median \(String(format: "%.3f", fetches.sorted()[fetches.count / 2])) s")
                }
            }
        }
    }
}
