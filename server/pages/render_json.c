/* The handshake as JSON: what was negotiated, the five steps, the message sequence
 * (from the table in flow_steps.c) and what differs from the other flow, the client
 * certificate, the trace, and an echo of the ClientHello with its JA3 fingerprint. */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "flow_steps.h"
#include "hello_names.h"
#include "pki/local_pki.h"
#include "render.h"

static cJSON *named16(uint16_t id, const char *name)
{
    cJSON *o = cJSON_CreateObject();
    char hex[8];
    snprintf(hex, sizeof(hex), "0x%04x", id);
    cJSON_AddNumberToObject(o, "id", id);
    cJSON_AddStringToObject(o, "hex", hex);
    if (name)
        cJSON_AddStringToObject(o, "name", name);
    else
        cJSON_AddNullToObject(o, "name");
    return o;
}

typedef const char *(*namer16)(uint16_t);

static cJSON *list16(const uint16_t *v, size_t n, namer16 name)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, named16(v[i], is_grease(v[i]) ? "GREASE" : name(v[i])));
    return a;
}

static cJSON *certificate(const tlsflow_cert_info *c)
{
    char t[32];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "subject", c->subject);
    cJSON_AddStringToObject(o, "issuer", c->issuer);
    render_time(c->not_before, t);
    cJSON_AddStringToObject(o, "not_before", t);
    render_time(c->not_after, t);
    cJSON_AddStringToObject(o, "not_after", t);
    cJSON_AddStringToObject(o, "key_type", c->key_type ? c->key_type : "");
    cJSON_AddNumberToObject(o, "key_bits", c->key_bits);
    return o;
}

static cJSON *client_hello(const tlsflow_hello_info *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "version", h->version);
    cJSON_AddStringToObject(o, "version_name", version_name(h->version));
    cJSON_AddItemToObject(o, "cipher_suites", list16(h->suites, h->n_suites, suite_name));
    cJSON_AddItemToObject(o, "extensions", list16(h->extensions, h->n_extensions, extension_name));
    cJSON_AddItemToObject(o, "supported_groups", list16(h->groups, h->n_groups, group_name));
    cJSON_AddItemToObject(o, "signature_algorithms",
                          list16(h->sig_algs, h->n_sig_algs, sigalg_name));
    cJSON *pf = cJSON_CreateArray();
    for (size_t i = 0; i < h->n_point_formats; i++) {
        cJSON *f = cJSON_CreateObject();
        const char *n = point_format_name(h->point_formats[i]);
        cJSON_AddNumberToObject(f, "id", h->point_formats[i]);
        if (n)
            cJSON_AddStringToObject(f, "name", n);
        else
            cJSON_AddNullToObject(f, "name");
        cJSON_AddItemToArray(pf, f);
    }
    cJSON_AddItemToObject(o, "ec_point_formats", pf);
    cJSON_AddStringToObject(o, "alpn", h->alpn);

    sbuf ja3;
    sb_init(&ja3, 8192);
    ja3_string(h, &ja3);
    char md5[33] = "";
    if (ja3.p)
        ja3_md5_hex(ja3.p, md5);
    cJSON_AddStringToObject(o, "ja3", ja3.p ? ja3.p : "");
    cJSON_AddStringToObject(o, "ja3_md5", md5);
    sb_free(&ja3);
    return o;
}

static cJSON *trace(const trace_store *t, flow_variant fv)
{
    cJSON *a = cJSON_CreateArray();
    for (unsigned i = 0; i < t->n; i++) {
        cJSON *e = cJSON_CreateObject();
        tlsflow_step s = trace_store_step(t, i);
        cJSON_AddStringToObject(e, "step", flow_step_id(s));
        int flow = flow_step_in(s, fv, TLSFLOW_SERVER);
        if (flow)
            cJSON_AddNumberToObject(e, "flow_step", flow);
        cJSON_AddNumberToObject(e, "ms", trace_store_at_us(t, i) / 1000.0);
        cJSON_AddStringToObject(e, "text", trace_store_text(t, i));
        cJSON_AddItemToArray(a, e);
    }
    return a;
}

