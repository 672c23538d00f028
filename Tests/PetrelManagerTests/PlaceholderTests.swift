import PetrelManager
import Testing

@Suite("PetrelManager module")
struct PetrelManagerModuleTests {
    @Test("the module links (real manager tests replace this file)")
    func links() {
        #expect(String(describing: PetrelManagerModule.self) == "PetrelManagerModule")
    }
}
