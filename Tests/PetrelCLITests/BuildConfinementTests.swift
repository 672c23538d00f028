import Foundation
import PetrelTesting
import Testing

/// S15 of the security review: `petrel build` on an untrusted checkout reads nothing outside its root, not even
/// through a symlinked `kustomization.yaml`, and prints nothing of what such a link points at.
@Suite("petrel build stays inside its root", .enabled(if: haveBinaries, "needs the built petrel binary"))
struct BuildConfinementTests {
    static let canary = "CanaryS15" + String(UInt32.random(in: 1...UInt32.max), radix: 36)

    @Test("a kustomization.yaml symlinked out of the root is refused, in a Git work tree and outside one")
    func symlinkedKustomization() async throws {
        try await withTemporaryDirectory("petrel-s15") { tmp in
            // Something private next to the checkout, in the shape of a kubeconfig (so the YAML parses or fails
            // with its text in the message, as it did).
            let secret = tmp.appendingPathComponent("kubeconfig")
            try "users:\n- name: admin\n  user:\n    token: \(Self.canary)\u{7}\n".write(
                to: secret, atomically: true, encoding: .utf8)
            for inGit in [true, false] {
                let checkout = tmp.appendingPathComponent(inGit ? "repo" : "plain")
                let app = checkout.appendingPathComponent("app")
                try FileManager.default.createDirectory(at: app, withIntermediateDirectories: true)
                if inGit { try TestCommand.run("/usr/bin/git", ["init", "-q", checkout.path]) }
                try FileManager.default.createSymbolicLink(
                    atPath: app.appendingPathComponent("kustomization.yaml").path, withDestinationPath: secret.path)
                let result = try await run(petrelBinary, ["build", app.path])
                #expect(result.status != 0, "\(inGit ? "git" : "plain"): \(result.stdout)")
                #expect(result.stderr.contains("leaves the build root"), "\(result.stderr)")
                #expect(!(result.stdout + result.stderr).contains(Self.canary), "\(result.stdout)\(result.stderr)")
            }
        }
    }

    @Test("outside a Git work tree the build is confined to DIR itself, as the help says")
    func confinedToDirectory() async throws {
        try await withTemporaryDirectory("petrel-s15") { tmp in
            let base = tmp.appendingPathComponent("base")
            let overlay = tmp.appendingPathComponent("overlay")
            try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: overlay, withIntermediateDirectories: true)
            try "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: \(Self.canary)\n".write(
                to: base.appendingPathComponent("cm.yaml"), atomically: true, encoding: .utf8)
            try "resources:\n- cm.yaml\n".write(
                to: base.appendingPathComponent("kustomization.yaml"), atomically: true, encoding: .utf8)
            try "resources:\n- ../base\n".write(
                to: overlay.appendingPathComponent("kustomization.yaml"), atomically: true, encoding: .utf8)
            let outside = try await run(petrelBinary, ["build", overlay.path])
            #expect(outside.status != 0)
            #expect(outside.stderr.contains("leaves the build root"), "\(outside.stderr)")
            // In a Git work tree, the work tree is the root: the overlay reaches its base.
            try TestCommand.run("/usr/bin/git", ["init", "-q", tmp.path])
            let inside = try await run(petrelBinary, ["build", overlay.path])
            #expect(inside.status == 0, "\(inside.stderr)")
            #expect(inside.stdout.contains(Self.canary))
        }
    }
}
