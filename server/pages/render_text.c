/* The handshake as plain text for curl and other terminals: short lines, the five
 * steps first, then the client certificate, the messages, what differs from the other
 * flow, and the details. Kept under RENDER_TEXT_MAX so it is one record. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flow_steps.h"
#include "hello_names.h"
#include "pki/local_pki.h"
#include "render.h"

void render_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t == 0 || !gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, 32, "%s", t ? "?" : "-");
}

const char *render_suite(uint16_t suite, char buf[16])
{
    const char *n = suite_name(suite);
    if (n)
        return n;
    snprintf(buf, 16, "0x%04x", suite);
    return buf;
}

unsigned render_tickets_sent(const conn_view *v)
{
    return trace_store_count(v->trace, TLSFLOW_STEP_SESSION_TICKET_SENT);
}

flow_facts render_facts(const conn_view *v)
{
    flow_facts f = {v->info, trace_store_find(v->trace, TLSFLOW_STEP_FINISHED_VERIFIED) != NULL,
                    trace_store_find(v->trace, TLSFLOW_STEP_CERTIFICATE_VERIFY_VERIFIED),
                    render_tickets_sent(v)};
    return f;
}

flow_variant render_compared(const conn_view *v, flow_diff *d)
{
    flow_variant fv = flow_variant_of(v->info);
    /* A resumed handshake beside the full one it stands in for; a full one beside the
     * other full flow this server shows. */
    flow_variant other = flow_is_resumed(fv) ? flow_full_of(v->info)
                         : fv == FLOW_TLS13  ? FLOW_RSA12
                                             : FLOW_TLS13;
    flow_facts f = render_facts(v);
    flow_compare(fv, other, &f, d);
    return other;
}

const char *render_ticket_kind(const tlsflow_info *in)
{
    return in->version == TLSFLOW_VERSION_TLS13
               ? "a TLS 1.3 PSK ticket (pre_shared_key with a fresh key share, psk_dhe_ke)"
               : "a TLS 1.2 session ticket (RFC 5077)";
}

const char *render_client_verdict(const tlsflow_info *in)
{
    return in->client_cert_verdict == 0 ? "verified: chains to a trusted client CA, valid now"
                                        : tlsflow_error_name(in->client_cert_verdict);
}

/* The engine's own sentence for a step, indented under the step. */
static void engine_line(const conn_view *v, sbuf *out, tlsflow_step step)
{
    const char *t = trace_store_find(v->trace, step);
    if (t && *t)
        sb_printf(out, "     engine: %s\n", t);
}

/* The five steps of a resumed handshake: no certificate, the ticket instead. */
static void five_steps_resumed(const conn_view *v, sbuf *out)
{
    const tlsflow_info *in = v->info;
    flow_variant fv = flow_variant_of(in);
    char sb16[16];
    sb_printf(out, " 1. %s\n", flow_title(1, fv));
    sb_printf(out, "     no Certificate%s sent: this connection resumed from\n     %s\n",
              fv == FLOW_PSK13 ? " and no CertificateVerify were" : " was", render_ticket_kind(in));
    sb_printf(out, " 2. %s\n", flow_title(2, fv));
    sb_puts(out, "     your client checked our certificate in the handshake that issued the\n"
                 "     ticket; this time our Finished, keyed by the session's secret, vouches\n");
    sb_printf(out, " 3. %s\n", flow_title(3, fv));
    if (fv == FLOW_PSK13)
        sb_printf(out,
                  "     your ClientHello carried a %zu-byte %s key share and the ticket as\n"
                  "     pre_shared_key, with a binder proving you hold its key%s\n",
                  in->client_public_len, in->group_name,
                  in->hello_retry ? "\n     (in your second ClientHello, after a HelloRetryRequest)"
                                  : "");
    else
        sb_puts(out, "     your ClientHello carried the ticket in its SessionTicket extension\n");
    engine_line(v, out, TLSFLOW_STEP_CLIENT_HELLO_RECEIVED);
    sb_printf(out, " 4. %s\n", flow_title(4, fv));
    engine_line(v, out, TLSFLOW_STEP_SESSION_RESUMED);
    if (fv == FLOW_PSK13) {
        sb_printf(out,
                  "     ServerHello carried our %zu-byte %s key share: the keys mix the PSK\n"
                  "     with a fresh ECDH secret\n",
                  in->server_public_len, in->group_name);
        engine_line(v, out, TLSFLOW_STEP_HANDSHAKE_KEYS);
    } else {
        sb_puts(out, "     no key exchange: the master secret is the earlier session's\n");
        engine_line(v, out, TLSFLOW_STEP_KEYS_DERIVED);
    }
    sb_printf(out, " 5. %s\n", flow_title(5, fv));
    sb_printf(out, "     Finished verified: %s%s\n",
              trace_store_find(v->trace, TLSFLOW_STEP_FINISHED_VERIFIED) ? "yes" : "no",
              fv == FLOW_RESUME12 ? " (ours went first)" : "");
    sb_printf(out, "     records protected with %s\n", render_suite(in->cipher_suite, sb16));
    sb_printf(out, "     so far: %llu records in, %llu out; this is request %u\n",
              (unsigned long long)in->records_in, (unsigned long long)in->records_out, v->requests);
}

