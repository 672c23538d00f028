/// The `KubeClient` module. See docs/architecture.md for what it owns.
package enum KubeClientModule {}
