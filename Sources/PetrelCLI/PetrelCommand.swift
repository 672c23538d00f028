import ArgumentParser
import Foundation
import KubeClient

/// The `petrel` command line: inspect and drive Petrel, and build kustomizations locally.
///
/// Also usable as a kubectl plugin: a symlink named `kubectl-petrel` on the PATH makes `kubectl petrel get ks` work.
/// Exit codes: 0 success, 1 not ready or failed, 2 usage error, 3 not found or the cluster cannot be reached.
/// `petrel diff` (as `flux diff` and `kubectl diff`): 0 no differences, 1 differences, 2 the build or a dry-run
/// failed (or usage error), 3 not found or the cluster cannot be reached.
public struct PetrelCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "petrel",
        abstract: "Petrel: GitOps for Kubernetes.",
        discussion: """
            Exit codes: 0 success, 1 not ready or failed, 2 usage error, 3 not found or cluster unreachable. \
            `petrel diff`: 0 no differences, 1 differences, 2 build or dry-run failed, 3 not found or unreachable. \
            Colours are used only on a terminal (and never with NO_COLOR set).
            """,
        version: PetrelVersion.current,
        subcommands: [
            GetCommand.self, ReconcileCommand.self, SuspendCommand.self, ResumeCommand.self, EventsCommand.self,
            TreeCommand.self, BuildCommand.self, DiffCommand.self, VersionCommand.self,
        ])

    public init() {}

    /// Parses the command line, runs the command and exits with Petrel's exit codes (ArgumentParser's own `main`
    /// would exit 64 on usage errors).
    public static func main() async {
        let code: Int32
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            code = 0
        } catch {
            code = report(error)
        }
        Foundation.exit(code)
    }

    /// Prints an error the way its kind wants and returns the exit code.
    static func report(_ error: any Error) -> Int32 {
        switch error {
        case let error as CLIError:
            Terminal.error(error.message)
            return error.exitCode
        case let error as KubeClientError:
            let translated = CLIError.from(error, what: "request", server: "the API server")
            Terminal.error(translated.message)
            return translated.exitCode
        case let error as ExitCode:
            return error.rawValue
        default:
            let code = exitCode(for: error)
            if code.isSuccess {
                // --help, --version
                print(fullMessage(for: error))
                return 0
            }
            let message = fullMessage(for: error)
            if code.rawValue == ExitCode.validationFailure.rawValue {
                Terminal.writeError(message)
                Terminal.writeError("Run `petrel --help` (or `petrel <command> --help`) for usage.")
                return 2
            }
            Terminal.error(message)
            return code.rawValue
        }
    }
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
