import Crypto
import Foundation
import SwiftASN1
import X509

/// A throw-away certificate authority for `petrel-apiserver --tls`: it signs the server's serving certificate and,
/// for tests, client certificates whose common name is the user and whose organizations are the groups (as
/// kube-apiserver reads them).
///
/// Keys are ECDSA P-256; certificates are valid from an hour ago for one year.
public struct CertificateAuthority: Sendable {
    /// A PEM certificate and its PEM (PKCS#8) private key.
    public struct KeyPair: Sendable {
        /// The certificate, PEM encoded.
        public var certificatePEM: String
        /// Its private key, PEM encoded (PKCS#8).
        public var privateKeyPEM: String
    }

    private let certificate: Certificate
    private let key: P256.Signing.PrivateKey

    /// The CA certificate, PEM encoded: what clients trust (`certificate-authority-data`).
    public let certificatePEM: String

    /// Creates a new self-signed CA named `commonName`.
    ///
    /// - Throws: ``LocalAPIServerError/tlsSetupFailed(_:)`` if the certificate cannot be built.
    public init(commonName: String = "petrel-local-ca") throws {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        do {
            let name = try DistinguishedName { CommonName(commonName) }
            let (notBefore, notAfter) = Self.validity()
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: notBefore, notValidAfter: notAfter, issuer: name, subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: publicKey)
                },
                issuerPrivateKey: Certificate.PrivateKey(key))
            self.certificate = certificate
            self.key = key
            certificatePEM = try certificate.serializeAsPEM().pemString
        } catch {
            throw LocalAPIServerError.tlsSetupFailed("cannot create the certificate authority: \(error)")
        }
    }

    /// Issues a serving certificate for `hosts`: IP addresses become IP subject alternative names, anything else
    /// a DNS name.
    ///
    /// - Throws: ``LocalAPIServerError/tlsSetupFailed(_:)``.
    public func issueServingCertificate(hosts: [String] = ["127.0.0.1", "::1", "localhost"]) throws -> KeyPair {
        var names: [GeneralName] = []
        for host in hosts where !host.isEmpty {
            if let bytes = Self.ipAddressBytes(host) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
            } else {
                names.append(.dnsName(host))
            }
        }
        return try issue(commonName: hosts.first ?? "localhost", organizations: [], usage: .serverAuth, names: names)
    }

    /// Issues a client certificate for `user` in `groups` (common name and organizations, as kube-apiserver's
    /// x509 authenticator reads them).
    ///
    /// - Throws: ``LocalAPIServerError/tlsSetupFailed(_:)``.
    public func issueClientCertificate(user: String, groups: [String] = []) throws -> KeyPair {
        try issue(commonName: user, organizations: groups, usage: .clientAuth, names: [])
    }

    private func issue(
        commonName: String, organizations: [String], usage: ExtendedKeyUsage.Usage, names: [GeneralName]
    ) throws -> KeyPair {
        let leafKey = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(leafKey.publicKey)
        do {
            var attributes: [RelativeDistinguishedName] = organizations.map {
                RelativeDistinguishedName(.init(type: .RDNAttributeType.organizationName, utf8String: $0))
            }
            attributes.append(
                RelativeDistinguishedName(.init(type: .RDNAttributeType.commonName, utf8String: commonName)))
            let subject = DistinguishedName(attributes)
            let authorityKeyID = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
            let (notBefore, notAfter) = Self.validity()
            let leaf = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: notBefore, notValidAfter: notAfter, issuer: certificate.subject, subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([usage])
                    SubjectKeyIdentifier(hash: publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: authorityKeyID)
                    if !names.isEmpty { SubjectAlternativeNames(names) }
                },
                issuerPrivateKey: Certificate.PrivateKey(key))
            return KeyPair(
                certificatePEM: try leaf.serializeAsPEM().pemString, privateKeyPEM: leafKey.pemRepresentation)
        } catch {
            throw LocalAPIServerError.tlsSetupFailed("cannot issue a certificate for \(commonName): \(error)")
        }
    }

    private static func validity() -> (Date, Date) {
        let now = Date()
        return (now.addingTimeInterval(-3600), now.addingTimeInterval(365 * 24 * 3600))
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 literal, or nil for a host name.
    static func ipAddressBytes(_ host: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

/// The user named by a verified client certificate: common name and organizations.
struct CertificateIdentity: Sendable, Equatable {
    var user: String
    var groups: [String]

    /// Reads the subject of a DER certificate; nil when it has no common name.
    init?(derBytes: [UInt8]) {
        guard let certificate = try? Certificate(derEncoded: derBytes) else { return nil }
        var user: String?
        var groups: [String] = []
        for rdn in certificate.subject {
            for attribute in rdn {
                guard let text = String(attribute.value) else { continue }
                if attribute.type == .RDNAttributeType.commonName { user = text }
                if attribute.type == .RDNAttributeType.organizationName { groups.append(text) }
            }
        }
        guard let user, !user.isEmpty else { return nil }
        self.user = user
        self.groups = groups
    }
}
