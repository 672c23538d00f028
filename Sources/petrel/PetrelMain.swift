import PetrelCLI

@main
enum PetrelMain {
    static func main() async {
        await PetrelCommand.main()
    }
}
