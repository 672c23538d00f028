import Dispatch
import PetrelCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A synchronous entry point: `petrel build DIR` runs on the main thread without starting the concurrency runtime;
/// every other command runs in a task (``PetrelCommand/main()`` exits the process when it is done).
@main
enum PetrelMain {
    static func main() {
        if let code = FastPath.run(Array(CommandLine.arguments.dropFirst())) { exit(code) }
        Task { await PetrelCommand.main() }
        dispatchMain()
    }
}
