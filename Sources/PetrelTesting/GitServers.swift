import Foundation

/// `git daemon` serving `root` on a free loopback port: `git://127.0.0.1:<port>/<repo>.git`.
package struct GitDaemonServer: Sendable {
    package let port: Int
    package let process: ManagedProcess

    /// `git://127.0.0.1:<port>/<relativePath>`.
    package func url(_ relativePath: String) -> String { "git://127.0.0.1:\(port)/\(relativePath)" }
}

/// Runs `body` with a git daemon over `root`; the daemon is stopped afterwards.
package func withGitDaemon<T>(root: URL, _ body: (GitDaemonServer) async throws -> T) async throws -> T {
    let port = try TestCommand.freePort()
    let process = try ManagedProcess(
        // git-daemon itself, not `git daemon`: the `git` wrapper would run it as a child that outlives a stop.
        name: "git daemon", executable: "/usr/lib/git-core/git-daemon",
        arguments: [
            "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(root.path)",
            "--export-all", "--informative-errors", root.path,
        ],
        logFile: root.deletingLastPathComponent().appendingPathComponent("git-daemon-\(port).log"))
    defer { process.stop() }
    try await TestCommand.waitForPorts([port], of: process)
    return try await body(GitDaemonServer(port: port, process: process))
}

/// nginx + fcgiwrap + `git http-backend` on five loopback ports: HTTP with Basic auth, HTTP with a bearer
/// token, HTTPS (`https://localhost`) with a certificate signed by a throwaway CA, HTTPS with Basic auth, and
/// HTTPS that requires a client certificate from that CA.
package struct GitHTTPServers: Sendable {
    package let basicPort: Int
    package let bearerPort: Int
    package let httpsPort: Int
    package let username: String
    package let password: String
    package let bearerToken: String
    /// PEM of the CA that signed the HTTPS certificate.
    package let caCertificate: String
    /// HTTPS (same certificate) with Basic auth (`username`/`password`).
    package let httpsBasicPort: Int
    /// HTTPS (same certificate) that requires a client certificate signed by the same CA (`ssl_verify_client on`).
    package let mutualTLSPort: Int
    /// A client certificate (PEM) the mutual-TLS server accepts, and its key.
    package let clientCertificate: String
    package let clientKey: String
    /// A client certificate and key from a CA the server does not know.
    package let untrustedClientCertificate: String
    package let untrustedClientKey: String

    package func basicURL(_ path: String) -> String { "http://127.0.0.1:\(basicPort)/git/\(path)" }
    package func bearerURL(_ path: String) -> String { "http://127.0.0.1:\(bearerPort)/git/\(path)" }
    package func httpsURL(_ path: String) -> String { "https://localhost:\(httpsPort)/git/\(path)" }
    package func httpsBasicURL(_ path: String) -> String { "https://localhost:\(httpsBasicPort)/git/\(path)" }
    package func mutualTLSURL(_ path: String) -> String { "https://localhost:\(mutualTLSPort)/git/\(path)" }
}

