/*
 * A program an embedder would write, built against an installed tlsflow only (the
 * install test compiles it with pkg-config and with find_package(tlsflow)). It makes a
 * client and a server configuration from the test fixtures, runs a handshake between
 * the two in memory, sends a message each way, closes cleanly, and says what it did.
 *
 *     consumer FIXTURES_DIR [rsa|ec]
 */
#include <tlsflow/tlsflow.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2027-01-01T00:00:00Z: inside the fixtures' validity (2026-11-30 .. 2036-11-27). */
static int64_t fixed_time(void *ctx)
{
    (void)ctx;
    return 1798761600;
}

static uint8_t *read_file(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "consumer: cannot open %s\n", path);
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        size_t n = fread(buf + *len, 1, cap - *len, f);
        if (n == 0)
            break;
        *len += n;
    }
    fclose(f);
    return buf;
}

/* One side of the in-memory connection and what it has seen. */
typedef struct {
    const char *name;
    tlsflow_conn *conn;
    int handshake_done;
    int closed;
    char received[256];
    size_t received_len;
} side;

/* Polls `self` once and acts on the event; bytes it has to send go straight into
 * `peer`'s input. Returns 1 if something moved. */
static int step(side *self, side *peer)
{
    size_t n, room;
    switch (tlsflow_poll(self->conn)) {
    case TLSFLOW_OUTPUT_READY: {
        const uint8_t *out = tlsflow_out_buf(self->conn, &n);
        uint8_t *in = tlsflow_in_buf(peer->conn, &room);
        if (n > room)
            n = room;
        if (n == 0)
            return 0;
        memcpy(in, out, n);
        tlsflow_in_ack(peer->conn, n);
        tlsflow_out_ack(self->conn, n);
        return 1;
    }
    case TLSFLOW_HANDSHAKE_DONE:
        self->handshake_done++;
        return 1;
    case TLSFLOW_APP_DATA: {
        const uint8_t *data = tlsflow_app_peek(self->conn, &n);
        size_t keep = sizeof self->received - 1 - self->received_len;
        if (n > keep)
            n = keep;
        memcpy(self->received + self->received_len, data, n);
        self->received_len += n;
        self->received[self->received_len] = '\0';
        tlsflow_app_consume(self->conn, n);
        return n > 0;
    }
    case TLSFLOW_CLOSED:
        self->closed = 1;
        return 0;
    case TLSFLOW_NEED_INPUT:
        return 0;
    default: /* an event this program does not use (none is expected here) */
        fprintf(stderr, "consumer: %s: unexpected event\n", self->name);
        return 0;
    }
}

/* Runs both sides until neither can move; bounded. */
static void pump(side *a, side *b)
{
    for (int i = 0; i < 100000; i++) {
        int moved = step(a, b);
        moved |= step(b, a);
        if (!moved)
            return;
    }
}

static int send_text(side *from, const char *text)
{
    size_t len = strlen(text);
    if (tlsflow_app_write(from->conn, text, len) != len) {
        fprintf(stderr, "consumer: %s could not write its message\n", from->name);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: consumer FIXTURES_DIR [rsa|ec]\n");
        return 2;
    }
    const char *dir = argv[1];
    int ec = argc > 2 && strcmp(argv[2], "ec") == 0;
    int rc = 1;
    size_t ca_len = 0, chain_len = 0, key_len = 0;
    uint8_t *ca = read_file(dir, "ca.pem", &ca_len);
    uint8_t *chain = read_file(dir, ec ? "server-ec.pem" : "server.pem", &chain_len);
    uint8_t *key = read_file(dir, ec ? "server-ec.key" : "server.key", &key_len);
    tlsflow_config *ccfg = tlsflow_config_new(TLSFLOW_CLIENT);
    tlsflow_config *scfg = tlsflow_config_new(TLSFLOW_SERVER);
    side client = {.name = "client"}, server = {.name = "server"};
    if (!ca || !chain || !key || !ccfg || !scfg)
        goto out;

    tlsflow_config_set_time(ccfg, fixed_time, NULL);
    tlsflow_config_set_time(scfg, fixed_time, NULL);
    if (tlsflow_config_add_trust_anchors(ccfg, ca, ca_len) != 0 ||
        tlsflow_config_set_server_name(ccfg, "localhost") != 0 ||
        tlsflow_config_add_credential(scfg, chain, chain_len, key, key_len, NULL) != 0) {
        fprintf(stderr, "consumer: configuration refused\n");
        goto out;
    }
    client.conn = tlsflow_conn_new(ccfg);
    server.conn = tlsflow_conn_new(scfg);
    if (!client.conn || !server.conn) {
        fprintf(stderr, "consumer: tlsflow_conn_new failed\n");
        goto out;
    }

    pump(&client, &server);
    if (client.handshake_done != 1 || server.handshake_done != 1) {
        fprintf(stderr, "consumer: no handshake (client: %s; server: %s)\n",
                tlsflow_last_error_text(client.conn), tlsflow_last_error_text(server.conn));
        goto out;
    }
    const tlsflow_info *info = tlsflow_get_info(client.conn);
    const char *suite = tlsflow_suite_name(info->cipher_suite);

    static const char ping[] = "ping from an installed tlsflow";
    static const char pong[] = "pong";
    if (send_text(&client, ping) != 0)
        goto out;
    pump(&client, &server);
    if (send_text(&server, pong) != 0)
        goto out;
    pump(&client, &server);
    if (strcmp(server.received, ping) != 0 || strcmp(client.received, pong) != 0) {
        fprintf(stderr, "consumer: server got \"%s\", client got \"%s\"\n", server.received,
                client.received);
        goto out;
    }

    tlsflow_close(client.conn);
    pump(&client, &server);
    if (!client.closed || !server.closed || tlsflow_last_error(client.conn) != 0 ||
        tlsflow_last_error(server.conn) != 0) {
        fprintf(stderr, "consumer: unclean close (client %d %s, server %d %s)\n", client.closed,
                tlsflow_error_name(tlsflow_last_error(client.conn)), server.closed,
                tlsflow_error_name(tlsflow_last_error(server.conn)));
        goto out;
    }
    printf("tlsflow %s: %s, \"%s\" -> server, \"%s\" -> client, closed cleanly\n",
           TLSFLOW_VERSION_STRING, suite ? suite : "?", server.received, client.received);
    rc = 0;
out:
    tlsflow_conn_free(client.conn);
    tlsflow_conn_free(server.conn);
    tlsflow_config_free(ccfg);
    tlsflow_config_free(scfg);
    free(ca);
    free(chain);
    free(key);
    return rc;
}
