import Foundation
import Testing

/// `petrel build DIR` takes a fast path that skips the command-line parser; these check it behaves exactly as the
/// parsed command does.
@Suite("petrel build fast path", .enabled(if: haveBinaries, "needs /usr/bin/kubectl and the built petrel binary"))
struct BuildFastPathTests {
    @Test("build DIR (fast path) and build dir DIR (parsed) print the same stream and exit codes")
    func sameAsParsed() async throws {
        for fixture in ["combined", "error-malformed-yaml"] {
            var directory = fixtures.appendingPathComponent(fixture)
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("overlay").path) {
                directory = directory.appendingPathComponent("overlay")
            }
            let fast = try await run(petrelBinary, ["build", directory.path])
            let parsed = try await run(petrelBinary, ["build", "dir", directory.path])
            #expect(fast.status == parsed.status, "\(fixture)")
            #expect(fast.stdout == parsed.stdout, "\(fixture)")
            #expect(fast.stderr == parsed.stderr, "\(fixture)")
        }
    }

    @Test("build kustomization without NAME or --path is a usage error (exit 2), not a directory named kustomization")
    func kustomizationWordIsTheSubcommand() async throws {
        let noName = try await run(petrelBinary, ["build", "kustomization"])
        #expect(noName.status == 2)
        #expect(noName.stderr.contains("<name>"), "\(noName.stderr)")
        let noPath = try await run(petrelBinary, ["build", "ks", "demo"])
        #expect(noPath.status == 2)
        #expect(noPath.stderr.contains("--path"), "\(noPath.stderr)")
    }
}
