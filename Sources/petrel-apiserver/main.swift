print("petrel-apiserver: not implemented yet")
