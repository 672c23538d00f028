#include "petrel_streams.h"

#include <git2.h>
#include <git2/sys/stream.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
/* Longest single wait in poll(): an abort or the deadline is noticed within this time even without a wake-up. */
#define SLICE_MS 250
/* Connections one operation may hold open at once (libgit2 uses one or two; submodules reuse the operation). */
#define MAX_SOCKETS 16

struct petrel_operation {
    atomic_int refs;
    atomic_int abort_reason;
    int64_t deadline_ns; /* CLOCK_MONOTONIC; 0: none */
    pthread_mutex_t lock;
    int fds[MAX_SOCKETS];
    int fd_count;
    SSL_CTX *ctx;        /* trusted CAs for every host; NULL: the shared default */
    SSL_CTX *client_ctx; /* the same CAs plus the client certificate, for cert_host:cert_port only */
    char *cert_host;
    char *cert_port;
};

typedef struct {
    git_stream parent;
    /* host, port and fd mirror libgit2 1.5's git_socket_stream, in this order right after `parent`: its SSH
     * transport reads the descriptor of a standard stream from there and hands it to libssh2. Keep them first. */
    char *host;
    char *port;
    int fd;
    petrel_operation *op;
    SSL_CTX *ctx; /* TLS streams only */
    SSL *ssl;
    git_cert_x509 cert;
    unsigned char *der;
} petrel_stream;

static __thread petrel_operation *current_op = NULL;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void set_ssl_error(const char *what) {
    char detail[256] = "unknown error";
    unsigned long code = ERR_get_error();
    if (code != 0) ERR_error_string_n(code, detail, sizeof detail);
    ERR_clear_error();
    char message[512];
    snprintf(message, sizeof message, "%s: %s", what, detail);
    git_error_set_str(GIT_ERROR_SSL, message);
}

static void set_os_error(const char *what, int code) {
    char message[512];
    snprintf(message, sizeof message, "%s: %s", what, strerror(code));
    git_error_set_str(GIT_ERROR_NET, message);
}

/* ---- operations ---- */

petrel_operation *petrel_operation_new(int64_t timeout_ms) {
    petrel_operation *op = calloc(1, sizeof *op);
    if (op == NULL) return NULL;
    atomic_init(&op->refs, 1);
    atomic_init(&op->abort_reason, 0);
    if (timeout_ms > 0) {
        int64_t limit = (INT64_MAX - now_ns()) / 1000000 - 1;
        op->deadline_ns = now_ns() + (timeout_ms < limit ? timeout_ms : limit) * 1000000LL;
    }
    pthread_mutex_init(&op->lock, NULL);
    return op;
}

static void retain(petrel_operation *op) {
    if (op != NULL) atomic_fetch_add(&op->refs, 1);
}

void petrel_operation_release(petrel_operation *op) {
    if (op == NULL || atomic_fetch_sub(&op->refs, 1) != 1) return;
    SSL_CTX_free(op->ctx);
    SSL_CTX_free(op->client_ctx);
    free(op->cert_host);
    free(op->cert_port);
    pthread_mutex_destroy(&op->lock);
    free(op);
}

void petrel_operation_bind(petrel_operation *op) {
    current_op = op;
    if (op == NULL) return;
    /* A write to a connection the peer closed raises SIGPIPE, which would kill the process: OpenSSL and libssh2
     * write without MSG_NOSIGNAL. Blocked on this (dedicated) thread, the write fails with EPIPE instead. */
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, NULL);
}

void petrel_operation_abort(petrel_operation *op, int reason) {
    if (op == NULL) return;
    int expected = 0;
    atomic_compare_exchange_strong(&op->abort_reason, &expected, reason);
    pthread_mutex_lock(&op->lock);
    for (int i = 0; i < op->fd_count; i++) shutdown(op->fds[i], SHUT_RDWR);
    pthread_mutex_unlock(&op->lock);
}

