#ifndef PETREL_TLS_H
#define PETREL_TLS_H

/*
 * A TLS stream for libgit2 built on OpenSSL that can present a client certificate (mutual TLS).
 *
 * Debian's libgit2 1.5 uses mbedTLS and has no way to configure a client certificate, but it lets a program
 * register its own TLS stream (git_stream_register). While enabled, every HTTPS connection libgit2 opens in
 * this process goes through this stream; the configuration is process-wide, so callers serialise HTTPS
 * operations (GitSource holds its TLS lock from enable to disable).
 *
 * Server certificates are verified against `ca_file` (a PEM bundle) and the host name; a failure makes the
 * connection report GIT_ECERTIFICATE, so libgit2's certificate_check callback sees valid = 0.
 */

/* Builds the TLS context and registers the stream. `cert_pem` may hold the certificate followed by its chain.
 * `timeout_seconds` > 0 bounds each socket read and write. Returns 0, or -1 with a libgit2 error set
 * (git_error_last) saying what is wrong with the certificate or key. */
int petrel_tls_stream_enable(const char *ca_file, const char *cert_pem, const char *key_pem, int timeout_seconds);

/* Unregisters the stream (libgit2's own TLS stream is used again) and releases the context. */
void petrel_tls_stream_disable(void);

#endif
