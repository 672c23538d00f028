/// The `PetrelTesting` module. See docs/architecture.md for what it owns.
package enum PetrelTestingModule {}
