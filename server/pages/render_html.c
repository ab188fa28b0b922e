/* The handshake as an HTML page: an inline-SVG sequence diagram of this very
 * connection with the five steps marked, then the values behind each step. */
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
    "height:auto}";

/* One row of the sequence diagram. */
typedef enum { TO_SERVER, TO_CLIENT, AT_CLIENT, AT_SERVER, BOTH } row_kind;

typedef struct {
    row_kind kind;
    int step; /* 1..5 or 0 */
    const char *label;
    char detail[600];
} row;

static void svg_text(sbuf *o, int x, int y, const char *anchor, const char *style, const char *text)
{
    sb_printf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" %s>", x, y, anchor, style);
    sb_html(o, text);
    sb_puts(o, "</text>");
}

static void svg_row(sbuf *o, const row *r, int y)
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
    switch (r->kind) {
    case TO_SERVER:
    case TO_CLIENT: {
        int from = r->kind == TO_SERVER ? X_CLIENT : X_SERVER;
        int to = r->kind == TO_SERVER ? X_SERVER - 6 : X_CLIENT + 6;
        sb_printf(o,
                  "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                  "stroke-width=\"%d\" marker-end=\"url(#ah%d)\"/>",
                  from, y, to, y, color, r->step ? 3 : 2, r->step);
        svg_text(o, mid, y - 8, "middle", bold, r->label);
        svg_text(o, mid, y + 17, "middle", small, r->detail);
        break;
    }
    case AT_CLIENT:
    case AT_SERVER: {
        int x = r->kind == AT_CLIENT ? X_CLIENT : X_SERVER;
        int w = 360, left = r->kind == AT_CLIENT ? x - 110 : x - w + 110;
        sb_printf(o,
                  "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"42\" rx=\"8\" "
                  "fill=\"#fff\" stroke=\"%s\" stroke-width=\"2\"/>",
                  left, y - 22, w, color);
        svg_text(o, left + w / 2, y - 4, "middle", bold, r->label);
        svg_text(o, left + w / 2, y + 13, "middle", small, r->detail);
        break;
    }
    case BOTH:
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

static size_t build_rows(const conn_view *v, row *rows)
{
    const tlsflow_info *in = v->info;
    const tlsflow_hello_info *h = &in->client_hello;
    char b[16];
    size_t n = 0;
    rows[n] = (row){TO_SERVER, 0, "ClientHello", ""};
    snprintf(rows[n++].detail, sizeof(rows[0].detail), "%s, %zu suites, SNI %s%s%s",
             version_name(h->version), h->n_suites, in->server_name[0] ? in->server_name : "(none)",
             h->alpn[0] ? ", ALPN " : "", h->alpn);
    rows[n] = (row){TO_CLIENT, 0, "ServerHello", ""};
    snprintf(rows[n++].detail, sizeof(rows[0].detail), "%s%s", render_suite(in->cipher_suite, b),
             in->ems ? ", extended master secret" : "");
    rows[n] = (row){TO_CLIENT, 1, "Certificate", ""};
    snprintf(rows[n++].detail, sizeof(rows[0].detail), "%s, %s %d-bit public key", in->cert.subject,
             in->cert.key_type ? in->cert.key_type : "?", in->cert.key_bits);
    int ecdhe = flow_is_ecdhe(in);
    if (ecdhe) {
        rows[n] = (row){TO_CLIENT, 0, "ServerKeyExchange", ""};
        snprintf(rows[n++].detail, sizeof(rows[0].detail), "%s public value (%zu bytes), signed %s",
                 in->group_name, in->server_public_len, in->signature_scheme_name);
    }
    rows[n] = (row){TO_CLIENT, 0, "ServerHelloDone", ""};
    n++;
    rows[n] =
        (row){AT_CLIENT, 2,
              ecdhe ? "verify chain, host name, signature" : "verify chain, dates, host name", ""};
    snprintf(rows[n++].detail, sizeof(rows[0].detail), "issuer %s", in->cert.issuer);
    rows[n] = (row){TO_SERVER, 3, "ClientKeyExchange", ""};
    if (ecdhe)
        snprintf(rows[n++].detail, sizeof(rows[0].detail),
                 "the client's %s public value: %zu bytes", in->group_name, in->client_public_len);
    else
        snprintf(rows[n++].detail, sizeof(rows[0].detail),
                 "premaster secret, RSA-encrypted: %zu bytes", in->encrypted_premaster_len);
    if (ecdhe) {
        rows[n] = (row){AT_SERVER, 4, "compute the shared secret", ""};
        snprintf(rows[n++].detail, sizeof(rows[0].detail),
                 "ECDH(%s) -> master secret -> record keys", in->group_name);
    } else {
        rows[n] = (row){AT_SERVER, 4, "decrypt with the private key", ""};
        snprintf(rows[n++].detail, sizeof(rows[0].detail),
                 "48-byte premaster -> master secret -> record keys");
    }
    rows[n] = (row){TO_SERVER, 0, "ChangeCipherSpec, Finished", ""};
    snprintf(rows[n++].detail, sizeof(rows[0].detail), "first encrypted record from the client");
    rows[n] = (row){TO_CLIENT, 0, "ChangeCipherSpec, Finished", ""};
    snprintf(rows[n++].detail, sizeof(rows[0].detail), "client's Finished %s",
             trace_store_find(v->trace, TLSFLOW_STEP_FINISHED_VERIFIED) ? "verified"
                                                                        : "not verified");
    rows[n] = (row){BOTH, 5, "application data", ""};
    snprintf(rows[n++].detail, sizeof(rows[0].detail), "AEAD records: %llu in, %llu out so far",
             (unsigned long long)in->records_in, (unsigned long long)in->records_out);
    return n;
}

static void diagram(const conn_view *v, sbuf *o)
{
    row rows[12];
    size_t n = build_rows(v, rows);
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

static void step_cards(const conn_view *v, sbuf *o)
{
    const tlsflow_info *in = v->info;
    int ecdhe = flow_is_ecdhe(in);
    char line[400], nb[32], na[32], b[16];
    sb_puts(o, "<h2>The five steps, with this connection's values</h2><ol class=\"steps\">");
    for (int s = 1; s <= FLOW_STEPS; s++) {
        sb_printf(o, "<li><span class=\"badge\" style=\"background:%s\">%d</span><div><b>",
                  step_color[s], s);
        sb_html(o, flow_title(s, ecdhe));
        sb_puts(o, "</b><br>");
        sb_html(o, flow_explain(s, ecdhe));
        const char *t = NULL;
        switch (s) {
        case 1:
            render_time(in->cert.not_before, nb);
            render_time(in->cert.not_after, na);
            snprintf(line, sizeof(line), "subject %s | issuer %s | valid %s .. %s | %s %d bits",
                     in->cert.subject, in->cert.issuer, nb, na,
                     in->cert.key_type ? in->cert.key_type : "?", in->cert.key_bits);
            observed(o, line);
            t = trace_store_find(v->trace, TLSFLOW_STEP_CERTIFICATE_SENT);
            if (ecdhe && trace_store_find(v->trace, TLSFLOW_STEP_SERVER_KEY_EXCHANGE_SENT))
                observed(o, trace_store_find(v->trace, TLSFLOW_STEP_SERVER_KEY_EXCHANGE_SENT));
            break;
        case 2:
            observed(o, "Happens inside your client. The server sees the outcome: your "
                        "client went on with ClientKeyExchange instead of an alert.");
            break;
        case 3:
            if (ecdhe)
                snprintf(line, sizeof(line),
                         "ClientKeyExchange carried the client's %zu-byte %s public value",
                         in->client_public_len, in->group_name);
            else
                snprintf(line, sizeof(line),
                         "ClientKeyExchange carried %zu bytes of RSA ciphertext (the 48-byte "
                         "premaster, padded and encrypted under the certificate's key)",
                         in->encrypted_premaster_len);
            observed(o, line);
            break;
        case 4:
            t = trace_store_find(v->trace, ecdhe ? TLSFLOW_STEP_SHARED_SECRET_COMPUTED
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

static void negotiated(const conn_view *v, sbuf *o)
{
    const tlsflow_info *in = v->info;
    char b[16], line[300], nb[32], na[32];
    sb_puts(o, "<h2>What was negotiated</h2><table>");
    tr(o, "Version", version_name(in->version));
    snprintf(line, sizeof(line), "%s (0x%04x)", render_suite(in->cipher_suite, b),
             in->cipher_suite);
    tr(o, "Cipher suite", line);
    tr(o, "Server name (SNI)", in->server_name[0] ? in->server_name : "(none sent)");
    tr(o, "ALPN", in->alpn[0] ? in->alpn : "(none)");
    tr(o, "Extended master secret", in->ems ? "yes (RFC 7627)" : "no");
    tr(o, "Secure renegotiation", in->secure_renegotiation ? "yes (RFC 5746)" : "no");
    tr(o, "Certificate subject", in->cert.subject);
    tr(o, "Certificate issuer", in->cert.issuer);
    render_time(in->cert.not_before, nb);
    render_time(in->cert.not_after, na);
    snprintf(line, sizeof(line), "%s .. %s", nb, na);
    tr(o, "Validity", line);
    snprintf(line, sizeof(line), "%s, %d bits", in->cert.key_type ? in->cert.key_type : "?",
             in->cert.key_bits);
    tr(o, "Public key", line);
    tr(o, "Key exchange", in->key_exchange);
    if (flow_is_ecdhe(in)) {
        snprintf(line, sizeof(line), "%s; public values: server %zu bytes, client %zu bytes",
                 in->group_name, in->server_public_len, in->client_public_len);
        tr(o, "ECDHE group", line);
        snprintf(line, sizeof(line), "%s, %zu bytes", in->signature_scheme_name, in->signature_len);
        tr(o, "ServerKeyExchange signature", line);
    } else {
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
    const tlsflow_hello_info *h = &v->info->client_hello;
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
        tlsflow_step s = (tlsflow_step)v->trace->step[i];
        int f = flow_step_number(s);
        sb_printf(o, "<tr><td class=\"mono\">%.1f</td><td>", v->trace->at_us[i] / 1000.0);
        if (f)
            sb_printf(o,
                      "<span class=\"badge\" style=\"display:inline-flex;width:20px;"
                      "height:20px;font-size:12px;background:%s\">%d</span> ",
                      step_color[f], f);
        sb_printf(o, "<b>%s</b> <span class=\"mono\">", flow_step_label(s));
        sb_html(o, trace_store_text(v->trace, i));
        sb_puts(o, "</span></td></tr>");
    }
    sb_puts(o, "</table>\n");
}

static void scenarios(const conn_view *v, sbuf *o)
{
    size_t n;
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
    sb_printf(o,
              "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
              "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
              "<title>tlsflow: your TLS handshake</title><style>%s</style></head>"
              "<body><main><h1>Your TLS 1.2 handshake, step by step</h1><p class=\"sub\">",
              css);
    sb_html(o, render_suite(v->info->cipher_suite, b));
    sb_puts(o, " with ");
    sb_html(o, v->info->server_name[0] ? v->info->server_name : "no SNI");
    sb_puts(o, ". The diagram shows the connection that fetched this page; the values "
               "are the real ones the engine saw.</p>\n");
    diagram(v, o);
    step_cards(v, o);
    negotiated(v, o);
    hello(v, o);
    trace_table(v, o);
    if (v->scenarios)
        scenarios(v, o);
    sb_printf(o,
              "<p class=\"muted\">Also: <a href=\"/json\">/json</a> (the same data plus "
              "the ClientHello and JA3). From a terminal: <code>curl --cacert "
              "tlsflow-pki/ca.pem https://localhost:%u/</code></p></main></body></html>\n",
              v->local_port);
}
