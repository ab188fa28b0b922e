/* The handshake as an HTML page: an inline-SVG sequence diagram of this very
 * connection with the five steps and the encrypted part marked (drawn from the one
 * message table in flow_steps.c), then the values behind each step, the client
 * certificate, and what differs from the other flow this server shows. */
#include <stdio.h>
#include <string.h>

#include "flow_steps.h"
#include "hello_names.h"
#include "pki/local_pki.h"
#include "render.h"

#define SVG_W    860
#define X_CLIENT 190
#define X_SERVER 670
#define ROW_H    52
#define TOP      70

static const char *const step_color[FLOW_STEPS + 1] = {"#64748b", "#2563eb", "#16a34a",
                                                       "#d97706", "#db2777", "#7c3aed"};

static const char css[] =
    "body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#f8fafc;color:#0f172a}"
    "main{max-width:920px;margin:0 auto;padding:24px}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}"
    ".sub{color:#475569;margin:0 0 16px}"
    ".card{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:12px 16px;"
    "margin:10px 0}"
    "ol.steps{list-style:none;padding:0;margin:0}"
    "ol.steps li{display:flex;gap:12px;background:#fff;border:1px solid #e2e8f0;"
    "border-radius:10px;padding:10px 14px;margin:8px 0}"
    ".badge{flex:none;width:28px;height:28px;border-radius:50%;color:#fff;font-weight:700;"
    "display:flex;align-items:center;justify-content:center}"
    ".obs{font-family:ui-monospace,monospace;font-size:13px;color:#334155;margin-top:4px}"
    "table{border-collapse:collapse;width:100%;background:#fff}"
    "td,th{border:1px solid #e2e8f0;padding:4px 8px;text-align:left;vertical-align:top}"
    "th{background:#f1f5f9;width:220px}"
    "code,.mono{font-family:ui-monospace,monospace;font-size:13px}"
    ".chosen{font-weight:700;color:#16a34a}.muted{color:#64748b}"
    "ul.tags{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px;margin:4px 0}"
    "ul.tags li{background:#e2e8f0;border-radius:6px;padding:1px 8px;font-size:13px}"
    "ul.tags li.chosen{background:#dcfce7}"
    "svg{background:#fff;border:1px solid #e2e8f0;border-radius:10px;max-width:100%;"
    "height:auto}"
    ".note{background:#eff6ff;border:1px solid #bfdbfe;border-radius:10px;padding:10px 14px}";

static void svg_text(sbuf *o, int x, int y, const char *anchor, const char *style, const char *text)
{
    sb_printf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" %s>", x, y, anchor, style);
    sb_html(o, text);
    sb_puts(o, "</text>");
}

static void svg_row(sbuf *o, const flow_line *r, int y)
{
    const char *color = step_color[r->step];
    const char *bold = "font-weight=\"600\" font-size=\"14\"";
    const char *small = "font-size=\"12\" fill=\"#475569\"";
    int mid = (X_CLIENT + X_SERVER) / 2;
    if (r->step) {
        sb_printf(o, "<circle cx=\"40\" cy=\"%d\" r=\"14\" fill=\"%s\"/>", y, color);
        sb_printf(o,
                  "<text x=\"40\" y=\"%d\" text-anchor=\"middle\" fill=\"#fff\" "
                  "font-weight=\"700\">%d</text>",
                  y + 5, r->step);
    }
    switch (r->dir) {
    case SEQ_TO_SERVER:
    case SEQ_TO_CLIENT: {
        int from = r->dir == SEQ_TO_SERVER ? X_CLIENT : X_SERVER;
        int to = r->dir == SEQ_TO_SERVER ? X_SERVER - 6 : X_CLIENT + 6;
        sb_printf(o,
                  "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                  "stroke-width=\"%d\" marker-end=\"url(#ah%d)\"/>",
                  from, y, to, y, color, r->step ? 3 : 2, r->step);
        svg_text(o, mid, y - 8, "middle", bold, r->label);
        svg_text(o, mid, y + 17, "middle", small, r->detail);
        break;
    }
    case SEQ_AT_CLIENT:
    case SEQ_AT_SERVER: {
        int x = r->dir == SEQ_AT_CLIENT ? X_CLIENT : X_SERVER;
        int w = 380, left = r->dir == SEQ_AT_CLIENT ? x - 110 : x - w + 110;
        sb_printf(o,
                  "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"42\" rx=\"8\" "
                  "fill=\"#fff\" stroke=\"%s\" stroke-width=\"2\"/>",
                  left, y - 22, w, color);
        svg_text(o, left + w / 2, y - 4, "middle", bold, r->label);
        svg_text(o, left + w / 2, y + 13, "middle", small, r->detail);
        break;
    }
    case SEQ_BOTH:
        sb_printf(o,
                  "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                  "stroke-width=\"3\" marker-end=\"url(#ah%d)\" "
                  "marker-start=\"url(#as%d)\" stroke-dasharray=\"8 4\"/>",
                  X_CLIENT + 6, y, X_SERVER - 6, y, color, r->step, r->step);
        svg_text(o, mid, y - 8, "middle", bold, r->label);
        svg_text(o, mid, y + 17, "middle", small, r->detail);
        break;
    }
}

