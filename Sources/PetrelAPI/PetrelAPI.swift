/// The API groups Petrel serves.
///
/// Petrel's two kinds follow Flux's v1 APIs field for field, under Petrel's own groups, so a Flux manifest migrates
/// by changing its `apiVersion`.
public enum PetrelAPIGroups {
    /// `source.petrel.dev`: where artifacts come from (``GitRepository``).
    public static let source = "source.petrel.dev"
    /// `kustomize.petrel.dev`: what gets built and applied (``Kustomization``).
    public static let kustomize = "kustomize.petrel.dev"
    /// The only served and stored version of both groups.
    public static let version = "v1"
}