int petrel_operation_abort_reason(petrel_operation *op) { return op == NULL ? 0 : atomic_load(&op->abort_reason); }

/* Records `fd` so that an abort can shut it down. */
static int track(petrel_operation *op, int fd) {
    if (op == NULL) return 0;
    pthread_mutex_lock(&op->lock);
    if (op->fd_count == MAX_SOCKETS) {
        pthread_mutex_unlock(&op->lock);
        git_error_set_str(GIT_ERROR_NET, "too many connections for one git operation");
        return -1;
    }
    op->fds[op->fd_count++] = fd;
    if (atomic_load(&op->abort_reason) != 0) shutdown(fd, SHUT_RDWR);
    pthread_mutex_unlock(&op->lock);
    return 0;
}

/* Forgets and closes `fd`; under the lock, so that an abort never shuts down a descriptor number reused since. */
static void close_fd(petrel_stream *s) {
    if (s->fd < 0) return;
    petrel_operation *op = s->op;
    if (op != NULL) pthread_mutex_lock(&op->lock);
    if (op != NULL) {
        for (int i = 0; i < op->fd_count; i++) {
            if (op->fds[i] == s->fd) {
                op->fds[i] = op->fds[--op->fd_count];
                break;
            }
        }
    }
    close(s->fd);
    s->fd = -1;
    if (op != NULL) pthread_mutex_unlock(&op->lock);
}

/* 0 to go on, with the poll slice in *wait_ms; -1 with a libgit2 error when aborted or past the deadline. */
static int check(petrel_stream *s, int *wait_ms) {
    petrel_operation *op = s->op;
    *wait_ms = SLICE_MS;
    if (op == NULL) return 0;
    if (op->deadline_ns > 0) {
        int64_t left = op->deadline_ns - now_ns();
        if (left <= 0) {
            petrel_operation_abort(op, 1);
        } else if (left / 1000000 < SLICE_MS) {
            *wait_ms = (int)(left / 1000000) + 1;
        }
    }
    int reason = atomic_load(&op->abort_reason);
    if (reason == 0) return 0;
    git_error_set_str(GIT_ERROR_NET, reason == 1 ? "the operation timed out" : "the operation was cancelled");
    return -1;
}

/* Waits until the socket is ready for `events` (or has failed), the deadline passes or the operation is aborted. */
static int wait_fd(petrel_stream *s, short events) {
    for (;;) {
        int wait_ms;
        if (check(s, &wait_ms) < 0) return -1;
        struct pollfd p = {.fd = s->fd, .events = events, .revents = 0};
        int rc = poll(&p, 1, wait_ms);
        if (rc > 0) return 0;
        if (rc < 0 && errno != EINTR) {
            set_os_error("poll failed", errno);
            return -1;
        }
    }
}

/* ---- TLS contexts ---- */

