import PetrelManager

await ControllerCommand.runMain()
