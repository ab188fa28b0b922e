/* The handshake as plain text for curl and other terminals: short lines, the five
 * steps first, then the details. Kept under RENDER_TEXT_MAX so it is one record. */
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

/* The engine's own sentence for a step, indented under the step. */
static void engine_line(const conn_view *v, sbuf *out, tlsflow_step step)
{
    const char *t = trace_store_find(v->trace, step);
    if (t && *t)
        sb_printf(out, "     engine: %s\n", t);
}

static void five_steps(const conn_view *v, sbuf *out)
{
    const tlsflow_info *in = v->info;
    int ecdhe = flow_is_ecdhe(in);
    char nb[32], na[32];
    render_time(in->cert.not_before, nb);
    render_time(in->cert.not_after, na);

    sb_printf(out, " 1. %s\n", flow_title(1, ecdhe));
    sb_printf(out,
              "     subject %s\n     issuer  %s\n     valid   %s .. %s\n     key     %s %d bits\n",
              in->cert.subject, in->cert.issuer, nb, na,
              in->cert.key_type ? in->cert.key_type : "?", in->cert.key_bits);
    engine_line(v, out, TLSFLOW_STEP_CERTIFICATE_SENT);
    if (ecdhe) {
        sb_printf(out, "     ServerKeyExchange: %s public value (%zu bytes), signed with %s\n",
                  in->group_name, in->server_public_len, in->signature_scheme_name);
        engine_line(v, out, TLSFLOW_STEP_SERVER_KEY_EXCHANGE_SENT);
    }

    sb_printf(out, " 2. %s\n", flow_title(2, ecdhe));
    sb_puts(out, "     done inside your client; the server sees only the result:\n"
                 "     it answered with ClientKeyExchange, not with an alert\n");

    sb_printf(out, " 3. %s\n", flow_title(3, ecdhe));
    if (ecdhe)
        sb_printf(out, "     ClientKeyExchange carried your %zu-byte %s public value\n",
                  in->client_public_len, in->group_name);
    else
        sb_printf(out,
                  "     ClientKeyExchange carried %zu bytes: the 48-byte premaster,\n"
                  "     RSA-encrypted under the key in the certificate\n",
                  in->encrypted_premaster_len);

    sb_printf(out, " 4. %s\n", flow_title(4, ecdhe));
    engine_line(v, out,
                ecdhe ? TLSFLOW_STEP_SHARED_SECRET_COMPUTED : TLSFLOW_STEP_PREMASTER_DECRYPTED);
    engine_line(v, out, TLSFLOW_STEP_KEYS_DERIVED);

    char sb16[16];
    sb_printf(out, " 5. %s\n", flow_title(5, ecdhe));
    sb_printf(out, "     Finished verified: %s\n",
              trace_store_find(v->trace, TLSFLOW_STEP_FINISHED_VERIFIED) ? "yes" : "no");
    sb_printf(out, "     records protected with %s\n", render_suite(in->cipher_suite, sb16));
    sb_printf(out, "     so far: %llu records in, %llu out; this is request %u\n",
              (unsigned long long)in->records_in, (unsigned long long)in->records_out, v->requests);
}

static void hello_summary(const conn_view *v, sbuf *out)
{
    const tlsflow_hello_info *h = &v->info->client_hello;
    char b[16];
    sb_printf(out, "Your ClientHello (%s) offered %zu cipher suites:\n", version_name(h->version),
              h->n_suites);
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

void render_text(const conn_view *v, sbuf *out)
{
    const tlsflow_info *in = v->info;
    char b[16];
    sb_puts(out, "tlsflow: the TLS 1.2 handshake of this very connection\n"
                 "=======================================================\n\n");
    sb_printf(out, "client   %s\nserver   %s\n", v->peer, v->local);
    sb_printf(out, "version  %s\n", version_name(in->version));
    sb_printf(out, "suite    %s (0x%04x)\n", render_suite(in->cipher_suite, b), in->cipher_suite);
    if (flow_is_ecdhe(in))
        sb_printf(out, "kx       ECDHE over %s, signed with %s (forward secrecy)\n", in->group_name,
                  in->signature_scheme_name);
    else
        sb_printf(out, "kx       RSA key transport (the premaster travels encrypted)\n");
    sb_printf(out, "SNI      %s\n", in->server_name[0] ? in->server_name : "(none sent)");
    sb_printf(out, "ALPN     %s\n", in->alpn[0] ? in->alpn : "(none)");
    sb_printf(out, "EMS      %s   secure renegotiation %s\n\n", in->ems ? "yes (RFC 7627)" : "no",
              in->secure_renegotiation ? "yes" : "no");

    sb_puts(out, "The five steps\n--------------\n");
    five_steps(v, out);

    sb_puts(out, "\nEngine trace (ms since accept)\n------------------------------\n");
    for (unsigned i = 0; i < v->trace->n; i++)
        sb_printf(out, "%7.1f  %-26s %s\n", v->trace->at_us[i] / 1000.0,
                  flow_step_label((tlsflow_step)v->trace->step[i]), trace_store_text(v->trace, i));
    sb_puts(out, "\n");
    hello_summary(v, out);

    sb_printf(out, "\nMore: https://localhost:%u/json (with JA3); a browser gets a diagram.\n",
              v->local_port);
    if (v->scenarios) {
        size_t n;
        const scenario *s = scenario_list(&n);
        sb_puts(out,
                "Scenarios that must fail verification (use --resolve NAME:PORT:127.0.0.1):\n");
        for (size_t i = 0; i < n; i++)
            sb_printf(out, "  https://%s:%u/  -> %s\n", s[i].name, v->local_port, s[i].expect);
    }
}
