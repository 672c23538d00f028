import Foundation

/// Temporary folders a crash or a kill leaves behind, and their removal (review finding S20).
///
/// Fetches work in `$TMPDIR/petrel-fetch-*` and `$TMPDIR/petrel-git-*`, the Kustomization controller's artifact
/// cache in `$TMPDIR/petrel-artifacts-*`, and archives are written to `.tmp-*` files in the storage before they are
/// renamed into place. Each is removed when its work ends; only a crash leaves one behind, and in the chart `/tmp`
/// and `/data` outlive container restarts. ``removeStale(in:prefixes:olderThan:now:)`` runs at start-up and after
/// every garbage collection; an entry counts as stale once it has not been modified for ``staleAge``, longer than
/// any fetch or archive may run, so work in progress (of this process or another sharing `$TMPDIR`) is never touched.
public enum StaleFiles {
    /// Folder prefixes in `$TMPDIR` that belong to Petrel.
    public static let temporaryPrefixes = ["petrel-fetch-", "petrel-git-", "petrel-artifacts-"]
    /// The prefixes a garbage collection sweeps: the artifact cache folder lives as long as the process, so only the
    /// start-up sweep (before any cache exists) removes old ones.
    public static let fetchPrefixes = ["petrel-fetch-", "petrel-git-"]
    /// How long an entry must be untouched to count as stale: 30 minutes, over the 10-minute cap on a fetch plus as
    /// much again for archiving.
    public static let staleAge: Duration = .seconds(1800)

    /// Removes the entries of `directory` whose names start with one of `prefixes` and that were last modified more
    /// than `age` before `now`. Errors are ignored (another process may remove the same entry).
    ///
    /// - Returns: the names removed.
    @discardableResult
    public static func removeStale(
        in directory: URL = FileManager.default.temporaryDirectory, prefixes: [String] = temporaryPrefixes,
        olderThan age: Duration = staleAge, now: Date = Date()
    ) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let cutoff = now.addingTimeInterval(-Double(age.components.seconds))
        var removed: [String] = []
        for name in names where prefixes.contains(where: { name.hasPrefix($0) }) {
            let url = directory.appendingPathComponent(name)
            guard let modified = modificationDate(url), modified < cutoff else { continue }
            if (try? FileManager.default.removeItem(at: url)) != nil { removed.append(name) }
        }
        return removed
    }

    /// The modification time of `url` itself (not following a symlink).
    static func modificationDate(_ url: URL) -> Date? {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return nil }
        return Date(
            timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1_000_000_000)
    }
}
