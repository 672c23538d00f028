/// The `PetrelCLI` module. See docs/architecture.md for what it owns.
package enum PetrelCLIModule {}
