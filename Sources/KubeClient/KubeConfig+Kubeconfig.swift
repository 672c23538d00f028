import Foundation
import KubeCore

extension KubeConfig {
    /// Loads kubeconfig files the way kubectl does.
    ///
    /// - Parameters:
    ///   - paths: the files to merge, in order; default ``kubeconfigPaths(environment:)``. Missing files are skipped
    ///     (as kubectl does for `KUBECONFIG` entries), but at least one must exist.
    ///   - context: a context name overriding `current-context`.
    /// Merging: for clusters, users and contexts the first file that defines a name wins; the first non-empty
    /// `current-context` wins. Relative file paths resolve against the directory of the file that holds them.
    public static func load(
        paths: [String]? = nil, context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(KubeClientError) -> KubeConfig {
        let paths = paths ?? kubeconfigPaths(environment: environment)
        var merged = MergedKubeconfig()
        var found = false
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            found = true
            let text = String(decoding: data, as: UTF8.self)
            let document = try YAMLValue.parse(text)
            let directory = (path as NSString).deletingLastPathComponent
            merged.add(document, directory: directory)
        }
        guard found else {
            throw .configuration("no kubeconfig file found at \(paths.joined(separator: ":")); set KUBECONFIG")
        }
        return try merged.resolve(context: context)
    }

    /// Parses kubeconfig YAML text (a single file); relative paths resolve against `directory`.
    public static func parse(yaml: String, directory: String = ".", context: String? = nil) throws(KubeClientError) -> KubeConfig {
        var merged = MergedKubeconfig()
        merged.add(try YAMLValue.parse(yaml), directory: directory)
        return try merged.resolve(context: context)
    }
}

/// Named entries from several kubeconfig files; the first definition of a name wins.
struct MergedKubeconfig {
    var clusters: [String: (JSONValue, String)] = [:]
    var users: [String: (JSONValue, String)] = [:]
    var contexts: [String: JSONValue] = [:]
    var currentContext: String?

    mutating func add(_ document: JSONValue, directory: String) {
        for entry in document["clusters"]?.arrayValue ?? [] {
            if let name = entry["name"]?.stringValue, clusters[name] == nil { clusters[name] = (entry["cluster"] ?? [:], directory) }
        }
        for entry in document["users"]?.arrayValue ?? [] {
            if let name = entry["name"]?.stringValue, users[name] == nil { users[name] = (entry["user"] ?? [:], directory) }
        }
        for entry in document["contexts"]?.arrayValue ?? [] {
            if let name = entry["name"]?.stringValue, contexts[name] == nil { contexts[name] = entry["context"] ?? [:] }
        }
        if currentContext == nil, let current = document["current-context"]?.stringValue, !current.isEmpty {
            currentContext = current
        }
    }