static int local_row(const flow_line *l)
{
    return l->dir == SEQ_AT_CLIENT || l->dir == SEQ_AT_SERVER;
}

/* Encrypted, or a step taken locally between two encrypted messages. */
static int in_band(const flow_line *l, size_t n, size_t i)
{
    if (l[i].encrypted)
        return 1;
    if (!local_row(&l[i]))
        return 0;
    size_t a = i, b = i;
    while (a > 0 && local_row(&l[a]))
        a--;
    while (b + 1 < n && local_row(&l[b]))
        b++;
    return l[a].encrypted && l[b].encrypted && a != i && b != i;
}

/* A tinted band behind each run of encrypted rows, labelled along its edge. */
static void encrypted_bands(sbuf *o, const flow_line *l, size_t n, flow_variant fv)
{
    for (size_t i = 0; i < n;) {
        if (!in_band(l, n, i)) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && in_band(l, n, j))
            j++;
        int top = TOP + (int)i * ROW_H, h = (int)(j - i) * ROW_H;
        sb_printf(o,
                  "<rect class=\"encrypted\" x=\"62\" y=\"%d\" width=\"%d\" height=\"%d\" "
                  "rx=\"8\" fill=\"#fef9c3\" stroke=\"#facc15\" stroke-dasharray=\"6 4\"/>",
                  top + 2, SVG_W - 62 - 28, h - 4);
        /* Along the band's right edge, reading downwards. */
        int x = SVG_W - 14, y = top + h / 2;
        sb_printf(o,
                  "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\" "
                  "fill=\"#a16207\" transform=\"rotate(90 %d %d)\">",
                  x, y, x, y);
        sb_html(o, fv == FLOW_TLS13 && h >= 4 * ROW_H ? "encrypted from here on" : "encrypted");
        sb_puts(o, "</text>");
        i = j;
    }
}