static cJSON *flow(const conn_view *v)
{
    flow_variant fv = flow_variant_of(v->info);
    const tlsflow_step evidence[FLOW_VARIANTS][FLOW_STEPS] = {
        {TLSFLOW_STEP_CERTIFICATE_SENT, 0, 0, TLSFLOW_STEP_PREMASTER_DECRYPTED,
         TLSFLOW_STEP_HANDSHAKE_DONE},
        {TLSFLOW_STEP_CERTIFICATE_SENT, 0, 0, TLSFLOW_STEP_SHARED_SECRET_COMPUTED,
         TLSFLOW_STEP_HANDSHAKE_DONE},
        {TLSFLOW_STEP_CERTIFICATE_SENT, 0, TLSFLOW_STEP_CLIENT_HELLO_RECEIVED,
         TLSFLOW_STEP_CERTIFICATE_VERIFY_SENT, TLSFLOW_STEP_HANDSHAKE_DONE},
        {0, 0, TLSFLOW_STEP_CLIENT_HELLO_RECEIVED, TLSFLOW_STEP_SESSION_RESUMED,
         TLSFLOW_STEP_HANDSHAKE_DONE},
        {0, 0, TLSFLOW_STEP_CLIENT_HELLO_RECEIVED, TLSFLOW_STEP_SESSION_RESUMED,
         TLSFLOW_STEP_HANDSHAKE_DONE},
    };
    int resumed = flow_is_resumed(fv);
    cJSON *a = cJSON_CreateArray();
    for (int n = 1; n <= FLOW_STEPS; n++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "n", n);
        cJSON_AddStringToObject(e, "title", flow_title(n, fv));
        cJSON_AddStringToObject(e, "explain", flow_explain(n, fv));
        tlsflow_step ev = evidence[fv][n - 1];
        const char *t = ev ? trace_store_find(v->trace, ev) : NULL;
        if (n == 1 && resumed)
            t = "no certificate sent: the session came from a ticket";
        if (n == 2)
            t = resumed ? "nothing to verify: the client checked our certificate in the "
                          "handshake that issued the ticket, and our Finished now"
                : fv == FLOW_TLS13
                    ? "done by the client; it answered with its Finished, not an alert"
                    : "done by the client; it answered with ClientKeyExchange, not an alert";
        if (n == 3 && (fv == FLOW_RSA12 || fv == FLOW_ECDHE12))
            t = fv == FLOW_ECDHE12 ? "the client's public value arrived in ClientKeyExchange"
                                   : "the encrypted premaster arrived in ClientKeyExchange";
        cJSON_AddStringToObject(e, "observed", t ? t : "");
        cJSON_AddItemToArray(a, e);
    }
    return a;
}

static const char *dir_name(seq_dir d)
{
    switch (d) {
    case SEQ_TO_SERVER:
        return "client_to_server";
    case SEQ_TO_CLIENT:
        return "server_to_client";
    case SEQ_AT_CLIENT:
        return "at_client";
    case SEQ_AT_SERVER:
        return "at_server";
    case SEQ_BOTH:
        return "both";
    }
    return "";
}

static cJSON *sequence(const conn_view *v)
{
    flow_facts f = render_facts(v);
    flow_line l[FLOW_LINES_MAX];
    size_t n = flow_sequence(flow_variant_of(v->info), &f, l, FLOW_LINES_MAX);
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", l[i].id);
        cJSON_AddStringToObject(e, "message", l[i].label);
        cJSON_AddStringToObject(e, "direction", dir_name(l[i].dir));
        if (l[i].step)
            cJSON_AddNumberToObject(e, "flow_step", l[i].step);
        cJSON_AddBoolToObject(e, "encrypted", l[i].encrypted);
        cJSON_AddStringToObject(e, "detail", l[i].detail);
        cJSON_AddItemToArray(a, e);
    }
    return a;
}

static cJSON *labels(const char *const *l, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(l[i]));
    return a;
}

