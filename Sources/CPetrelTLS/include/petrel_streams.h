#ifndef PETREL_STREAMS_H
#define PETREL_STREAMS_H

#include <stdint.h>

/*
 * Petrel's socket and TLS streams for libgit2, registered once per process for every transport.
 *
 * Debian's libgit2 1.5 has no connect or read timeout, keeps its CA locations in a process-wide setting, and its
 * mbedTLS stream cannot present a client certificate. These streams replace libgit2's own (git_stream_register)
 * for plain sockets (http://, git://, ssh://) and TLS (https://, OpenSSL), and take their settings from the
 * *operation* bound to the calling thread: a deadline, the trusted CAs, an optional client certificate, and a
 * list of open sockets that an abort shuts down. Operations never share settings, so they run concurrently.
 *
 * - Connects, reads and writes wait in poll() slices and fail once the deadline has passed or the operation was
 *   aborted, so a silent or trickling peer fails the operation in time.
 * - libgit2's SSH transport takes the descriptor of a standard stream and hands it to libssh2, which does its own
 *   I/O; petrel_operation_abort() shuts that descriptor down, which wakes libssh2 with an error.
 * - Server certificates are verified against the system bundle plus the operation's CA and the host name; a failure
 *   makes the connection report GIT_ECERTIFICATE, so libgit2's certificate_check callback sees valid = 0.
 * - The client certificate is presented only to the operation's own host and port.
 */

typedef struct petrel_operation petrel_operation;

/* Registers the streams with libgit2 (once; later calls do nothing). Returns 0, or -1 with a libgit2 error set. */
int petrel_streams_register(void);

/* A new operation whose sockets fail `timeout_ms` milliseconds from now (<= 0: no deadline). NULL if out of memory. */
petrel_operation *petrel_operation_new(int64_t timeout_ms);

/* Trust `ca_pem` (may be NULL) in addition to the system bundle, and present `cert_pem`/`key_pem` (both or
 * neither) to `host`:`port` only. Returns 0, or -1 with a libgit2 error set saying what is wrong. */
int petrel_operation_set_tls(petrel_operation *op, const char *ca_pem, const char *cert_pem, const char *key_pem,
                             const char *host, const char *port);

/* Binds `op` to the calling thread: streams libgit2 opens on this thread use it. NULL unbinds. Binding also blocks
 * SIGPIPE on the thread (a write to a closed connection then fails with EPIPE): call it on a dedicated thread. */
void petrel_operation_bind(petrel_operation *op);

/* Aborts `op` (any thread): its sockets are shut down and every later read, write or connect fails.
 * `reason`: 1 = the deadline passed, 2 = cancelled. The first reason is kept. */
void petrel_operation_abort(petrel_operation *op, int reason);

/* 0 while running; else the abort reason (also set by a stream that found the deadline passed). */
int petrel_operation_abort_reason(petrel_operation *op);

/* Releases the caller's reference; streams still open keep the operation alive until they are freed. */
void petrel_operation_release(petrel_operation *op);

#endif
