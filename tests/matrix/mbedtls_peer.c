/* An mbedTLS (Debian's 2.28, TLS 1.2 only) peer for the interop matrix (ci/interop), one
 * connection over loopback, both roles:
 *
 *   mbedtls_peer server --cert PEM --key PEM --suite IANA_NAME [--group NAME]
 *       listens on 127.0.0.1 with a kernel-chosen port, prints "listening PORT", takes one
 *       connection, echoes every byte until the client's close_notify, answers it with its
 *       own, prints the session and exits 0 (1 on any failure).
 *   mbedtls_peer client --port N --ca PEM --suite IANA_NAME [--group NAME] [--bytes N]
 *       connects with SNI "localhost" (the certificate is verified for that name), sends N
 *       bytes (default 32768) 4 KiB at a time, each chunk read back and compared, then sends
 *       close_notify and waits for the server's; exits 0 only if all of it happened.
 *
 * Suites by IANA name (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256); groups x25519, secp256r1,
 * secp384r1. The whole run is bounded by alarm(). Output: "session: version=... suite=...",
 * "echo: N bytes identical", "close: close_notify received" or "error: ...". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "peer_common.h"

static int fail(const char *what, int ret)
{
    char buf[200];
    mbedtls_strerror(ret, buf, sizeof(buf));
    printf("error: %s: -0x%04x %s\n", what, (unsigned)-ret, buf);
    fflush(stdout);
    return 1;
}

static int write_all(mbedtls_ssl_context *ssl, const unsigned char *p, size_t n)
{
    while (n > 0) {
        int r = mbedtls_ssl_write(ssl, p, n);
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (r <= 0)
            return r == 0 ? -1 : r;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void session(mbedtls_ssl_context *ssl)
{
    char name[100];
    snprintf(name, sizeof(name), "%s", mbedtls_ssl_get_ciphersuite(ssl));
    for (char *c = name; *c; c++)
        if (*c == '-')
            *c = '_';
    printf("session: version=%s suite=%s\n", mbedtls_ssl_get_version(ssl), name);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0)) {
        fprintf(stderr, "usage: mbedtls_peer server|client [options] (see the source)\n");
        return 2;
    }
    int server = strcmp(argv[1], "server") == 0;
    alarm(30);

    /* The suite: mbedTLS spells IANA names with dashes. */
    char suite_name[100];
    snprintf(suite_name, sizeof(suite_name), "%s", peer_arg(argc, argv, "--suite", ""));
    for (char *c = suite_name; *c; c++)
        if (*c == '_')
            *c = '-';
    int suites[2] = {mbedtls_ssl_get_ciphersuite_id(suite_name), 0};
    if (suites[0] == 0) {
        printf("error: mbedTLS has no suite %s\n", suite_name);
        return 1;
    }
    mbedtls_ecp_group_id groups[2] = {MBEDTLS_ECP_DP_NONE, MBEDTLS_ECP_DP_NONE};
    const char *group = peer_arg(argc, argv, "--group", NULL);
    if (group) {
        const mbedtls_ecp_curve_info *ci = mbedtls_ecp_curve_info_from_name(group);
        if (!ci) {
            printf("error: mbedTLS has no group %s\n", group);
            return 1;
        }
        groups[0] = ci->grp_id;
    }

    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    mbedtls_x509_crt crt;
    mbedtls_pk_context pk;
    mbedtls_net_context net;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ssl_config_init(&conf);
    mbedtls_ssl_init(&ssl);
    mbedtls_x509_crt_init(&crt);
    mbedtls_pk_init(&pk);
    mbedtls_net_init(&net);

    int ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0);
    if (ret != 0)
        return fail("ctr_drbg_seed", ret);
    ret = mbedtls_ssl_config_defaults(&conf, server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
                                      MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0)
        return fail("ssl_config_defaults", ret);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(&conf, suites);
    if (group)
        mbedtls_ssl_conf_curves(&conf, groups);

    int fd = -1;
    if (server) {
        if ((ret = mbedtls_x509_crt_parse_file(&crt, peer_arg(argc, argv, "--cert", ""))) != 0)
            return fail("--cert", ret);
        if ((ret = mbedtls_pk_parse_keyfile(&pk, peer_arg(argc, argv, "--key", ""), NULL)) != 0)
            return fail("--key", ret);
        if ((ret = mbedtls_ssl_conf_own_cert(&conf, &crt, &pk)) != 0)
            return fail("ssl_conf_own_cert", ret);
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
        fd = peer_accept_one();
    } else {
        if ((ret = mbedtls_x509_crt_parse_file(&crt, peer_arg(argc, argv, "--ca", ""))) != 0)
            return fail("--ca", ret);
        mbedtls_ssl_conf_ca_chain(&conf, &crt, NULL);
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        fd = peer_connect(atoi(peer_arg(argc, argv, "--port", "0")));
    }
    if (fd < 0)
        return 1;
    net.fd = fd;
    if ((ret = mbedtls_ssl_setup(&ssl, &conf)) != 0)
        return fail("ssl_setup", ret);
    if (!server && (ret = mbedtls_ssl_set_hostname(&ssl, "localhost")) != 0)
        return fail("set_hostname", ret);
    mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, NULL);
    while ((ret = mbedtls_ssl_handshake(&ssl)) != 0)
        if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE)
            return fail("handshake", ret);
    session(&ssl);

    unsigned char buf[PEER_CHUNK], want[PEER_CHUNK];
    int status = 1;
    if (server) {
        size_t echoed = 0;
        for (;;) {
            ret = mbedtls_ssl_read(&ssl, buf, sizeof(buf));
            if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
                continue;
            if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
                printf("echo: %zu bytes\nclose: close_notify received\n", echoed);
                status = 0;
                break;
            }
            if (ret <= 0) {
                fail(ret == 0 ? "read: EOF without close_notify" : "read", ret ? ret : -1);
                break;
            }
            size_t n = (size_t)ret;
            if ((ret = write_all(&ssl, buf, n)) != 0) {
                fail("write", ret);
                break;
            }
            echoed += n;
        }
    } else {
        size_t total = (size_t)atol(peer_arg(argc, argv, "--bytes", "32768")), done = 0;
        status = 0;
        while (done < total && status == 0) {
            size_t n = total - done < PEER_CHUNK ? total - done : PEER_CHUNK, got = 0;
            peer_pattern(want, n, done);
            if ((ret = write_all(&ssl, want, n)) != 0) {
                status = fail("write", ret);
                break;
            }
            while (got < n) {
                ret = mbedtls_ssl_read(&ssl, buf + got, n - got);
                if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
                    continue;
                if (ret <= 0) {
                    status = fail("read", ret ? ret : -1);
                    break;
                }
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
            while ((ret = mbedtls_ssl_close_notify(&ssl)) != 0)
                if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
                    status = fail("close_notify", ret);
                    break;
                }
        }
        if (status == 0) {
            do
                ret = mbedtls_ssl_read(&ssl, buf, sizeof(buf));
            while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
            if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
                printf("close: close_notify received\n");
            } else {
                status = fail("waiting for the server's close_notify", ret ? ret : -1);
            }
        }
    }
    if (server && status == 0) {
        while ((ret = mbedtls_ssl_close_notify(&ssl)) != 0)
            if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
                status = fail("close_notify", ret);
                break;
            }
    }
    fflush(stdout);
    mbedtls_net_free(&net);
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&crt);
    mbedtls_pk_free(&pk);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return status;
}
