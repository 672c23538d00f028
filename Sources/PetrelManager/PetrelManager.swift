/// The `PetrelManager` module. See docs/architecture.md for what it owns.
package enum PetrelManagerModule {}
