import Dispatch
import Foundation
import KubeCore
import Testing

@testable import Kustomize

/// Builds every fixture under `Fixtures/` with this engine and with `kubectl kustomize`, and compares the
/// results semantically, document by document. Fixtures named `error-*` must fail in both.
@Suite("Conformance with kubectl kustomize")
struct ConformanceTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let kubectl = "/usr/bin/kubectl"

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []).sorted()
    }

    static func buildPath(_ name: String) -> String {
        let overlay = fixtures.appendingPathComponent(name).appendingPathComponent("overlay")
        return FileManager.default.fileExists(atPath: overlay.path) ? "overlay" : "."
    }

    /// The load restrictor a fixture is built with: `LoadRestrictionsNone` (Flux's) for fixtures whose name says
    /// `load-restrictor-none`, else kubectl's default.
    static func restrictor(_ name: String) -> LoadRestrictor {
        name.contains("load-restrictor-none") ? .none : .rootOnly
    }

    /// Runs `kubectl kustomize` with an empty environment; returns stdout, or nil when it fails.
    /// The process runs without blocking the cooperative thread pool (on 2 cores, a blocked pool starves every other
    /// suite running in parallel).
    static func oracle(_ directory: URL, restrictor: LoadRestrictor = .rootOnly) async throws -> (String?, String) {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("kustomize-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["-i", "HOME=\(home.path)", kubectl, "kustomize", directory.path, "--load-restrictor", restrictor.rawValue]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let outputTask = readOffPool(out)
        let errorTask = readOffPool(err)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let data = await outputTask()
        let stderr = String(decoding: await errorTask(), as: UTF8.self)
        return (status == 0 ? String(decoding: data, as: UTF8.self) : nil, stderr)
    }

    @Test(
        "fixture builds like kubectl kustomize",
        .enabled(if: FileManager.default.isExecutableFile(atPath: kubectl), "needs /usr/bin/kubectl"), arguments: cases)
    func fixture(name: String) async throws {
        let root = Self.fixtures.appendingPathComponent(name)
        let path = Self.buildPath(name)
        var options = KustomizeOptions()
        options.loadRestrictor = Self.restrictor(name)
        let (expectedText, oracleError) = try await Self.oracle(
            root.appendingPathComponent(path), restrictor: options.loadRestrictor)
        let result = Result { () throws(KustomizeError) in try KustomizeBuilder(options).build(root: root, path: path) }
        if name.hasPrefix("error-") {
            #expect(expectedText == nil, "kubectl kustomize should fail for \(name)")
            switch result {
            case .success: Issue.record("expected an error for \(name)")
            case .failure(let error):
                // `expected-reason` (not read by kustomize) pins the reason our engine gives.
                let reasonFile = root.appendingPathComponent("expected-reason")
                if let data = FileManager.default.contents(atPath: reasonFile.path) {
                    let expected = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    #expect(error.reason == expected, "\(name): \(error.message)")
                }
            }
            return
        }
        let expectedStream = try #require(expectedText, "kubectl failed: \(oracleError)")
        let expected = try YAMLCodec.parseStream(expectedStream, file: "kubectl")
        let actual = try result.get()
        #expect(actual.count == expected.count, "document count for \(name)")
        for (index, (mine, theirs)) in zip(actual, expected).enumerated() {
            #expect(
                mine.semanticallyEquals(theirs), "document \(index) of \(name):\nours:   \(mine)\nkubectl: \(theirs)")
        }
        // Our rendered YAML must be kubectl's text exactly, and read back to the same documents.
        let rendered = KustomizeBuilder().render(actual)
        #expect(rendered == expectedStream, "rendered YAML of \(name) differs from kubectl's text")
        let reparsed = try YAMLCodec.parseStream(rendered, file: "rendered")
        #expect(reparsed.count == actual.count && zip(reparsed, actual).allSatisfy { $0.semanticallyEquals($1) })
    }
}

/// Starts reading a pipe to its end on a Dispatch thread (never on the cooperative pool, which a blocking read would
/// starve on a 2-core machine) and returns a function that awaits the data.
func readOffPool(_ pipe: Pipe) -> @Sendable () async -> Data {
    let box = DataBox()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        box.data = pipe.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    return {
        await withCheckedContinuation { continuation in
            group.notify(queue: .global()) { continuation.resume(returning: box.data) }
        }
    }
}

/// Data written once by the reading thread before the group is left, read after `notify`.
final class DataBox: @unchecked Sendable {
    var data = Data()
}