static void diagram(const conn_view *v, sbuf *o)
{
    flow_variant fv = flow_variant_of(v->info);
    flow_facts f = render_facts(v);
    flow_line rows[FLOW_LINES_MAX];
    size_t n = flow_sequence(fv, &f, rows, FLOW_LINES_MAX);
    int height = TOP + (int)n * ROW_H + 20;
    sb_printf(o,
              "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
              "width=\"%d\" height=\"%d\" role=\"img\" "
              "aria-label=\"TLS handshake sequence diagram\" "
              "font-family=\"system-ui,sans-serif\"><defs>",
              SVG_W, height, SVG_W, height);
    for (int s = 0; s <= FLOW_STEPS; s++) {
        sb_printf(o,
                  "<marker id=\"ah%d\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
                  "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
                  "<path d=\"M0,0L10,5L0,10z\" fill=\"%s\"/></marker>",
                  s, step_color[s]);
        sb_printf(o,
                  "<marker id=\"as%d\" viewBox=\"0 0 10 10\" refX=\"1\" refY=\"5\" "
                  "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
                  "<path d=\"M10,0L0,5L10,10z\" fill=\"%s\"/></marker>",
                  s, step_color[s]);
    }
    sb_puts(o, "</defs>");
    encrypted_bands(o, rows, n, fv);
    const int xs[2] = {X_CLIENT, X_SERVER};
    const char *names[2] = {"Client (you)", "Server (tlsflow)"};
    const char *addrs[2] = {v->peer, v->local};
    for (int i = 0; i < 2; i++) {
        sb_printf(o,
                  "<rect x=\"%d\" y=\"12\" width=\"180\" height=\"40\" rx=\"8\" "
                  "fill=\"#0f172a\"/>",
                  xs[i] - 90);
        svg_text(o, xs[i], 30, "middle", "fill=\"#fff\" font-weight=\"600\"", names[i]);
        svg_text(o, xs[i], 45, "middle", "fill=\"#cbd5e1\" font-size=\"11\"", addrs[i]);
        sb_printf(o,
                  "<line x1=\"%d\" y1=\"52\" x2=\"%d\" y2=\"%d\" stroke=\"#94a3b8\" "
                  "stroke-dasharray=\"4 4\"/>",
                  xs[i], xs[i], height - 10);
    }
    for (size_t i = 0; i < n; i++)
        svg_row(o, &rows[i], TOP + 26 + (int)i * ROW_H);
    sb_puts(o, "</svg>\n");
}

static void observed(sbuf *o, const char *text)
{
    sb_puts(o, "<div class=\"obs\">");
    sb_html(o, text);
    sb_puts(o, "</div>");
}

/* What a card of a resumed handshake shows under its explanation; the engine's sentence
 * to add, or NULL. */
static const char *resumed_card(const conn_view *v, int s, sbuf *o)
{
    const tlsflow_info *in = v->info;
    int psk = flow_variant_of(in) == FLOW_PSK13;
    char line[400];
    switch (s) {
    case 1:
        snprintf(line, sizeof(line), "No Certificate%s sent: this connection resumed from %s.",
                 psk ? " and no CertificateVerify" : "", render_ticket_kind(in));
        observed(o, line);
        return NULL;
    case 2:
        observed(o, "Your client checked our certificate in the handshake that issued the "
                    "ticket; this time our Finished vouches for us.");
        return NULL;
    case 3:
        if (psk)
            snprintf(line, sizeof(line),
                     "ClientHello carried your %zu-byte %s key share and the ticket as "
                     "pre_shared_key, with its binder%s",
                     in->client_public_len, in->group_name,
                     in->hello_retry ? " (in the second ClientHello, after a HelloRetryRequest)"
                                     : "");
        else
            snprintf(line, sizeof(line), "ClientHello carried the ticket (SessionTicket)");
        observed(o, line);
        return trace_store_find(v->trace, TLSFLOW_STEP_CLIENT_HELLO_RECEIVED);
    case 4:
        if (psk)
            snprintf(line, sizeof(line),
                     "ServerHello carried our %zu-byte %s key share: the keys mix the PSK with a "
                     "fresh ECDH secret",
                     in->server_public_len, in->group_name);
        else
            snprintf(line, sizeof(line),
                     "No key exchange: the master secret is the earlier session's");
        observed(o, line);
        return trace_store_find(v->trace, TLSFLOW_STEP_SESSION_RESUMED);
    default:
        return NULL;
    }
}