/* A client context trusting the system bundle plus the PEM certificates in `ca_pem` (may be NULL). */
static SSL_CTX *new_ctx(const char *ca_pem) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        set_ssl_error("cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_load_verify_locations(ctx, SYSTEM_BUNDLE, NULL) != 1) {
        ERR_clear_error();
        SSL_CTX_set_default_verify_paths(ctx);
    }
    if (ca_pem == NULL || ca_pem[0] == '\0') return ctx;
    BIO *bio = BIO_new_mem_buf(ca_pem, -1);
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    int added = 0;
    X509 *cert;
    while (bio != NULL && (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(store, cert) == 1) added++;
        X509_free(cert);
    }
    ERR_clear_error(); /* the loop ends on "no start line" */
    BIO_free(bio);
    if (added == 0) {
        git_error_set_str(GIT_ERROR_SSL, "'ca.crt' holds no PEM certificate");
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static SSL_CTX *default_ctx = NULL;
static void make_default_ctx(void) { default_ctx = new_ctx(NULL); }

int petrel_operation_set_tls(petrel_operation *op, const char *ca_pem, const char *cert_pem, const char *key_pem,
                             const char *host, const char *port) {
    if (ca_pem != NULL && ca_pem[0] != '\0') {
        op->ctx = new_ctx(ca_pem);
        if (op->ctx == NULL) return -1;
    }
    if (cert_pem == NULL || key_pem == NULL) return 0;
    SSL_CTX *ctx = new_ctx(ca_pem);
    if (ctx == NULL) return -1;
    BIO *bio = BIO_new_mem_buf(cert_pem, -1);
    X509 *cert = bio != NULL ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL) : NULL;
    if (cert == NULL || SSL_CTX_use_certificate(ctx, cert) != 1) {
        set_ssl_error("'tls.crt' is not a PEM certificate"); /* also when empty */
        X509_free(cert);
        BIO_free(bio);
        SSL_CTX_free(ctx);
        return -1;
    }
    X509_free(cert);
    X509 *extra;
    while ((extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) X509_free(extra);
    }
    ERR_clear_error(); /* the loop ends on "no start line" */
    BIO_free(bio);
    bio = BIO_new_mem_buf(key_pem, -1);
    EVP_PKEY *key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (key == NULL || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
        set_ssl_error("'tls.key' is not an unencrypted PEM private key matching 'tls.crt'");
        EVP_PKEY_free(key);
        SSL_CTX_free(ctx);
        return -1;
    }
    EVP_PKEY_free(key);
    if (SSL_CTX_check_private_key(ctx) != 1) {
        set_ssl_error("'tls.key' does not belong to the certificate in 'tls.crt'");
        SSL_CTX_free(ctx);
        return -1;
    }
    op->client_ctx = ctx;
    op->cert_host = strdup(host != NULL ? host : "");
    op->cert_port = strdup(port != NULL ? port : "443");
    return 0;
}

/* ---- the stream ---- */

static int tls_handshake(petrel_stream *s) {
    s->ssl = SSL_new(s->ctx);
    if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1) {
        set_ssl_error("failed to create the TLS session");
        return -1;
    }
    unsigned char address[16];
    int is_ip = inet_pton(AF_INET, s->host, address) == 1 || inet_pton(AF_INET6, s->host, address) == 1;
    if (!is_ip) SSL_set_tlsext_host_name(s->ssl, s->host);
    X509_VERIFY_PARAM *param = SSL_get0_param(s->ssl);
    if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, s->host) != 1
              : X509_VERIFY_PARAM_set1_host(param, s->host, 0) != 1) {
        set_ssl_error("failed to set the expected host name");
        return -1;
    }
    /* Verification runs during the handshake; its result is checked afterwards so that libgit2 can hand the
     * certificate to the certificate_check callback with valid = 0. */
    SSL_set_verify(s->ssl, SSL_VERIFY_NONE, NULL);
    for (;;) {
        ERR_clear_error();
        int rc = SSL_connect(s->ssl);
        if (rc == 1) break;
        int error = SSL_get_error(s->ssl, rc);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(s, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) < 0) return -1;
            continue;
        }
        int wait_ms;
        if (check(s, &wait_ms) < 0) return -1;
        set_ssl_error("TLS handshake failed (is the client certificate accepted by the server?)");
        return -1;
    }
    long verified = SSL_get_verify_result(s->ssl);
    if (verified != X509_V_OK) {
        char message[512];
        snprintf(message, sizeof message, "the certificate of '%s' is not trusted: %s", s->host,
                 X509_verify_cert_error_string(verified));
        git_error_set_str(GIT_ERROR_SSL, message);
        return GIT_ECERTIFICATE;
    }
    return 0;
}

