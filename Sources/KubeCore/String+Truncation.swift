extension String {
    /// The string cut to at most `limit` UTF-8 bytes, `marker` included, on a `Character` boundary (never inside a
    /// multi-byte character or a grapheme cluster); the string itself when it fits.
    ///
    /// A byte bound also bounds what Kubernetes counts for a schema's `maxLength` (Unicode scalars), since every
    /// scalar takes at least one byte.
    /// - Parameters:
    ///   - limit: the most UTF-8 bytes of the result. A limit smaller than the marker gives a prefix of the marker.
    ///   - marker: appended when the string is cut. Default `...`.
    package func truncated(toUTF8Bytes limit: Int, marker: String = "...") -> String {
        guard utf8.count > limit else { return self }
        let budget = limit - marker.utf8.count
        guard budget >= 0 else { return String(decoding: marker.utf8.prefix(max(0, limit)), as: UTF8.self) }
        var result = ""
        var bytes = 0
        for character in self {
            let size = character.utf8.count
            if bytes + size > budget { break }
            result.append(character)
            bytes += size
        }
        return result + marker
    }
}
