import Foundation
import PetrelTesting
import Testing

/// Runs a program to completion without blocking the cooperative thread pool.
func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
    let output = try await TestCommand.output(executable, arguments)
    return (output.status, output.stdout, output.stderr)
}

/// The built `petrel` binary, next to the test bundle.
let petrelBinary: String = {
    let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    return bundleDirectory.appendingPathComponent("petrel").path
}()

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("KustomizeTests/Fixtures")
let kubectl = "/usr/bin/kubectl"
let haveBinaries = FileManager.default.isExecutableFile(atPath: kubectl)
    && FileManager.default.isExecutableFile(atPath: petrelBinary)

@Suite("petrel build", .enabled(if: haveBinaries, "needs /usr/bin/kubectl and the built petrel binary"))
struct BuildCommandTests {
    @Test("prints exactly what kubectl kustomize prints", arguments: ["combined", "nested-overlays", "configmap-generator-files"])
    func sameStream(fixture: String) async throws {
        var directory = fixtures.appendingPathComponent(fixture)
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("overlay").path) {
            directory = directory.appendingPathComponent("overlay")
        }
        let ours = try await run(petrelBinary, ["build", directory.path])
        let oracle = try await run(kubectl, ["kustomize", directory.path])
        #expect(ours.status == 0, "stderr: \(ours.stderr)")
        #expect(oracle.status == 0)
        #expect(!ours.stdout.isEmpty)
        #expect(ours.stdout == oracle.stdout)
    }

    @Test("fails with the error on stderr and a non-zero exit where kustomize fails")
    func failure() async throws {
        let directory = fixtures.appendingPathComponent("error-malformed-yaml")
        let ours = try await run(petrelBinary, ["build", directory.path])
        let oracle = try await run(kubectl, ["kustomize", directory.path])
        #expect(oracle.status != 0)
        #expect(ours.status == 1)
        #expect(ours.stdout.isEmpty)
        #expect(ours.stderr.contains("bad.yaml"), "the error names the file: \(ours.stderr)")
    }

    @Test("a path that is not a directory is refused with advice")
    func notADirectory() async throws {
        let ours = try await run(petrelBinary, ["build", "/nonexistent-petrel-dir"])
        #expect(ours.status != 0)
        #expect(ours.stderr.contains("is not a directory"))
    }
}