static cJSON *compared(const conn_view *v)
{
    flow_diff d;
    flow_variant other = render_compared(v, &d);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "flow", flow_variant_name(other));
    if (v->sites && !v->info->resumed) { /* a resumed one: the same name without a ticket */
        char url[300];
        snprintf(url, sizeof(url), "https://%s:%u/",
                 other == FLOW_TLS13 ? "localhost" : "classic.localhost", v->local_port);
        cJSON_AddStringToObject(o, "url", url);
    }
    cJSON_AddItemToObject(o, "only_here", labels(d.added, d.n_added));
    cJSON_AddItemToObject(o, "not_here", labels(d.gone, d.n_gone));
    cJSON *c = cJSON_AddArrayToObject(o, "changed");
    for (size_t i = 0; i < d.n_changed; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "message", d.changed[i].label);
        cJSON_AddStringToObject(e, "direction", dir_name(d.changed[i].dir));
        cJSON_AddStringToObject(e, "how", d.changed[i].why);
        cJSON_AddItemToArray(c, e);
    }
    return o;
}

static cJSON *client_certificate(const conn_view *v)
{
    const tlsflow_info *in = v->info;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "requested", in->client_cert_requested);
    cJSON_AddBoolToObject(o, "presented", in->client_cert_sent);
    if (!in->client_cert_sent)
        return o;
    cJSON_AddItemToObject(o, "certificate", certificate(&in->client_cert));
    cJSON_AddStringToObject(o, "verification", in->client_cert_verdict ? "refused" : "verified");
    if (in->client_cert_verdict)
        cJSON_AddStringToObject(o, "verification_error",
                                tlsflow_error_name(in->client_cert_verdict));
    const char *cv = trace_store_find(v->trace, TLSFLOW_STEP_CERTIFICATE_VERIFY_VERIFIED);
    if (cv)
        cJSON_AddStringToObject(o, "certificate_verify", cv);
    if (v->client_ids) {
        cJSON_AddStringToObject(o, "sha256", v->client_ids->sha256);
        cJSON_AddStringToObject(o, "pin", v->client_ids->pin);
        cJSON_AddNumberToObject(o, "chain_length", (double)v->client_ids->chain_len);
    }
    return o;
}

/* {"url": "https://NAME:PORT/", key: text} onto array a. */
static void add_endpoint(cJSON *a, const char *name, unsigned port, const char *key,
                         const char *text)
{
    cJSON *e = cJSON_CreateObject();
    char url[300];
    snprintf(url, sizeof(url), "https://%s:%u/", name, port);
    cJSON_AddStringToObject(e, "url", url);
    cJSON_AddStringToObject(e, key, text);
    cJSON_AddItemToArray(a, e);
}

