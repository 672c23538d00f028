import Foundation
import KubeCore

/// Produces the `Authorization` header value for each request, caching tokens that come from files or plugins.
///
/// File tokens are re-read after their refresh interval; exec plugin tokens are cached until their
/// `expirationTimestamp` (or until ``invalidate()`` after a 401).
actor CredentialProvider {
    private let authentication: KubeConfig.Authentication
    private var cachedToken: String?
    private var cachedUntil: ContinuousClock.Instant?
    private let clock = ContinuousClock()
    /// How many times the exec plugin ran (for tests and debugging).
    private(set) var execRuns = 0

    init(authentication: KubeConfig.Authentication) {
        self.authentication = authentication
    }

    /// The header value, e.g. `Bearer …`, or `nil` when the configuration has no token.
    func authorizationHeader() async throws(KubeClientError) -> String? {
        switch authentication {
        case .none:
            return nil
        case .bearerToken(let token):
            return "Bearer \(token)"
        case .basic(let username, let password):
            return "Basic \(Data("\(username):\(password)".utf8).base64EncodedString())"
        case .tokenFile(let path, let refreshInterval):
            if let cachedToken, let cachedUntil, clock.now < cachedUntil { return "Bearer \(cachedToken)" }
            guard let data = FileManager.default.contents(atPath: path) else {
                if let cachedToken { return "Bearer \(cachedToken)" }
                throw .configuration("cannot read token file \(path)")
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            cachedToken = token
            cachedUntil = clock.now.advanced(by: refreshInterval)
            return "Bearer \(token)"
        case .exec(let exec):
            if let cachedToken, cachedUntil.map({ clock.now < $0 }) ?? true { return "Bearer \(cachedToken)" }
            execRuns += 1
            let credential = try await ExecCredentialRunner.run(exec)
            cachedToken = credential.token
            if let expiry = credential.expiration {
                // Refresh a little before the credential expires.
                let seconds = expiry.timeIntervalSinceNow - 10
                cachedUntil = clock.now.advanced(by: .milliseconds(Int64(max(0, seconds) * 1000)))
            } else {
                cachedUntil = nil
            }
            return "Bearer \(credential.token)"
        }
    }

    /// Forgets a cached token (after a 401), so the next request re-reads the file or re-runs the plugin.
    /// Returns whether a refreshed credential could differ (i.e. the token is not fixed).
    func invalidate() -> Bool {
        switch authentication {
        case .tokenFile, .exec:
            cachedToken = nil
            cachedUntil = nil
            return true
        default:
            return false
        }
    }
}

/// Runs an exec credential plugin and parses its `ExecCredential`.
enum ExecCredentialRunner {
    struct Credential: Sendable {
        var token: String
        var expiration: Date?
    }

    static func run(_ exec: KubeConfig.ExecConfig) async throws(KubeClientError) -> Credential {
        let result: Result<(Int32, Data), KubeClientError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: runBlocking(exec))
            }
        }
        let (status, output) = try result.get()
        guard status == 0 else {
            throw .credentialPlugin("\(exec.command) exited with status \(status)")
        }
        return try parse(output, command: exec.command)
    }

    static func parse(_ output: Data, command: String) throws(KubeClientError) -> Credential {
        let json: JSONValue
        do { json = try JSONParser.parse(Array(output)) } catch {
            throw .credentialPlugin("\(command) did not print an ExecCredential as JSON: \(error.description)")
        }
        guard json["kind"]?.stringValue == "ExecCredential" else {
            throw .credentialPlugin("\(command) printed an object that is not an ExecCredential")
        }
        guard let token = json[path: ["status", "token"]]?.stringValue, !token.isEmpty else {
            throw .credentialPlugin("\(command) printed an ExecCredential without status.token (client certificates from plugins are not supported)")
        }
        var expiration: Date?
        if let text = json[path: ["status", "expirationTimestamp"]]?.stringValue {
            expiration = parseRFC3339(text)
            if expiration == nil { throw .credentialPlugin("\(command) printed an invalid expirationTimestamp") }
        }
        return Credential(token: token, expiration: expiration)
    }

    static func parseRFC3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    private static func runBlocking(_ exec: KubeConfig.ExecConfig) -> Result<(Int32, Data), KubeClientError> {
        let process = Process()
        if exec.command.contains("/") {
            process.executableURL = URL(fileURLWithPath: exec.command)
            process.arguments = exec.args
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [exec.command] + exec.args
        }
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in exec.env { environment[name] = value }
        environment["KUBERNETES_EXEC_INFO"] =
            #"{"apiVersion":"\#(exec.apiVersion)","kind":"ExecCredential","spec":{"interactive":false}}"#
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            let hint = exec.installHint.map { "; \($0)" } ?? ""
            return .failure(.credentialPlugin("cannot run \(exec.command): \(error.localizedDescription)\(hint)"))
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return .success((process.terminationStatus, data))
    }
}