static void step_cards(const conn_view *v, sbuf *o)
{
    const tlsflow_info *in = v->info;
    flow_variant fv = flow_variant_of(in);
    char line[400], nb[32], na[32], b[16];
    sb_puts(o, "<h2>The five steps, with this connection's values</h2><ol class=\"steps\">");
    for (int s = 1; s <= FLOW_STEPS; s++) {
        sb_printf(o, "<li><span class=\"badge\" style=\"background:%s\">%d</span><div><b>",
                  step_color[s], s);
        sb_html(o, flow_title(s, fv));
        sb_puts(o, "</b><br>");
        sb_html(o, flow_explain(s, fv));
        const char *t = NULL;
        int resumed = flow_is_resumed(fv);
        if (resumed && s < 5)
            t = resumed_card(v, s, o);
        switch (resumed && s < 5 ? 0 : s) {
        case 1:
            render_time(in->cert.not_before, nb);
            render_time(in->cert.not_after, na);
            snprintf(line, sizeof(line), "subject %s | issuer %s | valid %s .. %s | %s %d bits",
                     in->cert.subject, in->cert.issuer, nb, na,
                     in->cert.key_type ? in->cert.key_type : "?", in->cert.key_bits);
            observed(o, line);
            t = trace_store_find(v->trace, TLSFLOW_STEP_CERTIFICATE_SENT);
            if (fv == FLOW_ECDHE12 &&
                trace_store_find(v->trace, TLSFLOW_STEP_SERVER_KEY_EXCHANGE_SENT))
                observed(o, trace_store_find(v->trace, TLSFLOW_STEP_SERVER_KEY_EXCHANGE_SENT));
            break;
        case 2:
            snprintf(line, sizeof(line),
                     "Happens inside your client. The server sees the outcome: your client went "
                     "on with %s instead of an alert.",
                     fv == FLOW_TLS13 ? "its Finished" : "ClientKeyExchange");
            observed(o, line);
            break;
        case 3:
            if (fv == FLOW_TLS13)
                snprintf(line, sizeof(line), "ClientHello carried your %zu-byte %s key share%s",
                         in->client_public_len, in->group_name,
                         in->hello_retry ? " (in the second ClientHello, after a "
                                           "HelloRetryRequest: the first had no share for a "
                                           "group we take)"
                                         : "");
            else if (fv == FLOW_ECDHE12)
                snprintf(line, sizeof(line),
                         "ClientKeyExchange carried the client's %zu-byte %s public value",
                         in->client_public_len, in->group_name);
            else
                snprintf(line, sizeof(line),
                         "ClientKeyExchange carried %zu bytes of RSA ciphertext (the 48-byte "
                         "premaster, padded and encrypted under the certificate's key)",
                         in->encrypted_premaster_len);
            observed(o, line);
            t = fv == FLOW_TLS13 ? trace_store_find(v->trace, TLSFLOW_STEP_CLIENT_HELLO_RECEIVED)
                                 : NULL;
            break;
        case 4:
            if (fv == FLOW_TLS13) {
                snprintf(line, sizeof(line),
                         "ServerHello carried our %zu-byte %s key share; CertificateVerify: %s, "
                         "%zu bytes",
                         in->server_public_len, in->group_name, in->signature_scheme_name,
                         in->signature_len);
                observed(o, line);
                if (trace_store_find(v->trace, TLSFLOW_STEP_HANDSHAKE_KEYS))
                    observed(o, trace_store_find(v->trace, TLSFLOW_STEP_HANDSHAKE_KEYS));
                t = trace_store_find(v->trace, TLSFLOW_STEP_CERTIFICATE_VERIFY_SENT);
                break;
            }
            t = trace_store_find(v->trace, fv == FLOW_ECDHE12 ? TLSFLOW_STEP_SHARED_SECRET_COMPUTED
                                                              : TLSFLOW_STEP_PREMASTER_DECRYPTED);
            if (trace_store_find(v->trace, TLSFLOW_STEP_KEYS_DERIVED))
                observed(o, trace_store_find(v->trace, TLSFLOW_STEP_KEYS_DERIVED));
            break;
        case 5:
            snprintf(line, sizeof(line), "%s, Finished verified: %s, %llu records in / %llu out",
                     render_suite(in->cipher_suite, b),
                     trace_store_find(v->trace, TLSFLOW_STEP_FINISHED_VERIFIED) ? "yes" : "no",
                     (unsigned long long)in->records_in, (unsigned long long)in->records_out);
            observed(o, line);
            t = trace_store_find(v->trace, TLSFLOW_STEP_HANDSHAKE_DONE);
            break;
        }
        if (t && *t) {
            snprintf(line, sizeof(line), "engine: %s", t);
            observed(o, line);
        }
        sb_puts(o, "</div></li>");
    }
    sb_puts(o, "</ol>\n");
}