int render_json(const conn_view *v, sbuf *out)
{
    const tlsflow_info *in = v->info;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return -1;
    cJSON *c = cJSON_AddObjectToObject(root, "connection");
    cJSON_AddStringToObject(c, "client", v->peer);
    cJSON_AddStringToObject(c, "server", v->local);
    cJSON_AddNumberToObject(c, "version", in->version);
    cJSON_AddStringToObject(c, "version_name", version_name(in->version));
    cJSON_AddItemToObject(c, "cipher_suite",
                          named16(in->cipher_suite, suite_name(in->cipher_suite)));
    cJSON_AddStringToObject(c, "sni", in->server_name);
    if (v->site)
        cJSON_AddStringToObject(c, "site", v->site);
    else
        cJSON_AddNullToObject(c, "site");
    cJSON_AddStringToObject(c, "alpn", in->alpn);
    cJSON_AddBoolToObject(c, "extended_master_secret", in->ems);
    cJSON_AddBoolToObject(c, "secure_renegotiation", in->secure_renegotiation);
    cJSON_AddStringToObject(c, "key_exchange", in->key_exchange);
    flow_variant fv = flow_variant_of(in);
    cJSON_AddStringToObject(c, "flow", flow_variant_name(fv));
    cJSON_AddBoolToObject(c, "resumed", in->resumed);
    cJSON_AddBoolToObject(c, "certificate_sent", !in->resumed);
    if (in->resumed) {
        cJSON *r = cJSON_AddObjectToObject(c, "resumption");
        int psk = fv == FLOW_PSK13;
        cJSON_AddStringToObject(r, "ticket", psk ? "tls13_psk_ticket" : "tls12_session_ticket");
        cJSON_AddStringToObject(r, "described", render_ticket_kind(in));
        cJSON_AddStringToObject(r, "rfc", psk ? "RFC 8446 4.2.11, 4.6.1" : "RFC 5077");
        if (psk)
            cJSON_AddStringToObject(r, "psk_mode", "psk_dhe_ke");
        const char *t = trace_store_find(v->trace, TLSFLOW_STEP_SESSION_RESUMED);
        cJSON_AddStringToObject(r, "observed", t ? t : "");
        cJSON_AddStringToObject(r, "full_flow", flow_variant_name(flow_full_of(in)));
    }
    cJSON_AddNumberToObject(c, "tickets_sent", render_tickets_sent(v));
    if (fv == FLOW_TLS13 || fv == FLOW_PSK13) {
        cJSON *k = cJSON_AddObjectToObject(c, "key_shares");
        cJSON_AddStringToObject(k, "group", in->group_name);
        cJSON_AddNumberToObject(k, "client_bytes", (double)in->client_public_len);
        cJSON_AddNumberToObject(k, "server_bytes", (double)in->server_public_len);
        cJSON_AddBoolToObject(c, "hello_retry_request", in->hello_retry);
    }
    if (fv == FLOW_TLS13) {
        cJSON *cv = cJSON_AddObjectToObject(c, "certificate_verify");
        cJSON_AddStringToObject(cv, "scheme", in->signature_scheme_name);
        cJSON_AddNumberToObject(cv, "bytes", (double)in->signature_len);
    }
    if (fv == FLOW_RESUME12) {
        /* No key exchange: the master secret came from the ticket. */
    } else if (fv != FLOW_RSA12) {
        cJSON *k = cJSON_AddObjectToObject(c, "ecdhe");
        cJSON_AddStringToObject(k, "group", in->group_name);
        cJSON_AddNumberToObject(k, "server_public_bytes", (double)in->server_public_len);
        cJSON_AddNumberToObject(k, "client_public_bytes", (double)in->client_public_len);
        cJSON_AddStringToObject(k, "signature_scheme", in->signature_scheme_name);
        cJSON_AddNumberToObject(k, "signature_bytes", (double)in->signature_len);
    } else {
        cJSON_AddNumberToObject(c, "encrypted_premaster_bytes",
                                (double)in->encrypted_premaster_len);
    }
    cJSON_AddBoolToObject(c, "finished_verified",
                          trace_store_find(v->trace, TLSFLOW_STEP_FINISHED_VERIFIED) != NULL);
    if (in->resumed)
        cJSON_AddNullToObject(c, "certificate"); /* none was sent */
    else
        cJSON_AddItemToObject(c, "certificate", certificate(&in->cert));
    cJSON_AddNumberToObject(c, "records_in", (double)in->records_in);
    cJSON_AddNumberToObject(c, "records_out", (double)in->records_out);
    cJSON_AddNumberToObject(c, "app_bytes_in", (double)in->app_bytes_in);
    cJSON_AddNumberToObject(c, "app_bytes_out", (double)in->app_bytes_out);
    cJSON_AddNumberToObject(c, "wire_bytes_in", (double)v->wire_in);
    cJSON_AddNumberToObject(c, "wire_bytes_out", (double)v->wire_out);
    cJSON_AddNumberToObject(c, "engine_memory_bytes", (double)v->conn_memory);
    cJSON_AddNumberToObject(c, "request_on_connection", v->requests);
    cJSON_AddItemToObject(root, "flow", flow(v));
    cJSON_AddItemToObject(root, "sequence", sequence(v));
    cJSON_AddItemToObject(root, "compared_with", compared(v));
    cJSON_AddItemToObject(root, "client_certificate", client_certificate(v));
    cJSON_AddItemToObject(root, "trace", trace(v->trace, fv));
    cJSON_AddItemToObject(root, "client_hello", client_hello(in->client_hello));
    if (v->sites) {
        size_t n;
        const site_info *st = site_list(&n);
        cJSON *a = cJSON_AddArrayToObject(root, "sites");
        for (size_t i = 0; i < n; i++)
            add_endpoint(a, st[i].name, v->local_port, "what", st[i].what);
    }
    if (v->scenarios) {
        size_t n;
        const scenario *s = scenario_list(&n);
        cJSON *a = cJSON_AddArrayToObject(root, "scenarios");
        for (size_t i = 0; i < n; i++)
            add_endpoint(a, s[i].name, v->local_port, "expect", s[i].expect);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return -1;
    sb_puts(out, text);
    sb_puts(out, "\n");
    free(text);
    return out->overflow ? -1 : 0;
}
