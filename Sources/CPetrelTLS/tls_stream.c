#include "petrel_tls.h"

#include <git2.h>
#include <git2/sys/stream.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct {
    git_stream parent;
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    int timeout_seconds;
    char *host;
    char *port;
    git_cert_x509 cert;
    unsigned char *der;
} petrel_stream;

static SSL_CTX *current_ctx = NULL;
static int current_timeout = 0;

static void set_error(const char *what) {
    char detail[256] = "unknown error";
    unsigned long code = ERR_get_error();
    if (code != 0) ERR_error_string_n(code, detail, sizeof detail);
    ERR_clear_error();
    char message[512];
    snprintf(message, sizeof message, "%s: %s", what, detail);
    git_error_set_str(GIT_ERROR_SSL, message);
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
    for (struct addrinfo *ai = results; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            s->fd = fd;
            break;
        }
        close(fd);
    }
    freeaddrinfo(results);
    if (s->fd < 0) {
        char message[512];
        snprintf(message, sizeof message, "failed to connect to %s:%s", s->host, s->port);
        git_error_set_str(GIT_ERROR_NET, message);
        return -1;
    }
    if (s->timeout_seconds > 0) {
        struct timeval tv = {.tv_sec = s->timeout_seconds, .tv_usec = 0};
        setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    s->ssl = SSL_new(s->ctx);
    if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1) {
        set_error("failed to create the TLS session");
        return -1;
    }
    unsigned char address[16];
    int is_ip = inet_pton(AF_INET, s->host, address) == 1 || inet_pton(AF_INET6, s->host, address) == 1;
    if (!is_ip) SSL_set_tlsext_host_name(s->ssl, s->host);
    X509_VERIFY_PARAM *param = SSL_get0_param(s->ssl);
    if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, s->host) != 1 : X509_VERIFY_PARAM_set1_host(param, s->host, 0) != 1) {
        set_error("failed to set the expected host name");
        return -1;
    }
    /* Verification runs during the handshake; its result is checked afterwards so that libgit2 can hand the
     * certificate to the certificate_check callback with valid = 0. */
    SSL_set_verify(s->ssl, SSL_VERIFY_NONE, NULL);
    if (SSL_connect(s->ssl) != 1) {
        set_error("TLS handshake failed (is the client certificate accepted by the server?)");
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

static int p_certificate(git_cert **out, git_stream *stream) {
    petrel_stream *s = (petrel_stream *)stream;
    X509 *peer = SSL_get1_peer_certificate(s->ssl);
    if (peer == NULL) {
        git_error_set_str(GIT_ERROR_SSL, "the server did not present a certificate");
        return -1;
    }
    unsigned char *der = NULL;
    int length = i2d_X509(peer, &der);
    X509_free(peer);
    if (length < 0) {
        set_error("cannot encode the server certificate");
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
    git_error_set_str(GIT_ERROR_NET, "proxies are not supported with client certificates");
    return -1;
}

static ssize_t p_read(git_stream *stream, void *data, size_t length) {
    petrel_stream *s = (petrel_stream *)stream;
    int count = length > 0x7fffffff ? 0x7fffffff : (int)length;
    int rc = SSL_read(s->ssl, data, count);
    if (rc > 0) return rc;
    int error = SSL_get_error(s->ssl, rc);
    if (error == SSL_ERROR_ZERO_RETURN) return 0;
    set_error(error == SSL_ERROR_SYSCALL ? "TLS read failed (connection closed or timed out)" : "TLS read failed");
    return -1;
}

static ssize_t p_write(git_stream *stream, const char *data, size_t length, int flags) {
    petrel_stream *s = (petrel_stream *)stream;
    (void)flags;
    int count = length > 0x7fffffff ? 0x7fffffff : (int)length;
    int rc = SSL_write(s->ssl, data, count);
    if (rc > 0) return rc;
    set_error("TLS write failed");
    return -1;
}

static int p_close(git_stream *stream) {
    petrel_stream *s = (petrel_stream *)stream;
    if (s->ssl != NULL) SSL_shutdown(s->ssl);
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
    return 0;
}

static void p_free(git_stream *stream) {
    petrel_stream *s = (petrel_stream *)stream;
    if (s->fd >= 0) close(s->fd);
    SSL_free(s->ssl);
    SSL_CTX_free(s->ctx);
    OPENSSL_free(s->der);
    free(s->host);
    free(s->port);
    free(s);
}

static int p_init(git_stream **out, const char *host, const char *port) {
    if (current_ctx == NULL) {
        git_error_set_str(GIT_ERROR_SSL, "the client-certificate TLS stream is not configured");
        return -1;
    }
    petrel_stream *s = calloc(1, sizeof *s);
    if (s == NULL) return -1;
    s->parent.version = GIT_STREAM_VERSION;
    s->parent.encrypted = 1;
    s->parent.proxy_support = 0;
    s->parent.connect = p_connect;
    s->parent.certificate = p_certificate;
    s->parent.set_proxy = p_set_proxy;
    s->parent.read = p_read;
    s->parent.write = p_write;
    s->parent.close = p_close;
    s->parent.free = p_free;
    s->fd = -1;
    s->timeout_seconds = current_timeout;
    s->host = strdup(host);
    s->port = strdup(port != NULL ? port : "443");
    SSL_CTX_up_ref(current_ctx);
    s->ctx = current_ctx;
    *out = &s->parent;
    return 0;
}

int petrel_tls_stream_enable(const char *ca_file, const char *cert_pem, const char *key_pem, int timeout_seconds) {
    petrel_tls_stream_disable();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        set_error("cannot create a TLS context");
        return -1;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        set_error("cannot load the CA certificates");
        SSL_CTX_free(ctx);
        return -1;
    }
    BIO *bio = BIO_new_mem_buf(cert_pem, -1);
    X509 *cert = bio != NULL ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL) : NULL;
    if (cert == NULL || SSL_CTX_use_certificate(ctx, cert) != 1) {
        set_error("'tls.crt' is not a PEM certificate");  /* also when empty */
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
        set_error("'tls.key' is not an unencrypted PEM private key matching 'tls.crt'");
        EVP_PKEY_free(key);
        SSL_CTX_free(ctx);
        return -1;
    }
    EVP_PKEY_free(key);
    if (SSL_CTX_check_private_key(ctx) != 1) {
        set_error("'tls.key' does not belong to the certificate in 'tls.crt'");
        SSL_CTX_free(ctx);
        return -1;
    }
    git_stream_registration registration;
    memset(&registration, 0, sizeof registration);
    registration.version = GIT_STREAM_VERSION;
    registration.init = p_init;
    current_ctx = ctx;
    current_timeout = timeout_seconds;
    if (git_stream_register(GIT_STREAM_TLS, &registration) != 0) {
        current_ctx = NULL;
        SSL_CTX_free(ctx);
        return -1;
    }
    return 0;
}

void petrel_tls_stream_disable(void) {
    if (current_ctx == NULL) return;
    git_stream_register(GIT_STREAM_TLS, NULL);
    SSL_CTX_free(current_ctx);
    current_ctx = NULL;
}