static void tr(sbuf *o, const char *k, const char *v)
{
    sb_puts(o, "<tr><th>");
    sb_html(o, k);
    sb_puts(o, "</th><td>");
    sb_html(o, v);
    sb_puts(o, "</td></tr>");
}

static void client_certificate(const conn_view *v, sbuf *o)
{
    const tlsflow_info *in = v->info;
    char line[300], nb[32], na[32];
    sb_puts(o, "<h2 id=\"client-certificate\">Your client certificate</h2>");
    if (!in->client_cert_requested || !in->client_cert_sent) {
        sb_puts(o, "<div class=\"card\"><p class=\"client-cert-none\">");
        sb_html(o, in->client_cert_requested
                       ? "The server asked for one (CertificateRequest); your client presented "
                         "none, and this name lets you in without."
                       : "Not asked for on this name. mtls.localhost requires one (the local "
                         "PKI's client.pem), as does the server started with --client-auth.");
        sb_puts(o, "</p></div>\n");
        return;
    }
    const tlsflow_cert_info *cc = &in->client_cert;
    sb_puts(o, "<table class=\"client-cert\">");
    tr(o, "Subject", cc->subject);
    tr(o, "Issuer", cc->issuer);
    render_time(cc->not_before, nb);
    render_time(cc->not_after, na);
    snprintf(line, sizeof(line), "%s .. %s", nb, na);
    tr(o, "Validity", line);
    snprintf(line, sizeof(line), "%s, %d bits", cc->key_type ? cc->key_type : "?", cc->key_bits);
    tr(o, "Public key", line);
    tr(o, "Verification", render_client_verdict(in));
    const char *cv = trace_store_find(v->trace, TLSFLOW_STEP_CERTIFICATE_VERIFY_VERIFIED);
    if (cv)
        tr(o, "Proof of the key", cv);
    if (v->client_ids) {
        tr(o, "SHA-256 fingerprint", v->client_ids->sha256);
        tr(o, "Public-key pin", v->client_ids->pin);
        snprintf(line, sizeof(line), "%zu", v->client_ids->chain_len);
        tr(o, "Certificates sent", line);
    }
    sb_puts(o, "</table>\n");
}

/* What this flow has that the other one this server shows has not, from the table. */
static void compared(const conn_view *v, sbuf *o)
{
    flow_diff d;
    flow_variant other = render_compared(v, &d);
    sb_puts(o, "<h2>Compared with ");
    sb_html(o, flow_variant_name(other));
    sb_puts(o, "</h2><div class=\"card compare\"><table>");
    sb_puts(o, "<tr><th>Only here</th><td><ul class=\"tags\">");
    for (size_t i = 0; i < d.n_added; i++) {
        sb_puts(o, "<li>");
        sb_html(o, d.added[i]);
        sb_puts(o, "</li>");
    }
    sb_puts(o, "</ul></td></tr><tr><th>Not here</th><td><ul class=\"tags\">");
    for (size_t i = 0; i < d.n_gone; i++) {
        sb_puts(o, "<li>");
        sb_html(o, d.gone[i]);
        sb_puts(o, "</li>");
    }
    sb_puts(o, "</ul></td></tr>");
    for (size_t i = 0; i < d.n_changed; i++) {
        sb_puts(o, "<tr><th>");
        sb_html(o, d.changed[i].label);
        sb_puts(o, " <span class=\"muted\">");
        sb_html(o, flow_dir_words(d.changed[i].dir));
        sb_puts(o, "</span></th><td>");
        sb_html(o, d.changed[i].why);
        sb_puts(o, "</td></tr>");
    }
    sb_puts(o, "</table>");
    if (v->info->resumed)
        sb_puts(o, "<p>See it: a new connection without the ticket.</p>");
    else if (v->sites)
        sb_printf(o,
                  "<p>See it: <a class=\"other-flow\" href=\"https://%s:%u/\">https://%s:%u/</a>"
                  "</p>",
                  other == FLOW_TLS13 ? "localhost" : "classic.localhost", v->local_port,
                  other == FLOW_TLS13 ? "localhost" : "classic.localhost", v->local_port);
    sb_puts(o, "</div>\n");
}

