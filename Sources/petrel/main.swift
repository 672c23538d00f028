print("petrel: the CLI is not implemented yet")