static void five_steps(const conn_view *v, sbuf *out)
{
    const tlsflow_info *in = v->info;
    flow_variant fv = flow_variant_of(in);
    if (flow_is_resumed(fv)) {
        five_steps_resumed(v, out);
        return;
    }
    char nb[32], na[32];
    render_time(in->cert.not_before, nb);
    render_time(in->cert.not_after, na);

    sb_printf(out, " 1. %s\n", flow_title(1, fv));
    sb_printf(out,
              "     subject %s\n     issuer  %s\n     valid   %s .. %s\n     key     %s %d bits\n",
              in->cert.subject, in->cert.issuer, nb, na,
              in->cert.key_type ? in->cert.key_type : "?", in->cert.key_bits);
    engine_line(v, out, TLSFLOW_STEP_CERTIFICATE_SENT);
    if (fv == FLOW_ECDHE12) {
        sb_printf(out, "     ServerKeyExchange: %s public value (%zu bytes), signed with %s\n",
                  in->group_name, in->server_public_len, in->signature_scheme_name);
        engine_line(v, out, TLSFLOW_STEP_SERVER_KEY_EXCHANGE_SENT);
    }

    sb_printf(out, " 2. %s\n", flow_title(2, fv));
    sb_printf(out,
              "     done inside your client; the server sees only the result:\n"
              "     it answered with %s, not with an alert\n",
              fv == FLOW_TLS13 ? "its Finished" : "ClientKeyExchange");

    sb_printf(out, " 3. %s\n", flow_title(3, fv));
    if (fv == FLOW_TLS13) {
        sb_printf(out, "     your ClientHello carried a %zu-byte %s key share\n",
                  in->client_public_len, in->group_name);
        if (in->hello_retry)
            sb_printf(out,
                      "     (in your second ClientHello: the first had no share for a group\n"
                      "     we take, so a HelloRetryRequest asked for %s)\n",
                      in->group_name);
    } else if (fv == FLOW_ECDHE12) {
        sb_printf(out, "     ClientKeyExchange carried your %zu-byte %s public value\n",
                  in->client_public_len, in->group_name);
    } else {
        sb_printf(out,
                  "     ClientKeyExchange carried %zu bytes: the 48-byte premaster,\n"
                  "     RSA-encrypted under the key in the certificate\n",
                  in->encrypted_premaster_len);
    }

    sb_printf(out, " 4. %s\n", flow_title(4, fv));
    if (fv == FLOW_TLS13) {
        sb_printf(out, "     ServerHello carried our %zu-byte %s key share\n",
                  in->server_public_len, in->group_name);
        engine_line(v, out, TLSFLOW_STEP_HANDSHAKE_KEYS);
        sb_printf(out, "     CertificateVerify: %s signature over the transcript, %zu bytes\n",
                  in->signature_scheme_name, in->signature_len);
        engine_line(v, out, TLSFLOW_STEP_CERTIFICATE_VERIFY_SENT);
    } else {
        engine_line(v, out,
                    fv == FLOW_ECDHE12 ? TLSFLOW_STEP_SHARED_SECRET_COMPUTED
                                       : TLSFLOW_STEP_PREMASTER_DECRYPTED);
    }
    engine_line(v, out, TLSFLOW_STEP_KEYS_DERIVED);

    char sb16[16];
    sb_printf(out, " 5. %s\n", flow_title(5, fv));
    sb_printf(out, "     Finished verified: %s\n",
              trace_store_find(v->trace, TLSFLOW_STEP_FINISHED_VERIFIED) ? "yes" : "no");
    sb_printf(out, "     records protected with %s\n", render_suite(in->cipher_suite, sb16));
    sb_printf(out, "     so far: %llu records in, %llu out; this is request %u\n",
              (unsigned long long)in->records_in, (unsigned long long)in->records_out, v->requests);
}

