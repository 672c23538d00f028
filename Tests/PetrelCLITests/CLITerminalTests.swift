import Foundation
import Testing

@Suite(
    "petrel on a terminal and as a kubectl plugin",
    .enabled(
        if: haveBinaries && FileManager.default.isExecutableFile(atPath: "/usr/bin/script"),
        "needs /usr/bin/kubectl, /usr/bin/script and the built petrel binary"))
struct CLITerminalTests {
    @Test("on a TTY the READY column is coloured; NO_COLOR turns colours off")
    func coloursOnlyOnTerminal() async throws {
        try await CLICluster.with { cluster in
            // `script` runs the command with a pseudo-terminal as stdout.
            let command = "\(petrelBinary) get ks"
            let tty = try await CLICluster.run(
                "/usr/bin/script", ["-qec", command, "/dev/null"], environment: cluster.environment(),
                in: cluster.directory)
            #expect(tty.status == 0, "\(tty.stdout)")
            #expect(tty.stdout.contains("\u{1B}[33mUnknown\u{1B}[0m"), "\(tty.stdout)")

            var environment = cluster.environment()
            environment["NO_COLOR"] = "1"
            let plain = try await CLICluster.run(
                "/usr/bin/script", ["-qec", command, "/dev/null"], environment: environment, in: cluster.directory)
            #expect(plain.status == 0)
            #expect(plain.stdout.contains("Unknown"))
            #expect(!hasEscapeCodes(plain.stdout))
        }
    }

    @Test("a symlink named kubectl-petrel on the PATH makes `kubectl petrel` work")
    func kubectlPlugin() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("petrel-plugin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createSymbolicLink(
            atPath: directory.appendingPathComponent("kubectl-petrel").path, withDestinationPath: petrelBinary)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = directory.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["HOME"] = directory.path
        let output = try await CLICluster.run(kubectl, ["petrel", "version"], environment: environment, in: directory)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout == "petrel 0.1.0-dev\n")
    }
}
