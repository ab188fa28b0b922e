/* One accepted TCP connection bridged to one engine connection: socket bytes in
 * and out, the timers, and the HTTP (or echo) application on top. Thousands may sit
 * idle at once, so what each keeps is small: flags as bits, addresses as numbers, the
 * ClientHello and the trace packed to what was said. */
#ifndef TLSFLOW_SCONN_H
#define TLSFLOW_SCONN_H

#include <netinet/in.h>
#include <stdint.h>

#include <uv.h>

#include <tlsflow/tlsflow.h>

#include "pages/hello_names.h"
#include "util/hello_pack.h"
#include "util/trace_store.h"

struct worker;
struct sconn_keyop;

typedef enum { PHASE_HANDSHAKE, PHASE_OPEN, PHASE_CLOSING } sconn_phase;

/* An accepted socket's address (IPv4 or IPv6): 28 bytes, made text when shown. */
typedef union {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
} sconn_addr;

typedef struct sconn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* handshake timeout, then idle timeout, then close linger */
    struct worker *w;
    struct sconn *prev, *next;
    tlsflow_conn *tls;
    const tlsflow_config *cfg; /* the configuration tls runs on */
    const char *site;          /* the site whose configuration that is, or NULL */
    /* Until its ClientHello has been read a connection runs on the worker's default
     * configuration and keeps every byte it read (hello) and every key log line the
     * engine gave (keylog_held, NUL-separated). If the SNI names a site, a new engine on
     * the site's configuration gets the same bytes again (replaying) and the first one
     * is dropped with what it said and logged; else the bytes are dropped and the lines
     * logged. */
    uint8_t *hello;
    size_t hello_len, hello_cap, replay_off;
    char *keylog_held;
    size_t keylog_held_len;
    cert_ids *client_ids;     /* the client certificate's fingerprints, when one was presented */
    hello_pack *client_hello; /* the ClientHello, kept at the end of the handshake */
    size_t write_len;         /* bytes in the uv_write in flight, straight from the engine */
    uint64_t start_ns;        /* uv_hrtime() at accept */
    uint64_t handshake_ns;
    uint64_t wire_in, wire_out;
    sconn_addr peer, local;
    trace_store trace;
    char *req; /* HTTP head being read (HTTP_HEAD_MAX), allocated only while needed */
    size_t req_len;
    char *resp; /* response being handed to the engine */
    size_t resp_len, resp_off;
    const char *outcome; /* set when we end the connection ourselves */
    /* A private-key operation running on a worker thread: until it is back the engine
     * is not called for this connection and the connection is not freed. */
    struct sconn_keyop *keyop;
    unsigned requests;
    sconn_phase phase;
    unsigned hello_pending : 1, replaying : 1, eof_pending : 1;
    /* A fatal alert went out: FIN sent, the peer's last bytes are dropped. */
    unsigned lingering : 1;
    unsigned reading : 1, closing : 1, in_pump : 1;
    unsigned writing : 1; /* a uv_write is in flight */
    unsigned close_after_resp : 1;
    /* A close asked for during a key operation, done when the operation is back. */
    unsigned close_deferred : 1;
    uint8_t handles_open;
} sconn;

/* Accept one connection from a listener. */
void sconn_accept(struct worker *w, uv_stream_t *listener);
/* Graceful end on server shutdown: close_notify, short linger, then close. */
void sconn_shutdown(sconn *c);
/* The tlsflow_trace_fn for the worker's configurations. */
void sconn_trace_cb(void *ctx, const tlsflow_conn *conn, const tlsflow_trace_event *ev);
/* The tlsflow_keylog_fn for the worker's configurations; ctx is the key log sink. */
void sconn_keylog_cb(void *ctx, const char *line);

#endif
