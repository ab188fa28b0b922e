#define _POSIX_C_SOURCE 200809L
#include "example_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

uint8_t *ex_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)size)) != NULL && fread(buf, 1, (size_t)size, f) == (size_t)size) {
        fclose(f);
        *len = (size_t)size;
        return buf;
    }
    fprintf(stderr, "cannot read '%s': %s\n", path,
            !f          ? strerror(errno)
            : size == 0 ? "empty file"
                        : "read error");
    free(buf);
    if (f)
        fclose(f);
    return NULL;
}

int ex_add_credential(tlsflow_config *cfg, const char *chain_path, const char *key_path)
{
    size_t chain_len = 0, key_len = 0;
    uint8_t *chain = ex_read_file(chain_path, &chain_len);
    uint8_t *key = chain ? ex_read_file(key_path, &key_len) : NULL;
    /* The configuration keeps its own copy: the file buffers can go at once. */
    int rc = key ? tlsflow_config_add_credential(cfg, chain, chain_len, key, key_len, NULL) : -1;
    if (key && rc != 0)
        fprintf(stderr, "'%s' / '%s': not a usable certificate chain and key (%s)\n", chain_path,
                key_path, tlsflow_error_name(rc));
    if (key)
        memset(key, 0, key_len); /* a private key: leave no copy behind */
    free(chain);
    free(key);
    return rc == 0 ? 0 : -1;
}

int ex_add_trust_anchors(tlsflow_config *cfg, const char *ca_path)
{
    size_t len = 0;
    uint8_t *pem = ex_read_file(ca_path, &len);
    int rc = pem ? tlsflow_config_add_trust_anchors(cfg, pem, len) : -1;
    if (pem && rc != 0)
        fprintf(stderr, "'%s': no CA certificate in it (%s)\n", ca_path, tlsflow_error_name(rc));
    free(pem);
    return rc == 0 ? 0 : -1;
}

int ex_parse(int argc, char **argv, const ex_option *opts, const char **pos, int min_pos,
             int max_pos, tlsflow_config *cfg, const char *usage)
{
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const ex_option *o = opts;
        while (o->name && (strcmp(argv[i], o->name) != 0 || i + 1 == argc))
            o++;
        if (o->name) {
            *o->value = argv[++i];
        } else if (strcmp(argv[i], "--tls12") == 0 || strcmp(argv[i], "--tls13") == 0) {
            uint16_t v = argv[i][6] == '2' ? TLSFLOW_VERSION_TLS12 : TLSFLOW_VERSION_TLS13;
            tlsflow_config_set_versions(cfg, v, v);
        } else if (argv[i][0] != '-' && n_pos < max_pos) {
            pos[n_pos++] = argv[i];
        } else {
            return ex_usage(usage, cfg, strcmp(argv[i], "--help") == 0 ? 0 : 2);
        }
    }
    for (const ex_option *o = opts; o->name; o++)
        if (o->required && !*o->value)
            n_pos = -1;
    return n_pos < min_pos ? ex_usage(usage, cfg, 2) : -1;
}

void ex_print_connected(const tlsflow_conn *conn)
{
    const tlsflow_info *i = tlsflow_get_info(conn);
    fprintf(stderr, "connected: %s, %s, %s, server %s\n",
            i->version == TLSFLOW_VERSION_TLS13 ? "TLS 1.3" : "TLS 1.2",
            tlsflow_suite_name(i->cipher_suite), i->group_name[0] ? i->group_name : "-",
            i->cert.subject);
}

int ex_usage(const char *usage, tlsflow_config *cfg, int status)
{
    fputs(usage, status == 0 ? stdout : stderr);
    tlsflow_config_free(cfg);
    return status;
}

void ex_report(const char *what, const tlsflow_conn *conn)
{
    int err = tlsflow_last_error(conn);
    fprintf(stderr, "%s: %s (%s", what, tlsflow_last_error_text(conn), tlsflow_error_name(err));
    if (tlsflow_sent_alert(conn) >= 0)
        fprintf(stderr, ", alert sent: %s", tlsflow_alert_name(tlsflow_sent_alert(conn)));
    if (tlsflow_peer_alert(conn) >= 0)
        fprintf(stderr, ", alert received: %s", tlsflow_alert_name(tlsflow_peer_alert(conn)));
    fprintf(stderr, ")\n");
}

int ex_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ? -1 : 0;
}

int ex_listen(unsigned port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    socklen_t alen = sizeof(a);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* INADDR_ANY to serve other hosts */
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0 ||
        ex_nonblocking(fd) < 0 || getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
        fprintf(stderr, "cannot listen on 127.0.0.1:%u: %s\n", port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);
    return fd;
}