static void negotiated(const conn_view *v, sbuf *o)
{
    const tlsflow_info *in = v->info;
    flow_variant fv = flow_variant_of(in);
    char b[16], line[300], nb[32], na[32];
    sb_puts(o, "<h2>What was negotiated</h2><table>");
    tr(o, "Version", version_name(in->version));
    snprintf(line, sizeof(line), "%s (0x%04x)", render_suite(in->cipher_suite, b),
             in->cipher_suite);
    tr(o, "Cipher suite", line);
    tr(o, "Server name (SNI)", in->server_name[0] ? in->server_name : "(none sent)");
    if (v->site)
        tr(o, "Served as", v->site);
    tr(o, "ALPN", in->alpn[0] ? in->alpn : "(none)");
    if (in->resumed)
        snprintf(line, sizeof(line), "yes: from %s; no certificate was sent",
                 render_ticket_kind(in));
    else
        snprintf(line, sizeof(line), "no: a full handshake");
    tr(o, "Resumed", line);
    snprintf(line, sizeof(line), "%u", render_tickets_sent(v));
    tr(o, "Session tickets sent", line);
    if (in->version == TLSFLOW_VERSION_TLS13) {
        tr(o, "Extended master secret", "built in (TLS 1.3 binds every key to the transcript)");
    } else {
        tr(o, "Extended master secret", in->ems ? "yes (RFC 7627)" : "no");
        tr(o, "Secure renegotiation", in->secure_renegotiation ? "yes (RFC 5746)" : "no");
    }
    if (in->resumed) {
        tr(o, "Certificate", "not sent (resumed)");
    } else {
        tr(o, "Certificate subject", in->cert.subject);
        tr(o, "Certificate issuer", in->cert.issuer);
        render_time(in->cert.not_before, nb);
        render_time(in->cert.not_after, na);
        snprintf(line, sizeof(line), "%s .. %s", nb, na);
        tr(o, "Validity", line);
        snprintf(line, sizeof(line), "%s, %d bits", in->cert.key_type ? in->cert.key_type : "?",
                 in->cert.key_bits);
        tr(o, "Public key", line);
    }
    tr(o, "Key exchange",
       fv == FLOW_RESUME12 ? "none (the master secret came from the ticket)"
       : fv == FLOW_PSK13  ? "the ticket's PSK with ECDHE (psk_dhe_ke)"
                           : in->key_exchange);
    if (fv == FLOW_TLS13 || fv == FLOW_PSK13) {
        snprintf(line, sizeof(line), "%s; client %zu bytes, server %zu bytes", in->group_name,
                 in->client_public_len, in->server_public_len);
        tr(o, "Key shares", line);
        tr(o, "HelloRetryRequest", in->hello_retry ? "yes" : "no");
        snprintf(line, sizeof(line), "%s, %zu bytes", in->signature_scheme_name, in->signature_len);
        tr(o, "CertificateVerify", fv == FLOW_PSK13 ? "none (the PSK authenticates)" : line);
    } else if (fv == FLOW_ECDHE12) {
        snprintf(line, sizeof(line), "%s; public values: server %zu bytes, client %zu bytes",
                 in->group_name, in->server_public_len, in->client_public_len);
        tr(o, "ECDHE group", line);
        snprintf(line, sizeof(line), "%s, %zu bytes", in->signature_scheme_name, in->signature_len);
        tr(o, "ServerKeyExchange signature", line);
    } else if (fv == FLOW_RSA12) {
        snprintf(line, sizeof(line), "%zu bytes", in->encrypted_premaster_len);
        tr(o, "Encrypted premaster", line);
    }
    tr(o, "Finished verified",
       trace_store_find(v->trace, TLSFLOW_STEP_FINISHED_VERIFIED) ? "yes, both ways" : "no");
    snprintf(line, sizeof(line), "%llu bytes in, %llu bytes out; engine memory %zu bytes",
             (unsigned long long)v->wire_in, (unsigned long long)v->wire_out, v->conn_memory);
    tr(o, "This connection", line);
    snprintf(line, sizeof(line), "%u", v->requests);
    tr(o, "Request on this connection", line);
    sb_puts(o, "</table>\n");
}