static int p_connect(git_stream *stream) {
    petrel_stream *s = (petrel_stream *)stream;
    struct addrinfo hints, *results = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(s->host, s->port, &hints, &results);
    if (rc != 0) {
        char message[512];
        snprintf(message, sizeof message, "failed to resolve address for %s: %s", s->host, gai_strerror(rc));
        git_error_set_str(GIT_ERROR_NET, message);
        return -1;
    }
    int last_error = ECONNREFUSED;
    for (struct addrinfo *ai = results; ai != NULL && s->fd < 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) continue;
        if (track(s->op, fd) < 0) {
            close(fd);
            freeaddrinfo(results);
            return -1;
        }
        s->fd = fd;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        if (errno == EINPROGRESS) {
            if (wait_fd(s, POLLOUT) < 0) {
                close_fd(s);
                freeaddrinfo(results);
                return -1; /* aborted or past the deadline: trying other addresses cannot help */
            }
            int error = 0;
            socklen_t length = sizeof error;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0) break;
            last_error = error != 0 ? error : errno;
        } else {
            last_error = errno;
        }
        close_fd(s);
    }
    freeaddrinfo(results);
    if (s->fd < 0) {
        char message[512];
        snprintf(message, sizeof message, "failed to connect to %s:%s: %s", s->host, s->port, strerror(last_error));
        git_error_set_str(GIT_ERROR_NET, message);
        return -1;
    }
    return s->ctx != NULL ? tls_handshake(s) : 0;
}

static int p_certificate(git_cert **out, git_stream *stream) {
    petrel_stream *s = (petrel_stream *)stream;
    X509 *peer = s->ssl != NULL ? SSL_get1_peer_certificate(s->ssl) : NULL;
    if (peer == NULL) {
        git_error_set_str(GIT_ERROR_SSL, "the server did not present a certificate");
        return -1;
    }
    unsigned char *der = NULL;
    int length = i2d_X509(peer, &der);
    X509_free(peer);
    if (length < 0) {
        set_ssl_error("cannot encode the server certificate");
        return -1;
    }
    OPENSSL_free(s->der);
    s->der = der;
    s->cert.parent.cert_type = GIT_CERT_X509;
    s->cert.data = der;
    s->cert.len = (size_t)length;
    *out = &s->cert.parent;
    return 0;
}

static int p_set_proxy(git_stream *stream, const git_proxy_options *options) {
    (void)stream;
    (void)options;
    git_error_set_str(GIT_ERROR_NET, "proxies are not supported");
    return -1;
}

static ssize_t p_read(git_stream *stream, void *data, size_t length) {
    petrel_stream *s = (petrel_stream *)stream;
    int count = length > 0x7fffffff ? 0x7fffffff : (int)length;
    for (;;) {
        int wait_ms;
        if (check(s, &wait_ms) < 0) return -1;
        if (s->ssl != NULL) {
            ERR_clear_error();
            int rc = SSL_read(s->ssl, data, count);
            if (rc > 0) return rc;
            int error = SSL_get_error(s->ssl, rc);
            if (error == SSL_ERROR_ZERO_RETURN) return 0;
            if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
                if (wait_fd(s, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) < 0) return -1;
                continue;
            }
            if (check(s, &wait_ms) < 0) return -1;
            set_ssl_error(error == SSL_ERROR_SYSCALL ? "TLS read failed (connection closed)" : "TLS read failed");
            return -1;
        }
        ssize_t n = recv(s->fd, data, (size_t)count, 0);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_fd(s, POLLIN) < 0) return -1;
            continue;
        }
        if (check(s, &wait_ms) < 0) return -1;
        set_os_error("read failed", errno);
        return -1;
    }
}

static ssize_t p_write(git_stream *stream, const char *data, size_t length, int flags) {
    petrel_stream *s = (petrel_stream *)stream;
    (void)flags;
    int count = length > 0x7fffffff ? 0x7fffffff : (int)length;
    for (;;) {
        int wait_ms;
        if (check(s, &wait_ms) < 0) return -1;
        if (s->ssl != NULL) {
            ERR_clear_error();
            int rc = SSL_write(s->ssl, data, count);
            if (rc > 0) return rc;
            int error = SSL_get_error(s->ssl, rc);
            if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
                if (wait_fd(s, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) < 0) return -1;
                continue;
            }
            if (check(s, &wait_ms) < 0) return -1;
            set_ssl_error("TLS write failed");
            return -1;
        }
        ssize_t n = send(s->fd, data, (size_t)count, MSG_NOSIGNAL);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_fd(s, POLLOUT) < 0) return -1;
            continue;
        }
        if (check(s, &wait_ms) < 0) return -1;
        set_os_error("write failed", errno);
        return -1;
    }
}