/// Runs `body` with nginx and fcgiwrap serving the repositories under `root`; both are stopped afterwards.
package func withGitHTTPServers<T>(
    root: URL, username: String = "alice", password: String = "s3cret", bearerToken: String = "t0ken-abc",
    _ body: (GitHTTPServers) async throws -> T
) async throws -> T {
    let dir = root.deletingLastPathComponent().appendingPathComponent("nginx-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("tmp"), withIntermediateDirectories: true)
    try TestCommand.run("/usr/bin/htpasswd", ["-bc", dir.appendingPathComponent("htpasswd").path, username, password])
    let ca = try makeTestCertificates(in: dir)
    let socket = dir.appendingPathComponent("fcgiwrap.sock").path
    let fcgi = try ManagedProcess(
        name: "fcgiwrap", executable: "/usr/sbin/fcgiwrap", arguments: ["-c", "2", "-s", "unix:\(socket)"],
        logFile: dir.appendingPathComponent("fcgiwrap.log"))
    defer { fcgi.stop() }
    let ports = (try TestCommand.freePort(), try TestCommand.freePort(), try TestCommand.freePort())
    let httpsBasicPort = try TestCommand.freePort()
    let mutualTLSPort = try TestCommand.freePort()
    let client = try makeClientCertificate(in: dir, name: "client", caName: "ca")
    let otherCA = dir.appendingPathComponent("other-ca")
    try FileManager.default.createDirectory(at: otherCA, withIntermediateDirectories: true)
    _ = try makeTestCertificates(in: otherCA)
    let untrusted = try makeClientCertificate(in: otherCA, name: "client", caName: "ca")
    let backend = """
        include /etc/nginx/fastcgi_params;
                    fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
                    fastcgi_param GIT_PROJECT_ROOT \(root.path);
                    fastcgi_param GIT_HTTP_EXPORT_ALL "";
                    fastcgi_param PATH_INFO $1;
                    fastcgi_param REMOTE_USER $remote_user;
                    fastcgi_pass unix:\(socket);
        """
    let config = """
        daemon off;
        master_process on;
        worker_processes 1;
        user root root;
        pid \(dir.path)/nginx.pid;
        error_log \(dir.path)/error.log info;
        events { worker_connections 64; }
        http {
            access_log off;
            client_body_temp_path \(dir.path)/tmp/body;
            fastcgi_temp_path \(dir.path)/tmp/fastcgi;
            proxy_temp_path \(dir.path)/tmp/proxy;
            uwsgi_temp_path \(dir.path)/tmp/uwsgi;
            scgi_temp_path \(dir.path)/tmp/scgi;
            server {
                listen 127.0.0.1:\(ports.0);
                location ~ ^/git(/.*)$ {
                    auth_basic "git";
                    auth_basic_user_file \(dir.path)/htpasswd;
                    \(backend)
                }
            }
            server {
                listen 127.0.0.1:\(ports.1);
                location ~ ^/git(/.*)$ {
                    if ($http_authorization != "Bearer \(bearerToken)") { return 401; }
                    \(backend)
                }
            }
            server {
                listen 127.0.0.1:\(ports.2) ssl;
                server_name localhost;
                ssl_certificate \(dir.path)/server.crt;
                ssl_certificate_key \(dir.path)/server.key;
                location ~ ^/git(/.*)$ {
                    \(backend)
                }
            }
            server {
                listen 127.0.0.1:\(httpsBasicPort) ssl;
                server_name localhost;
                ssl_certificate \(dir.path)/server.crt;
                ssl_certificate_key \(dir.path)/server.key;
                location ~ ^/git(/.*)$ {
                    auth_basic "git";
                    auth_basic_user_file \(dir.path)/htpasswd;
                    \(backend)
                }
            }
            server {
                listen 127.0.0.1:\(mutualTLSPort) ssl;
                server_name localhost;
                ssl_certificate \(dir.path)/server.crt;
                ssl_certificate_key \(dir.path)/server.key;
                ssl_client_certificate \(dir.path)/ca.crt;
                ssl_verify_client on;
                location ~ ^/git(/.*)$ {
                    \(backend)
                }
            }
        }
        """
    let configFile = dir.appendingPathComponent("nginx.conf")
    try config.write(to: configFile, atomically: true, encoding: .utf8)
    // fcgiwrap creates its socket asynchronously.
    let deadline = ContinuousClock.now + .seconds(5)
    while !FileManager.default.fileExists(atPath: socket), ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(20))
    }
    let nginx = try ManagedProcess(
        name: "nginx", executable: "/usr/sbin/nginx", arguments: ["-c", configFile.path, "-p", dir.path],
        logFile: dir.appendingPathComponent("nginx.out"))
    defer { nginx.stop() }
    try await TestCommand.waitForPorts([ports.0, ports.1, ports.2, httpsBasicPort, mutualTLSPort], of: nginx)
    return try await body(
        GitHTTPServers(
            basicPort: ports.0, bearerPort: ports.1, httpsPort: ports.2, username: username, password: password,
            bearerToken: bearerToken, caCertificate: ca, httpsBasicPort: httpsBasicPort, mutualTLSPort: mutualTLSPort,
            clientCertificate: client.certificate, clientKey: client.key,
            untrustedClientCertificate: untrusted.certificate, untrustedClientKey: untrusted.key))
}

