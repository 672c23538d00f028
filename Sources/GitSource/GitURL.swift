/// A parsed Git remote URL: the parts needed for host key checks and error messages.
public struct GitURL: Sendable, Equatable {
    /// `https`, `http`, `ssh` or `git` (scp-like URLs become `ssh`).
    public var scheme: String
    /// The user in the URL, if any.
    public var user: String?
    /// Host name or address, without brackets.
    public var host: String
    /// Explicit port, if any.
    public var port: Int?
    /// The path on the server.
    public var path: String
    /// The URL handed to libgit2.
    public var libgit2URL: String

    /// The port in effect (the scheme's default when none is given).
    public var effectivePort: Int {
        if let port { return port }
        switch scheme {
        case "https": return 443
        case "http": return 80
        case "git": return 9418
        default: return 22
        }
    }

    /// The URL without its user information (a token is often put in the user part), safe for logs and conditions.
    public var redacted: String {
        let portPart = port.map { ":\($0)" } ?? ""
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart)\(portPart)\(path)"
    }

    /// Whether `other` has this URL's scheme, host and port (git's credential scope).
    public func sameOrigin(as other: GitURL) -> Bool {
        scheme == other.scheme && host.lowercased() == other.host.lowercased() && effectivePort == other.effectivePort
    }

    /// Parses `scheme://[user[:password]@]host[:port]/path` or scp-like `[user@]host:path`.
    ///
    /// - Throws: ``GitSourceError/invalidURL(_:)``.
    public init(parsing url: String) throws(GitSourceError) {
        if let range = url.range(of: "://") {
            let scheme = url[..<range.lowerBound].lowercased()
            guard ["https", "http", "ssh", "git"].contains(scheme) else {
                throw .invalidURL("unsupported scheme '\(scheme)'")
            }
            let rest = url[range.upperBound...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            var authority = rest[..<authorityEnd]
            let path = String(rest[authorityEnd...])
            var user: String?
            var hadPassword = false
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    user = String(userInfo[..<colon])
                    hadPassword = true
                } else {
                    user = String(userInfo)
                }
                authority = authority[authority.index(after: at)...]
            }
            var host = String(authority)
            var port: Int?
            if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
                let after = host[host.index(after: close)...]
                if after.hasPrefix(":") { port = Int(after.dropFirst()) }
                host = String(host[host.index(after: host.startIndex)..<close])
            } else if let colon = host.lastIndex(of: ":") {
                guard let parsed = Int(host[host.index(after: colon)...]) else {
                    throw .invalidURL("invalid port in '\(Self.strip(url))'")
                }
                port = parsed
                host = String(host[..<colon])
            }
            guard !host.isEmpty else { throw .invalidURL("missing host in '\(Self.strip(url))'") }
            self.scheme = scheme
            self.user = user?.isEmpty == true ? nil : user
            self.host = host
            self.port = port
            self.path = path
            self.libgit2URL = hadPassword ? Self.strip(url) : url
            return
        }
        // scp-like: [user@]host:path
        guard let colon = url.firstIndex(of: ":"), !url.contains(" ") else {
            throw .invalidURL("'\(url)' is neither scheme://host/path nor user@host:path")
        }
        var authority = url[..<colon]
        let path = String(url[url.index(after: colon)...])
        var user: String?
        if let at = authority.lastIndex(of: "@") {
            user = String(authority[..<at])
            authority = authority[authority.index(after: at)...]
        }
        guard !authority.isEmpty, !path.isEmpty, !authority.contains("/") else {
            throw .invalidURL("'\(url)' is neither scheme://host/path nor user@host:path")
        }
        self.scheme = "ssh"
        self.user = user
        self.host = String(authority)
        self.port = nil
        self.path = path.hasPrefix("/") ? path : "/" + path
        self.libgit2URL = url
    }

    /// Removes a password from `scheme://user:password@host` URLs.
    static func strip(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        let userInfo = rest[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<schemeEnd.upperBound]) + String(userInfo[..<colon]) + String(rest[at...])
    }
}