typedef const char *(*namer16)(uint16_t);

static void tags16(sbuf *o, const char *title, const uint16_t *v, size_t n, namer16 name,
                   uint16_t chosen)
{
    sb_printf(o, "<tr><th>%s (%zu)</th><td><ul class=\"tags\">", title, n);
    for (size_t i = 0; i < n; i++) {
        const char *nm = is_grease(v[i]) ? "GREASE" : name(v[i]);
        sb_printf(o, "<li%s title=\"0x%04x\">", v[i] == chosen ? " class=\"chosen\"" : "", v[i]);
        if (nm)
            sb_html(o, nm);
        else
            sb_printf(o, "0x%04x", v[i]);
        sb_puts(o, "</li>");
    }
    sb_puts(o, "</ul></td></tr>");
}

static void hello(const conn_view *v, sbuf *o)
{
    const tlsflow_hello_info *h = v->info->client_hello;
    sb_puts(o, "<h2>Your ClientHello</h2><table>");
    tr(o, "Version", version_name(h->version));
    tags16(o, "Cipher suites", h->suites, h->n_suites, suite_name, v->info->cipher_suite);
    tags16(o, "Extensions", h->extensions, h->n_extensions, extension_name, 0xffff);
    tags16(o, "Groups", h->groups, h->n_groups, group_name, 0xffff);
    tags16(o, "Signature algorithms", h->sig_algs, h->n_sig_algs, sigalg_name, 0xffff);
    tr(o, "ALPN offered", h->alpn[0] ? h->alpn : "(none)");
    sbuf ja3;
    sb_init(&ja3, 8192);
    ja3_string(h, &ja3);
    char md5[33] = "";
    if (ja3.p)
        ja3_md5_hex(ja3.p, md5);
    sb_puts(o, "<tr><th>JA3</th><td><code>");
    sb_html(o, ja3.p ? ja3.p : "");
    sb_printf(o, "</code><br>MD5 <code>%s</code></td></tr></table>\n", md5);
    sb_free(&ja3);
}

static void trace_table(const conn_view *v, sbuf *o)
{
    sb_puts(o, "<h2>Engine trace</h2><table><tr><th>ms since accept</th><th>step</th></tr>");
    for (unsigned i = 0; i < v->trace->n; i++) {
        tlsflow_step s = trace_store_step(v->trace, i);
        int f = flow_step_in(s, flow_variant_of(v->info), TLSFLOW_SERVER);
        sb_printf(o, "<tr><td class=\"mono\">%.1f</td><td>",
                  trace_store_at_us(v->trace, i) / 1000.0);
        if (f)
            sb_printf(o,
                      "<span class=\"badge\" style=\"display:inline-flex;width:20px;"
                      "height:20px;font-size:12px;background:%s\">%d</span> ",
                      step_color[f], f);
        sb_printf(o, "<b>%s</b> <span class=\"mono\">", flow_step_label_in(s, TLSFLOW_SERVER));
        sb_html(o, trace_store_text(v->trace, i));
        sb_puts(o, "</span></td></tr>");
    }
    sb_puts(o, "</table>\n");
}

