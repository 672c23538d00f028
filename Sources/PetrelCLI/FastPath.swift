import Foundation

/// `petrel build DIR` without the command-line framework: the plain local build is what scripts and CI run in a
/// loop, and parsing it through ArgumentParser (reflection over every command type, protocol-conformance look-ups
/// across the whole binary) and starting the concurrency runtime cost more than a small build itself.
public enum FastPath {
    /// Words that make `petrel build WORD …` the Kustomization form rather than a directory.
    static let buildSubcommands: Set<String> = ["kustomization", "kustomizations", "ks", "dir", "help"]

    /// Runs `arguments` (without the program name) when it is exactly `build DIR` with DIR an existing directory,
    /// returning the exit code; `nil` for anything else (help, flags, errors), which the full parser handles with
    /// the same output as ever.
    public static func run(_ arguments: [String]) -> Int32? {
        guard arguments.count == 2, arguments[0] == "build" else { return nil }
        let directory = arguments[1]
        guard !directory.isEmpty, !directory.hasPrefix("-"), !buildSubcommands.contains(directory) else { return nil }
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
        return BuildCommand.build(URL(fileURLWithPath: directory).standardizedFileURL)
    }
}
