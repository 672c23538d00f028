import Crypto
import Foundation
import NIOSSL

extension LocalAPIServer {
    /// HTTPS settings: the serving certificate and, optionally, the CA that client certificates must chain to.
    public struct TLSSettings: Sendable {
        /// The serving certificate followed by any intermediates, PEM encoded.
        public var certificateChainPEM: String
        /// The serving certificate's private key, PEM encoded.
        public var privateKeyPEM: String
        /// Client certificates signed by this CA (PEM) authenticate as their common name, in their organizations'
        /// groups (kube-apiserver's `--client-ca-file`). Nil: client certificates are not requested.
        public var clientCAPEM: String?

        public init(certificateChainPEM: String, privateKeyPEM: String, clientCAPEM: String? = nil) {
            self.certificateChainPEM = certificateChainPEM
            self.privateKeyPEM = privateKeyPEM
            self.clientCAPEM = clientCAPEM
        }

        /// The NIO server configuration; client certificates are optional but verified when presented.
        func serverConfiguration() throws -> TLSConfiguration {
            do {
                let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificateChainPEM.utf8))
                let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
                var configuration = TLSConfiguration.makeServerConfiguration(
                    certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
                if let clientCAPEM {
                    let roots = try NIOSSLCertificate.fromPEMBytes(Array(clientCAPEM.utf8))
                    configuration.trustRoots = .certificates(roots)
                    configuration.certificateVerification = .optionalVerification
                }
                return configuration
            } catch {
                throw LocalAPIServerError.tlsSetupFailed("invalid serving certificate, key or client CA: \(error)")
            }
        }
    }

    /// A bearer token's identity, as a line of kube-apiserver's `--token-auth-file` names it.
    public struct TokenUser: Sendable, Hashable {
        /// The user name.
        public var name: String
        /// The user's uid.
        public var uid: String
        /// The groups the user is in (`system:authenticated` is added when authenticating).
        public var groups: [String]

        public init(name: String, uid: String, groups: [String] = []) {
            self.name = name
            self.uid = uid
            self.groups = groups
        }
    }

    /// Who may talk to the server. Without it (the default) every request acts as the local administrator.
    public struct Authentication: Sendable {
        /// Bearer tokens and their users.
        public var tokens: [String: TokenUser]

        public init(tokens: [String: TokenUser]) {
            self.tokens = tokens
        }

        /// A random 32-byte bearer token, base64url without padding.
        public static func generateToken() -> String {
            let key = SymmetricKey(size: .bits256)
            let bytes = key.withUnsafeBytes { Data($0) }
            return bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }

        /// Parses kube-apiserver's token file: one `token,user,uid[,"group1,group2"]` CSV record a line; blank
        /// lines are skipped.
        ///
        /// - Returns: the tokens in file order and their users.
        /// - Throws: ``LocalAPIServerError/tokenFileInvalid(line:message:)`` for a record with fewer than three
        ///   fields, an empty token or user, an unterminated quote or a duplicate token.
        public static func parseTokenFile(_ text: String) throws -> [(token: String, user: TokenUser)] {
            var result: [(token: String, user: TokenUser)] = []
            var seen: Set<String> = []
            for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
                if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
                guard let fields = csvFields(line) else {
                    throw LocalAPIServerError.tokenFileInvalid(line: index + 1, message: "unterminated quoted field")
                }
                guard fields.count >= 3 else {
                    throw LocalAPIServerError.tokenFileInvalid(
                        line: index + 1, message: "a record needs at least 3 columns: token,user,uid")
                }
                let token = fields[0].trimmingCharacters(in: .whitespaces)
                guard !token.isEmpty, !fields[1].isEmpty else {
                    throw LocalAPIServerError.tokenFileInvalid(line: index + 1, message: "empty token or user name")
                }
                guard seen.insert(token).inserted else {
                    throw LocalAPIServerError.tokenFileInvalid(line: index + 1, message: "duplicate token")
                }
                let groups =
                    fields.count > 3
                    ? fields[3].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                        !$0.isEmpty
                    } : []
                result.append((token, TokenUser(name: fields[1], uid: fields[2], groups: groups)))
            }
            return result
        }

        /// Splits one CSV record (RFC 4180 quoting); nil for an unterminated quote.
        private static func csvFields(_ line: Substring) -> [String]? {
            var fields: [String] = []
            var current = ""
            var inQuotes = false
            var index = line.startIndex
            while index < line.endIndex {
                let character = line[index]
                if inQuotes {
                    if character == "\"" {
                        let next = line.index(after: index)
                        if next < line.endIndex, line[next] == "\"" {
                            current.append("\"")
                            index = next
                        } else {
                            inQuotes = false
                        }
                    } else {
                        current.append(character)
                    }
                } else if character == "\"" {
                    inQuotes = true
                } else if character == "," {
                    fields.append(current)
                    current = ""
                } else {
                    current.append(character)
                }
                index = line.index(after: index)
            }
            if inQuotes { return nil }
            fields.append(current)
            return fields
        }
    }

    /// Everything `petrel-apiserver --tls` generates at start-up: a CA, a serving certificate signed by it (also
    /// trusted for client certificates), and an administrator's bearer token.
    public struct GeneratedTLS: Sendable {
        /// The CA; it can issue client certificates that the server accepts.
        public let authority: CertificateAuthority
        /// The server settings (serving certificate, client CA = ``authority``).
        public let tls: TLSSettings
        /// The generated administrator token.
        public let token: String
        /// The token's user: `petrel-admin` in `system:masters`.
        public let user: TokenUser

        /// Generates the CA, a serving certificate for `hosts` and a token.
        ///
        /// - Throws: ``LocalAPIServerError/tlsSetupFailed(_:)``.
        public init(hosts: [String] = ["127.0.0.1", "::1", "localhost"]) throws {
            authority = try CertificateAuthority()
            let serving = try authority.issueServingCertificate(hosts: hosts)
            tls = TLSSettings(
                certificateChainPEM: serving.certificatePEM, privateKeyPEM: serving.privateKeyPEM,
                clientCAPEM: authority.certificatePEM)
            token = Authentication.generateToken()
            user = TokenUser(name: "petrel-admin", uid: "petrel-admin", groups: ["system:masters"])
        }
    }
}