static int p_close(git_stream *stream) {
    petrel_stream *s = (petrel_stream *)stream;
    if (s->ssl != NULL && s->fd >= 0) SSL_shutdown(s->ssl); /* non-blocking: sends close_notify if it can */
    close_fd(s);
    return 0;
}

static void p_free(git_stream *stream) {
    petrel_stream *s = (petrel_stream *)stream;
    close_fd(s);
    SSL_free(s->ssl);
    SSL_CTX_free(s->ctx);
    OPENSSL_free(s->der);
    free(s->host);
    free(s->port);
    petrel_operation_release(s->op);
    free(s);
}

static int stream_new(git_stream **out, const char *host, const char *port, int tls) {
    petrel_stream *s = calloc(1, sizeof *s);
    if (s == NULL) {
        git_error_set_str(GIT_ERROR_NOMEMORY, "out of memory");
        return -1;
    }
    s->parent.version = GIT_STREAM_VERSION;
    s->parent.encrypted = tls;
    s->parent.proxy_support = 0;
    s->parent.connect = p_connect;
    s->parent.certificate = tls ? p_certificate : NULL;
    s->parent.set_proxy = p_set_proxy;
    s->parent.read = p_read;
    s->parent.write = p_write;
    s->parent.close = p_close;
    s->parent.free = p_free;
    s->fd = -1;
    s->host = strdup(host != NULL ? host : "");
    s->port = strdup(port != NULL ? port : (tls ? "443" : "80"));
    s->op = current_op;
    retain(s->op);
    if (tls) {
        petrel_operation *op = s->op;
        SSL_CTX *ctx = NULL;
        if (op != NULL && op->client_ctx != NULL && strcmp(op->cert_host, s->host) == 0 &&
            strcmp(op->cert_port, s->port) == 0) {
            ctx = op->client_ctx;
        } else if (op != NULL && op->ctx != NULL) {
            ctx = op->ctx;
        } else {
            pthread_once(&default_once, make_default_ctx);
            ctx = default_ctx;
        }
        if (ctx == NULL) {
            p_free(&s->parent);
            git_error_set_str(GIT_ERROR_SSL, "no TLS context: the CA bundle could not be loaded");
            return -1;
        }
        SSL_CTX_up_ref(ctx);
        s->ctx = ctx;
    }
    *out = &s->parent;
    return 0;
}

static int plain_init(git_stream **out, const char *host, const char *port) { return stream_new(out, host, port, 0); }
static int tls_init(git_stream **out, const char *host, const char *port) { return stream_new(out, host, port, 1); }

static pthread_once_t register_once = PTHREAD_ONCE_INIT;
static int register_result = -1;

static void register_streams(void) {
    git_stream_registration plain;
    memset(&plain, 0, sizeof plain);
    plain.version = GIT_STREAM_VERSION;
    plain.init = plain_init;
    git_stream_registration tls;
    memset(&tls, 0, sizeof tls);
    tls.version = GIT_STREAM_VERSION;
    tls.init = tls_init; /* no wrap: a TLS stream over a proxy's CONNECT is not supported */
    register_result = git_stream_register(GIT_STREAM_STANDARD, &plain) == 0 &&
                              git_stream_register(GIT_STREAM_TLS, &tls) == 0
                          ? 0
                          : -1;
}

int petrel_streams_register(void) {
    pthread_once(&register_once, register_streams);
    return register_result;
}
