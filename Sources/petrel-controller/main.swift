print("petrel-controller: the manager is not implemented yet")