/// Creates `ca.crt`/`ca.key` and a `server.crt`/`server.key` for DNS name `localhost`; returns the CA PEM.
package func makeTestCertificates(in dir: URL) throws -> String {
    let openssl = "/usr/bin/openssl"
    let path = { (name: String) in dir.appendingPathComponent(name).path }
    try TestCommand.run(
        openssl,
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.crt"),
         "-days", "2", "-subj", "/CN=Petrel Test CA"])
    try TestCommand.run(
        openssl,
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"),
         "-subj", "/CN=localhost"])
    let extensions = """
        subjectAltName=DNS:localhost
        basicConstraints=CA:FALSE
        keyUsage=digitalSignature,keyEncipherment
        extendedKeyUsage=serverAuth
        """
    try extensions.write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
    try TestCommand.run(
        openssl,
        ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
         "-CAcreateserial", "-out", path("server.crt"), "-days", "2", "-extfile", path("server.ext")])
    return try String(contentsOfFile: path("ca.crt"), encoding: .utf8)
}

/// Creates `<name>.crt`/`<name>.key`, a client certificate signed by `<caName>.crt` in `dir`; returns the PEMs.
package func makeClientCertificate(in dir: URL, name: String, caName: String) throws -> (certificate: String, key: String) {
    let path = { (file: String) in dir.appendingPathComponent(file).path }
    try TestCommand.run(
        "/usr/bin/openssl",
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("\(name).key"), "-out", path("\(name).csr"),
         "-subj", "/CN=petrel-\(name)"])
    try "extendedKeyUsage=clientAuth\n".write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
    try TestCommand.run(
        "/usr/bin/openssl",
        ["x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(caName).crt"), "-CAkey", path("\(caName).key"),
         "-CAcreateserial", "-out", path("\(name).crt"), "-days", "2", "-extfile", path("\(name).ext")])
    return (
        try String(contentsOfFile: path("\(name).crt"), encoding: .utf8),
        try String(contentsOfFile: path("\(name).key"), encoding: .utf8)
    )
}

/// sshd on a free loopback port with ed25519 host and client keys.
package struct SSHTestServer: Sendable {
    package let port: Int
    /// The client's private key (OpenSSH format), authorised for the current user.
    package let identity: String
    /// `[127.0.0.1]:<port> ssh-ed25519 …` for the server's real host key.
    package let knownHosts: String
    /// A known_hosts line for the right host but a different key.
    package let wrongKnownHosts: String
    /// The user the tests log in as (the current user).
    package let user: String

    /// `ssh://<user>@127.0.0.1:<port><absolute path>`.
    package func url(_ absolutePath: String) -> String { "ssh://\(user)@127.0.0.1:\(port)\(absolutePath)" }
}

/// Runs `body` with an sshd that accepts only the generated client key; sshd is stopped afterwards.
package func withSSHServer<T>(in parent: URL, _ body: (SSHTestServer) async throws -> T) async throws -> T {
    let dir = parent.appendingPathComponent("sshd-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = { (name: String) in dir.appendingPathComponent(name).path }
    for key in ["host_ed25519", "id_ed25519", "other_ed25519"] {
        try TestCommand.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", key, "-f", path(key)])
    }
    try FileManager.default.copyItem(atPath: path("id_ed25519.pub"), toPath: path("authorized_keys"))
    try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
    let port = try TestCommand.freePort()
    let config = """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(path("host_ed25519"))
        PidFile \(path("sshd.pid"))
        AuthorizedKeysFile \(path("authorized_keys"))
        PermitRootLogin prohibit-password
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        StrictModes no
        UsePAM no
        """
    try config.write(toFile: path("sshd_config"), atomically: true, encoding: .utf8)
    let process = try ManagedProcess(
        name: "sshd", executable: "/usr/sbin/sshd", arguments: ["-D", "-e", "-f", path("sshd_config")],
        logFile: dir.appendingPathComponent("sshd.log"))
    defer { process.stop() }
    try await TestCommand.waitForPorts([port], of: process)
    func knownHostsLine(_ pub: String) throws -> String {
        let fields = try String(contentsOfFile: path(pub), encoding: .utf8).split(separator: " ")
        return "[127.0.0.1]:\(port) \(fields[0]) \(fields[1])\n"
    }
    let user = ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
    return try await body(
        SSHTestServer(
            port: port, identity: try String(contentsOfFile: path("id_ed25519"), encoding: .utf8),
            knownHosts: try knownHostsLine("host_ed25519.pub"), wrongKnownHosts: try knownHostsLine("other_ed25519.pub"),
            user: user))
}
