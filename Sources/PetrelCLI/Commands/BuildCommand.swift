import ArgumentParser
import Foundation
import Kustomize

/// `petrel build DIR`: the same stream as `kubectl kustomize DIR`, built in-process by Petrel's engine.
/// `petrel build kustomization NAME --path DIR`: DIR built with the overrides of a Kustomization in the cluster.
struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a kustomization directory and print the YAML stream, as `kubectl kustomize DIR` does.",
        discussion: """
            `petrel build DIR` builds DIR. The build is confined to the Git work tree DIR is in (so an overlay \
            may reach ../base inside it), or to DIR itself outside a work tree: paths and symlinks that leave it \
            are refused, as are remote resources, helm charts and plugins other than kustomize's builtin ones. As \
            in kubectl, a kustomization reads only files in or below its own directory unless --load-restrictor \
            LoadRestrictionsNone is given (Flux's setting). A directory without a kustomization file is built from \
            every YAML manifest in it, recursively (what Flux does). `petrel build kustomization NAME --path DIR` \
            builds DIR with the overrides and postBuild variables of the Kustomization NAME read from the cluster \
            (a directory named like a subcommand is built with `petrel build ./kustomization`).
            """,
        subcommands: [BuildDirectoryCommand.self, BuildKustomizationCommand.self],
        defaultSubcommand: BuildDirectoryCommand.self)

    /// Builds the directory at `url`, writes the stream to stdout (or the error to stderr) and returns the exit code.
    static func build(_ url: URL, loadRestrictor: LoadRestrictor = .rootOnly) -> Int32 {
        let root = buildRoot(for: url)
        let relative = String(url.path.dropFirst(root.path.count)).trimmingCharacters(
            in: CharacterSet(charactersIn: "/"))
        var options = KustomizeOptions()
        options.loadRestrictor = loadRestrictor
        let builder = KustomizeBuilder(options)
        do {
            let clock = ContinuousClock()
            let start = clock.now
            let documents = try builder.build(root: root, path: relative.isEmpty ? "." : relative)
            let text = builder.render(documents)
            // PETREL_BUILD_TIMING=1 reports the in-process build and render time (benchmarks).
            if getenv("PETREL_BUILD_TIMING") != nil {
                FileHandle.standardError.write(Data("build+render: \(clock.now - start)\n".utf8))
            }
            writeAll(STDOUT_FILENO, text)
            return 0
        } catch {
            writeAll(STDERR_FILENO, "Error: \(error.message)\n")
            return 1
        }
    }

    /// Writes the whole text to a file descriptor (no FileHandle, no copy into Data).
    static func writeAll(_ descriptor: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// The folder a build is confined to: the enclosing Git work tree if there is one (overlays may reach
    /// `../base` inside it, as in a Flux artifact), else DIR itself. (A wider default, such as DIR's top-level
    /// folder, would let a symlink in an untrusted checkout read `~/.kube/config`.)
    static func buildRoot(for directory: URL) -> URL {
        var candidate = directory
        while candidate.path != "/" {
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(".git").path) {
                return candidate
            }
            candidate = candidate.deletingLastPathComponent()
        }
        return directory
    }
}

/// `petrel build [dir] DIR`: the default subcommand of `petrel build`.
struct BuildDirectoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dir",
        abstract: "Build a kustomization directory (the default: `petrel build DIR`).",
        discussion: """
            Prints the same stream as `kubectl kustomize DIR`, or the error on stderr with exit code 1 where \
            kustomize fails.
            """)

    @Argument(help: "The directory to build.", completion: .directory)
    var directory: String = "."

    @Option(
        help: """
            LoadRestrictionsRootOnly (kubectl's default): a kustomization reads only files in or below its own \
            directory; LoadRestrictionsNone (what Flux uses): any file inside the build root.
            """)
    var loadRestrictor: LoadRestrictor = .rootOnly

    func run() throws {
        let url = URL(fileURLWithPath: directory).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("'\(directory)' is not a directory: pass the folder that holds kustomization.yaml")
        }
        let code = BuildCommand.build(url, loadRestrictor: loadRestrictor)
        if code != 0 { throw ExitCode(code) }
    }
}

extension LoadRestrictor: ExpressibleByArgument {}