static void client_certificate(const conn_view *v, sbuf *out)
{
    const tlsflow_info *in = v->info;
    sb_puts(out, "\nClient certificate\n------------------\n");
    if (!in->client_cert_requested) {
        sb_puts(out, "not asked for on this name (mtls.localhost asks; so does --client-auth)\n");
        return;
    }
    if (!in->client_cert_sent) {
        sb_puts(out, "asked for; none presented (the server's policy let you in without)\n");
        return;
    }
    const tlsflow_cert_info *cc = &in->client_cert;
    char nb[32], na[32];
    render_time(cc->not_before, nb);
    render_time(cc->not_after, na);
    sb_printf(out, "subject  %s\nissuer   %s\nvalid    %s .. %s\nkey      %s %d bits\n",
              cc->subject, cc->issuer, nb, na, cc->key_type ? cc->key_type : "?", cc->key_bits);
    sb_printf(out, "result   %s\n", render_client_verdict(in));
    const char *cv = trace_store_find(v->trace, TLSFLOW_STEP_CERTIFICATE_VERIFY_VERIFIED);
    if (cv)
        sb_printf(out, "proof    %s\n", cv);
    if (v->client_ids)
        sb_printf(out, "sha256   %s\npin      %s\nchain    %zu certificate(s)\n",
                  v->client_ids->sha256, v->client_ids->pin, v->client_ids->chain_len);
}

static const char *arrow(seq_dir d)
{
    switch (d) {
    case SEQ_TO_SERVER:
        return "C -> S";
    case SEQ_TO_CLIENT:
        return "C <- S";
    case SEQ_AT_CLIENT:
        return "C     ";
    case SEQ_AT_SERVER:
        return "     S";
    case SEQ_BOTH:
        return "C <> S";
    }
    return "";
}

static void messages(const conn_view *v, sbuf *out)
{
    flow_variant fv = flow_variant_of(v->info);
    flow_facts f = render_facts(v);
    flow_line lines[FLOW_LINES_MAX];
    size_t n = flow_sequence(fv, &f, lines, FLOW_LINES_MAX);
    sb_printf(out, "\nThe messages (%s; [n] = step, * = encrypted)\n-------------\n",
              flow_variant_name(fv));
    for (size_t i = 0; i < n; i++) {
        char step[8] = "   ";
        if (lines[i].step)
            snprintf(step, sizeof(step), "[%d]", lines[i].step);
        sb_printf(out, "%s %s %s %-28s %s\n", arrow(lines[i].dir), lines[i].encrypted ? "*" : " ",
                  step, lines[i].label, lines[i].detail);
    }
}

/* Against the other flow this server shows: TLS 1.3 on the default name, the classic
 * flow on classic.localhost. */
