import ArgumentParser

/// The `petrel` command line: inspect and drive Petrel, and build kustomizations locally.
public struct PetrelCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "petrel",
        abstract: "Petrel: GitOps for Kubernetes.",
        version: PetrelVersion.current,
        subcommands: [BuildCommand.self, VersionCommand.self])

    public init() {}
}

/// The version the binaries report.
public enum PetrelVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0-dev"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() {
        print("petrel \(PetrelVersion.current)")
    }
}