static void scenarios(const conn_view *v, sbuf *o)
{
    size_t n;
    if (v->sites) {
        const site_info *st = site_list(&n);
        sb_puts(o, "<h2>Sites: the same server, other configurations</h2><div class=\"card\">"
                   "<p class=\"muted\">Picked by SNI; each name has an engine configuration "
                   "of its own.</p><ul>");
        for (size_t i = 0; i < n; i++) {
            sb_printf(o, "<li><a href=\"https://%s:%u/\">%s</a> &mdash; ", st[i].name,
                      v->local_port, st[i].name);
            sb_html(o, st[i].what);
            sb_puts(o, "</li>");
        }
        sb_puts(o, "</ul></div>\n");
    }
    if (!v->scenarios)
        return;
    const scenario *s = scenario_list(&n);
    sb_puts(o, "<h2>Scenarios: each must fail verification</h2><div class=\"card\">"
               "<p class=\"muted\">Same server, other certificates, picked by SNI. A client "
               "that trusts only the local CA must refuse each one.</p><ul>");
    for (size_t i = 0; i < n; i++) {
        sb_printf(o, "<li><a href=\"https://%s:%u/\">%s</a> &mdash; ", s[i].name, v->local_port,
                  s[i].name);
        sb_html(o, s[i].expect);
        sb_puts(o, "</li>");
    }
    sb_puts(o, "</ul></div>\n");
}

void render_html(const conn_view *v, sbuf *o)
{
    char b[16];
    flow_variant fv = flow_variant_of(v->info);
    sb_printf(o,
              "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
              "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
              "<title>tlsflow: your TLS handshake</title><style>%s</style></head>"
              "<body><main><h1>Your %s handshake, step by step</h1><p class=\"sub\">",
              css, version_name(v->info->version));
    sb_html(o, render_suite(v->info->cipher_suite, b));
    sb_puts(o, " with ");
    sb_html(o, v->info->server_name[0] ? v->info->server_name : "no SNI");
    sb_puts(o, ". The diagram shows the connection that fetched this page; the values "
               "are the real ones the engine saw. Numbers mark the five steps; the tinted "
               "band is what travelled encrypted.</p>\n");
    if (flow_is_resumed(fv))
        sb_printf(o,
                  "<p class=\"note resumed\">Resumed: this connection offered %s from an "
                  "earlier handshake and we took it, so no certificate was sent and nothing "
                  "was signed. The diagram is %s; below, how it differs from %s.</p>\n",
                  render_ticket_kind(v->info), flow_variant_name(fv),
                  flow_variant_name(flow_full_of(v->info)));
    else if (v->sites && fv == FLOW_TLS13)
        sb_printf(o,
                  "<p class=\"note\">In TLS 1.3 the key exchange comes first: step 3 rides in "
                  "your ClientHello, step 4 in our ServerHello, and the certificate (step 1) "
                  "already travels encrypted. <a class=\"other-flow\" "
                  "href=\"https://classic.localhost:%u/\">The classic flow</a> (TLS 1.2, RSA "
                  "key transport) is one step away.</p>\n",
                  v->local_port);
    else if (v->sites)
        sb_printf(o,
                  "<p class=\"note\">This is %s. <a class=\"other-flow\" "
                  "href=\"https://localhost:%u/\">The same server on localhost</a> speaks "
                  "TLS 1.3 to a client that offers it.</p>\n",
                  flow_variant_name(fv), v->local_port);
    diagram(v, o);
    step_cards(v, o);
    client_certificate(v, o);
    compared(v, o);
    negotiated(v, o);
    hello(v, o);
    trace_table(v, o);
    scenarios(v, o);
    sb_printf(o,
              "<p class=\"muted\">Also: <a href=\"/json\">/json</a> (the same data plus "
              "the ClientHello and JA3). From a terminal: <code>curl --cacert "
              "tlsflow-pki/ca.pem https://localhost:%u/</code></p></main></body></html>\n",
              v->local_port);
}
