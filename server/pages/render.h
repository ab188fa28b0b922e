/* Presentation of one connection's handshake: the five-step flow with the real
 * values, as plain text (terminals), HTML with an SVG sequence diagram (browsers)
 * and JSON (scripts). Pure functions of a conn_view: no I/O. */
#ifndef TLSFLOW_RENDER_H
#define TLSFLOW_RENDER_H

#include <stdint.h>

#include <tlsflow/tlsflow.h>

#include "hello_names.h"
#include "flow_steps.h"
#include "util/sbuf.h"
#include "util/trace_store.h"

typedef struct {
    const tlsflow_info *info;
    const trace_store *trace;
    const char *peer;  /* "127.0.0.1:51234" */
    const char *local; /* "127.0.0.1:8443" */
    unsigned local_port;
    unsigned requests;          /* requests on this connection, this one included */
    uint64_t wire_in, wire_out; /* TLS bytes on the socket so far */
    size_t conn_memory;         /* tlsflow_conn_memory() */
    int scenarios;              /* the local PKI's scenario endpoints exist */
    int sites;                  /* the local PKI's sites (classic.localhost...) are served */
    const char *site;           /* the site this connection was served as, or NULL */
    const cert_ids *client_ids; /* the client certificate's fingerprints, or NULL */
} conn_view;

/* The facts the sequence table needs, from a view. */
flow_facts render_facts(const conn_view *v);
/* The other flow this server shows (TLS 1.3 beside the classic one, the classic one
 * beside any other) and how this connection's differs from it; returns the other. */
flow_variant render_compared(const conn_view *v, flow_diff *d);
/* NewSessionTickets the server sent on this connection (from its trace). */
unsigned render_tickets_sent(const conn_view *v);
/* "a TLS 1.3 PSK ticket (...)" or "a TLS 1.2 session ticket (RFC 5077)". */
const char *render_ticket_kind(const tlsflow_info *in);
/* "verified", or why the engine refused the client certificate (a hook may have
 * accepted it anyway). */
const char *render_client_verdict(const tlsflow_info *in);

/* The body that fits one TLS record with room for the response head. */
#define RENDER_TEXT_MAX 15360

void render_text(const conn_view *v, sbuf *out);
void render_html(const conn_view *v, sbuf *out);
/* 0 on success. */
int render_json(const conn_view *v, sbuf *out);

/* "2026-11-27 04:06:00 UTC" */
void render_time(int64_t t, char out[32]);
/* "TLS_RSA_WITH_AES_128_GCM_SHA256" or "0x1234". */
const char *render_suite(uint16_t suite, char buf[16]);

#endif