static void compared(const conn_view *v, sbuf *out)
{
    flow_diff d;
    flow_variant other = render_compared(v, &d);
    sb_printf(out, "\nCompared with %s\n-------------\n", flow_variant_name(other));
    sb_puts(out, "only here:   ");
    for (size_t i = 0; i < d.n_added; i++)
        sb_printf(out, "%s%s", i ? ", " : "", d.added[i]);
    sb_puts(out, d.n_added ? "\nnot here:    " : "-\nnot here:    ");
    for (size_t i = 0; i < d.n_gone; i++)
        sb_printf(out, "%s%s", i ? ", " : "", d.gone[i]);
    sb_puts(out, d.n_gone ? "\n" : "-\n");
    for (size_t i = 0; i < d.n_changed; i++)
        sb_printf(out, "changed:     %s %s: %s\n", d.changed[i].label,
                  flow_dir_words(d.changed[i].dir), d.changed[i].why);
    if (flow_is_resumed(flow_variant_of(v->info)))
        sb_puts(out, "see it:      connect without the ticket (a new session)\n");
    else if (v->sites && other == FLOW_TLS13)
        sb_printf(out, "see it:      curl --cacert tlsflow-pki/ca.pem https://localhost:%u/\n",
                  v->local_port);
    else if (v->sites)
        sb_printf(out,
                  "see it:      curl --cacert tlsflow-pki/ca.pem --resolve "
                  "classic.localhost:%u:127.0.0.1 \\\n"
                  "                  https://classic.localhost:%u/\n",
                  v->local_port, v->local_port);
}

static void hello_summary(const conn_view *v, sbuf *out)
{
    const tlsflow_hello_info *h = v->info->client_hello;
    char b[16];
    int tls13 = 0;
    for (size_t i = 0; i < h->n_extensions; i++)
        tls13 |= h->extensions[i] == 43; /* supported_versions */
    sb_printf(out, "Your ClientHello (%s%s) offered %zu cipher suites:\n", version_name(h->version),
              tls13 ? " in legacy_version, more in supported_versions" : "", h->n_suites);
    for (size_t i = 0; i < h->n_suites; i++) {
        if (is_grease(h->suites[i]))
            continue;
        sb_printf(out, "  %s %s\n", h->suites[i] == v->info->cipher_suite ? "*" : " ",
                  render_suite(h->suites[i], b));
    }
    sb_puts(out, "  (* = chosen)\n");
    sb_puts(out, "Extensions:");
    for (size_t i = 0; i < h->n_extensions; i++) {
        const char *n = extension_name(h->extensions[i]);
        if (n)
            sb_printf(out, " %s", n);
        else
            sb_printf(out, " %u", (unsigned)h->extensions[i]);
    }
    sb_puts(out, "\n");
}

/* The key exchange in one line. */
static void kx_line(const tlsflow_info *in, sbuf *out)
{
    switch (flow_variant_of(in)) {
    case FLOW_TLS13:
        sb_printf(out,
                  "kx       ECDHE over %s: key shares of %zu (you) and %zu (us) bytes%s\n"
                  "auth     CertificateVerify, %s, %zu bytes\n",
                  in->group_name, in->client_public_len, in->server_public_len,
                  in->hello_retry ? ", after a HelloRetryRequest" : "", in->signature_scheme_name,
                  in->signature_len);
        break;
    case FLOW_ECDHE12:
        sb_printf(out, "kx       ECDHE over %s, signed with %s (forward secrecy)\n", in->group_name,
                  in->signature_scheme_name);
        break;
    case FLOW_RSA12:
        sb_printf(out, "kx       RSA key transport (the premaster travels encrypted)\n");
        break;
    case FLOW_PSK13:
        sb_printf(out,
                  "kx       the ticket's PSK with ECDHE over %s: key shares of %zu (you) and %zu "
                  "(us) bytes%s\n"
                  "auth     the PSK (its binder, then Finished): no certificate, no signature\n",
                  in->group_name, in->client_public_len, in->server_public_len,
                  in->hello_retry ? ", after a HelloRetryRequest" : "");
        break;
    case FLOW_RESUME12:
        sb_printf(out, "kx       none: the master secret comes from the session ticket\n");
        break;
    }
}

