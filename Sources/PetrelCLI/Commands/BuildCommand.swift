import ArgumentParser
import Foundation
import Kustomize

/// `petrel build DIR`: the same stream as `kubectl kustomize DIR`, built in-process by Petrel's engine.
struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a kustomization directory and print the YAML stream, as `kubectl kustomize DIR` does.",
        discussion: """
            The build is confined to DIR: paths and symlinks that leave it are refused, as are remote resources, \
            helm charts and plugins. A directory without a kustomization file is built from every YAML manifest in \
            it, recursively (what Flux does).
            """)

    @Argument(help: "The directory to build.", completion: .directory)
    var directory: String = "."

    func run() throws {
        let url = URL(fileURLWithPath: directory).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("'\(directory)' is not a directory: pass the folder that holds kustomization.yaml")
        }
        let root = Self.buildRoot(for: url)
        let relative = String(url.path.dropFirst(root.path.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let builder = KustomizeBuilder()
        do {
            let clock = ContinuousClock()
            let start = clock.now
            let documents = try builder.build(root: root, path: relative.isEmpty ? "." : relative)
            let text = builder.render(documents)
            // PETREL_BUILD_TIMING=1 reports the in-process build and render time (benchmarks).
            if getenv("PETREL_BUILD_TIMING") != nil {
                FileHandle.standardError.write(Data("build+render: \(clock.now - start)\n".utf8))
            }
            FileHandle.standardOutput.write(Data(text.utf8))
        } catch {
            FileHandle.standardError.write(Data("Error: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The folder a build is confined to: the enclosing Git work tree if there is one (overlays may reach
    /// `../base` inside it, as in a Flux artifact), else the top-level folder DIR is in (e.g. `/home`), which lets
    /// overlays reach their bases as `kubectl kustomize` does.
    static func buildRoot(for directory: URL) -> URL {
        var candidate = directory
        while candidate.path != "/" {
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(".git").path) { return candidate }
            candidate = candidate.deletingLastPathComponent()
        }
        let components = directory.pathComponents
        return components.count > 1 ? URL(fileURLWithPath: "/" + components[1]) : directory
    }
}
