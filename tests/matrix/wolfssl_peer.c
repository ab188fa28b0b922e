/* A wolfSSL peer for the interop matrix (ci/interop): wolfSSL's own TLS stack (Debian's
 * libwolfssl 5.5.4: TLS 1.2 and 1.3, no TLS_RSA_* suites since it is built without
 * WOLFSSL_STATIC_RSA), one connection over loopback, both roles. Debian ships no wolfSSL
 * example programs, so this is the peer:
 *
 *   wolfssl_peer server --cert PEM --key PEM --version 1.2|1.3 --suite NAME [--group NAME]
 *       listens on 127.0.0.1 with a kernel-chosen port, prints "listening PORT", takes one
 *       connection, echoes every byte until the client's close_notify, answers it with its
 *       own, prints the session and exits 0 (1 on any failure).
 *   wolfssl_peer client --port N --ca PEM --version 1.2|1.3 --suite NAME [--group NAME]
 *                       [--bytes N]
 *       connects with SNI "localhost" (the certificate is verified for that name), sends N
 *       bytes (default 32768) 4 KiB at a time, each chunk read back and compared, then sends
 *       close_notify and waits for the server's; exits 0 only if all of it happened.
 *
 * NAME is wolfSSL's cipher list syntax (ECDHE-RSA-AES128-GCM-SHA256, TLS13-AES128-GCM-SHA256);
 * groups x25519, secp256r1, secp384r1 (TLS 1.3: the only group offered, and the client's
 * only key share). The whole run is bounded by alarm(). Output: "session: version=...
 * suite=...", "echo: N bytes identical", "close: close_notify received" or "error: ...". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "peer_common.h"

static int fail(WOLFSSL *ssl, const char *what, int ret)
{
    char buf[WOLFSSL_MAX_ERROR_SZ];
    int err = ssl ? wolfSSL_get_error(ssl, ret) : ret;
    wolfSSL_ERR_error_string_n((unsigned long)err, buf, sizeof(buf));
    printf("error: %s: %d %s\n", what, err, buf);
    fflush(stdout);
    return 1;
}

static int write_all(WOLFSSL *ssl, const unsigned char *p, size_t n)
{
    while (n > 0) {
        int r = wolfSSL_write(ssl, p, (int)n);
        if (r <= 0)
            return fail(ssl, "write", r);
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int group_id(const char *name)
{
    if (strcmp(name, "x25519") == 0)
        return WOLFSSL_ECC_X25519;
    if (strcmp(name, "secp256r1") == 0)
        return WOLFSSL_ECC_SECP256R1;
    if (strcmp(name, "secp384r1") == 0)
        return WOLFSSL_ECC_SECP384R1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0)) {
        fprintf(stderr, "usage: wolfssl_peer server|client [options] (see the source)\n");
        return 2;
    }
    int server = strcmp(argv[1], "server") == 0;
    int v13 = strcmp(peer_arg(argc, argv, "--version", "1.3"), "1.3") == 0;
    const char *group = peer_arg(argc, argv, "--group", NULL);
    int gid = group ? group_id(group) : 0;
    alarm(30);
    if (group && !gid) {
        printf("error: unknown group %s\n", group);
        return 1;
    }

    wolfSSL_Init();
    WOLFSSL_METHOD *method;
    if (server)
        method = v13 ? wolfTLSv1_3_server_method() : wolfTLSv1_2_server_method();
    else
        method = v13 ? wolfTLSv1_3_client_method() : wolfTLSv1_2_client_method();
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(method);
    if (!ctx)
        return fail(NULL, "CTX_new", 0);
    int ret = wolfSSL_CTX_set_cipher_list(ctx, peer_arg(argc, argv, "--suite", ""));
    if (ret != WOLFSSL_SUCCESS) {
        printf("error: wolfSSL has no suite %s\n", peer_arg(argc, argv, "--suite", ""));
        return 1;
    }
    if (gid && v13 && (ret = wolfSSL_CTX_set_groups(ctx, &gid, 1)) != WOLFSSL_SUCCESS)
        return fail(NULL, "CTX_set_groups", ret);

    int fd = -1;
    if (server) {
        if ((ret = wolfSSL_CTX_use_certificate_chain_file(
                 ctx, peer_arg(argc, argv, "--cert", ""))) != WOLFSSL_SUCCESS)
            return fail(NULL, "--cert", ret);
        if ((ret = wolfSSL_CTX_use_PrivateKey_file(ctx, peer_arg(argc, argv, "--key", ""),
                                                   WOLFSSL_FILETYPE_PEM)) != WOLFSSL_SUCCESS)
            return fail(NULL, "--key", ret);
        wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
        fd = peer_accept_one();
    } else {
        if ((ret = wolfSSL_CTX_load_verify_locations(ctx, peer_arg(argc, argv, "--ca", ""),
                                                     NULL)) != WOLFSSL_SUCCESS)
            return fail(NULL, "--ca", ret);
        wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
        fd = peer_connect(atoi(peer_arg(argc, argv, "--port", "0")));
    }
    if (fd < 0)
        return 1;
    WOLFSSL *ssl = wolfSSL_new(ctx);
    if (!ssl)
        return fail(NULL, "wolfSSL_new", 0);
    wolfSSL_set_fd(ssl, fd);
    if (!server) {
        wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, "localhost", 9);
        wolfSSL_check_domain_name(ssl, "localhost");
        if (gid && v13 && (ret = wolfSSL_UseKeyShare(ssl, (word16)gid)) != WOLFSSL_SUCCESS)
            return fail(NULL, "UseKeyShare", ret);
    }
    if ((ret = server ? wolfSSL_accept(ssl) : wolfSSL_connect(ssl)) != WOLFSSL_SUCCESS)
        return fail(ssl, "handshake", ret);
    printf("session: version=%s suite=%s\n", wolfSSL_get_version(ssl),
           wolfSSL_get_cipher_name(ssl));
    fflush(stdout);

    unsigned char buf[PEER_CHUNK], want[PEER_CHUNK];
    int status = 0;
    if (server) {
        size_t echoed = 0;
        for (;;) {
            ret = wolfSSL_read(ssl, buf, sizeof(buf));
            if (ret <= 0) {
                if (wolfSSL_get_error(ssl, ret) == WOLFSSL_ERROR_ZERO_RETURN)
                    printf("echo: %zu bytes\nclose: close_notify received\n", echoed);
                else
                    status = fail(ssl, "read", ret);
                break;
            }
            if ((status = write_all(ssl, buf, (size_t)ret)) != 0)
                break;
            echoed += (size_t)ret;
        }
        if (status == 0 && (ret = wolfSSL_shutdown(ssl)) < 0)
            status = fail(ssl, "shutdown", ret);
    } else {
        size_t total = (size_t)atol(peer_arg(argc, argv, "--bytes", "32768")), done = 0;
        while (done < total && status == 0) {
            size_t n = total - done < PEER_CHUNK ? total - done : PEER_CHUNK, got = 0;
            peer_pattern(want, n, done);
            if ((status = write_all(ssl, want, n)) != 0)
                break;
            while (got < n && status == 0) {
                ret = wolfSSL_read(ssl, buf + got, (int)(n - got));
                if (ret <= 0)
                    status = fail(ssl, "read", ret);
                else
                    got += (size_t)ret;
            }
            if (status == 0 && memcmp(buf, want, n) != 0) {
                printf("error: the echo differs at offset %zu\n", done);
                status = 1;
            }
            done += n;
        }
        if (status == 0) {
            printf("echo: %zu bytes identical\n", done);
            ret = wolfSSL_shutdown(ssl); /* our close_notify */
            if (ret == WOLFSSL_SHUTDOWN_NOT_DONE)
                ret = wolfSSL_read(ssl, buf, sizeof(buf)); /* the server's */
            if (ret == WOLFSSL_SUCCESS ||
                (ret <= 0 && wolfSSL_get_error(ssl, ret) == WOLFSSL_ERROR_ZERO_RETURN))
                printf("close: close_notify received\n");
            else
                status = fail(ssl, "waiting for the server's close_notify", ret);
        }
    }
    fflush(stdout);
    wolfSSL_free(ssl);
    close(fd);
    wolfSSL_CTX_free(ctx);
    wolfSSL_Cleanup();
    return status;
}