    func resolve(context override: String?) throws(KubeClientError) -> KubeConfig {
        guard let contextName = override ?? currentContext else {
            throw .configuration("kubeconfig has no current-context; pass a context name")
        }
        guard let context = contexts[contextName] else {
            throw .configuration("context \"\(contextName)\" not found in kubeconfig (have: \(contexts.keys.sorted().joined(separator: ", ")))")
        }
        guard let clusterName = context["cluster"]?.stringValue, let clusterEntry = clusters[clusterName] else {
            throw .configuration("cluster of context \"\(contextName)\" not found in kubeconfig")
        }
        let (cluster, clusterDirectory) = clusterEntry
        guard let server = cluster["server"]?.stringValue, !server.isEmpty else {
            throw .configuration("cluster \"\(clusterName)\" has no server")
        }
        var tls = KubeConfig.TLS()
        tls.insecureSkipVerify = cluster["insecure-skip-tls-verify"]?.boolValue ?? false
        tls.serverName = cluster["tls-server-name"]?.stringValue
        tls.caPEM = try Self.bytes(
            data: cluster["certificate-authority-data"], file: cluster["certificate-authority"], directory: clusterDirectory,
            what: "certificate-authority")

        var authentication = KubeConfig.Authentication.none
        var impersonation: ImpersonationConfig?
        if let userName = context["user"]?.stringValue, !userName.isEmpty {
            guard let userEntry = users[userName] else {
                throw .configuration("user \"\(userName)\" of context \"\(contextName)\" not found in kubeconfig")
            }
            let (user, userDirectory) = userEntry
            tls.clientCertificatePEM = try Self.bytes(
                data: user["client-certificate-data"], file: user["client-certificate"], directory: userDirectory,
                what: "client-certificate")
            tls.clientKeyPEM = try Self.bytes(
                data: user["client-key-data"], file: user["client-key"], directory: userDirectory, what: "client-key")
            if (tls.clientCertificatePEM == nil) != (tls.clientKeyPEM == nil) {
                throw .configuration("user \"\(userName)\" needs both a client certificate and a client key")
            }
            authentication = try Self.authentication(user: user, directory: userDirectory, userName: userName)
            if let name = user["as"]?.stringValue, !name.isEmpty {
                let groups = user["as-groups"]?.arrayValue?.compactMap(\.stringValue) ?? []
                impersonation = ImpersonationConfig(user: name, groups: groups)
            }
        }
        let namespace = context["namespace"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        var config = KubeConfig(
            server: server, namespace: namespace, tls: tls, authentication: authentication, contextName: contextName)
        config.impersonation = impersonation
        return config
    }

    static func authentication(user: JSONValue, directory: String, userName: String) throws(KubeClientError)
        -> KubeConfig.Authentication
    {
        if let token = user["token"]?.stringValue, !token.isEmpty { return .bearerToken(token) }
        if let file = user["tokenFile"]?.stringValue, !file.isEmpty {
            return .tokenFile(path: absolute(file, directory: directory), refreshInterval: .seconds(60))
        }
        if let exec = user["exec"], exec.objectValue != nil {
            guard let command = exec["command"]?.stringValue, !command.isEmpty else {
                throw .configuration("exec plugin of user \"\(userName)\" has no command")
            }
            var env: [String: String] = [:]
            for entry in exec["env"]?.arrayValue ?? [] {
                if let name = entry["name"]?.stringValue { env[name] = entry["value"]?.stringValue ?? "" }
            }
            // kubectl resolves a command containing a slash relative to the kubeconfig's directory.
            let resolved = command.contains("/") ? absolute(command, directory: directory) : command
            return .exec(
                KubeConfig.ExecConfig(
                    command: resolved, args: (exec["args"]?.arrayValue ?? []).compactMap(\.stringValue), env: env,
                    apiVersion: exec["apiVersion"]?.stringValue ?? "client.authentication.k8s.io/v1",
                    installHint: exec["installHint"]?.stringValue))
        }
        if let username = user["username"]?.stringValue, let password = user["password"]?.stringValue {
            return .basic(username: username, password: password)
        }
        if user["auth-provider"] != nil {
            throw .configuration("user \"\(userName)\" uses an auth-provider, which is not supported; use an exec plugin")
        }
        return .none
    }

    static func absolute(_ path: String, directory: String) -> String {
        if path.hasPrefix("/") { return path }
        if path.hasPrefix("~/") { return NSHomeDirectory() + path.dropFirst() }
        return (directory as NSString).appendingPathComponent(path)
    }

    static func bytes(data: JSONValue?, file: JSONValue?, directory: String, what: String) throws(KubeClientError) -> [UInt8]? {
        if let base64 = data?.stringValue, !base64.isEmpty {
            guard let decoded = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else {
                throw .configuration("\(what)-data is not valid base64")
            }
            return Array(decoded)
        }
        if let path = file?.stringValue, !path.isEmpty {
            let full = absolute(path, directory: directory)
            guard let contents = FileManager.default.contents(atPath: full) else {
                throw .configuration("cannot read \(what) file \(full)")
            }
            return Array(contents)
        }
        return nil
    }
}