/* Whether this handshake was resumed, and the tickets it issued for later ones. */
static void resumption_line(const conn_view *v, sbuf *out)
{
    const tlsflow_info *in = v->info;
    unsigned t = render_tickets_sent(v);
    if (in->resumed)
        sb_printf(out, "resumed  yes: from %s;\n         no certificate was sent\n",
                  render_ticket_kind(in));
    else
        sb_printf(out, "resumed  no: a full handshake\n");
    if (t)
        sb_printf(out,
                  "tickets  %u sent on this connection: offer one to resume without a "
                  "certificate\n",
                  t);
    else if (!in->resumed)
        sb_printf(out, "tickets  none sent%s\n",
                  in->client_cert_requested
                      ? " (not where a client certificate is asked for)"
                      : " (tickets off, or a TLS 1.2 client that did not ask)");
}

void render_text(const conn_view *v, sbuf *out)
{
    const tlsflow_info *in = v->info;
    char b[16];
    sb_printf(out,
              "tlsflow: the %s handshake of this very connection\n"
              "=======================================================\n\n",
              version_name(in->version));
    sb_printf(out, "client   %s\nserver   %s\n", v->peer, v->local);
    sb_printf(out, "version  %s\n", version_name(in->version));
    sb_printf(out, "suite    %s (0x%04x)\n", render_suite(in->cipher_suite, b), in->cipher_suite);
    kx_line(in, out);
    sb_printf(out, "SNI      %s\n", in->server_name[0] ? in->server_name : "(none sent)");
    if (v->site)
        sb_printf(out, "site     %s: its own engine configuration\n", v->site);
    sb_printf(out, "ALPN     %s\n", in->alpn[0] ? in->alpn : "(none)");
    resumption_line(v, out);
    if (in->version == TLSFLOW_VERSION_TLS13)
        sb_puts(out, "EMS      built in (TLS 1.3 binds every key to the transcript)\n\n");
    else
        sb_printf(out, "EMS      %s   secure renegotiation %s\n\n",
                  in->ems ? "yes (RFC 7627)" : "no", in->secure_renegotiation ? "yes" : "no");

    sb_puts(out, "The five steps\n--------------\n");
    five_steps(v, out);
    client_certificate(v, out);
    messages(v, out);
    compared(v, out);

    sb_puts(out, "\nEngine trace (ms since accept)\n------------------------------\n");
    for (unsigned i = 0; i < v->trace->n; i++)
        sb_printf(out, "%7.1f  %-34s %s\n", trace_store_at_us(v->trace, i) / 1000.0,
                  flow_step_label_in(trace_store_step(v->trace, i), TLSFLOW_SERVER),
                  trace_store_text(v->trace, i));
    sb_puts(out, "\n");
    hello_summary(v, out);

    sb_printf(out, "\nMore: https://localhost:%u/json (with JA3); a browser gets a diagram.\n",
              v->local_port);
    if (v->sites) {
        size_t n;
        const site_info *s = site_list(&n);
        sb_puts(out, "Sites with their own configuration (use --resolve NAME:PORT:127.0.0.1):\n");
        for (size_t i = 0; i < n; i++)
            sb_printf(out, "  https://%s:%u/  %s\n", s[i].name, v->local_port, s[i].what);
    }
    if (v->scenarios) {
        size_t n;
        const scenario *s = scenario_list(&n);
        sb_puts(out,
                "Scenarios that must fail verification (use --resolve NAME:PORT:127.0.0.1):\n");
        for (size_t i = 0; i < n; i++)
            sb_printf(out, "  https://%s:%u/  -> %s\n", s[i].name, v->local_port, s[i].expect);
    }
}
