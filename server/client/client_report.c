#include "client_report.h"

#include <stdio.h>

#include "pages/flow_steps.h"
#include "pages/hello_names.h"
#include "util/files.h"

void report_trace(void *ctx, const tlsflow_conn *conn, const tlsflow_trace_event *ev)
{
    (void)ctx;
    (void)conn;
    int n = flow_step_number(ev->step);
    char tag[8] = "   ";
    if (n)
        snprintf(tag, sizeof(tag), "[%d]", n);
    fprintf(stderr, "%s %-26s %s\n", tag, flow_step_label(ev->step), ev->text ? ev->text : "");
    /* Step 4 happens on the server: say so where it belongs in the story. */
    if (ev->step == TLSFLOW_STEP_PREMASTER_ENCRYPTED)
        fprintf(stderr, "[4] %-26s %s\n", "Session key decrypted",
                "on the server; its Finished verifying below proves it");
    if (ev->step == TLSFLOW_STEP_CLIENT_KEY_SHARE_SENT)
        fprintf(stderr, "[4] %-26s %s\n", "Shared secret computed",
                "on the server too; its Finished verifying below proves it");
}

void report_keylog(void *ctx, const char *line)
{
    FILE *f = ctx;
    fprintf(f, "%s\n", line);
    fflush(f);
}

int report_established(tlsflow_conn *c, const client_opts *o)
{
    const tlsflow_info *in = tlsflow_get_info(c);
    char b[16];
    const char *suite = suite_name(in->cipher_suite);
    if (!suite) {
        snprintf(b, sizeof(b), "0x%04x", in->cipher_suite);
        suite = b;
    }
    /* The key exchange (ECDHE and TLS 1.3: group, whether a HelloRetryRequest came first,
     * the server's signature scheme); EMS only where it exists, TLS 1.2. */
    char kx[128] = "";
    if (in->group_name[0])
        snprintf(kx, sizeof(kx), ", group %s%s, signature %s", in->group_name,
                 in->hello_retry ? " after HelloRetryRequest" : "",
                 in->signature_scheme_name[0] ? in->signature_scheme_name
                 : in->resumed                ? "none (resumed)"
                                              : "?");
    fprintf(stderr, "handshake done: %s, %s%s%s, ALPN %s; server %s (%s %d bits), issuer %s\n",
            version_name(in->version), suite, kx,
            in->version == TLSFLOW_VERSION_TLS13 ? ""
            : in->ems                            ? ", EMS yes"
                                                 : ", EMS no",
            in->alpn[0] ? in->alpn : "none", in->cert.subject,
            in->cert.key_type ? in->cert.key_type : "?", in->cert.key_bits, in->cert.issuer);
    if (in->client_cert_requested && in->client_cert_sent)
        fprintf(stderr, "client certificate: requested, sent %s (%s %d bits), issuer %s\n",
                in->client_cert.subject, in->client_cert.key_type ? in->client_cert.key_type : "?",
                in->client_cert.key_bits, in->client_cert.issuer);
    else if (in->client_cert_requested)
        fprintf(stderr, "client certificate: requested, none sent (%s)\n",
                o->n_certs ? "none of ours fits what the server asked for" : "no --cert given");
    if (in->resumed)
        fprintf(stderr, "session: resumed from %s: no certificate was sent\n",
                in->version == TLSFLOW_VERSION_TLS13 ? "a TLS 1.3 PSK ticket (psk_dhe_ke)"
                                                     : "a TLS 1.2 session ticket");
    else if (o->offered_session > 0)
        fprintf(stderr, "session: full handshake (server declined)\n");
    else if (o->offered_session < 0)
        fprintf(stderr, "session: full handshake (the saved session had expired)\n");
    pins_report(&o->pins);
    for (int i = 0; i < o->n_exports; i++)
        if (export_print(&o->exports[i], c) != 0)
            return 1;
    return 0;
}

int report_closed(tlsflow_conn *c, const client_opts *o, int eof_ok)
{
    int err = tlsflow_last_error(c);
    if (err == TLSFLOW_OK)
        return 0;
    if (err == TLSFLOW_E_UNEXPECTED_EOF && eof_ok) {
        fprintf(stderr, "note: the server closed the connection without close_notify\n");
        return 0;
    }
    if (!pins_explain_failure(&o->pins, c))
        errorf("%s [%s]", tlsflow_last_error_text(c), tlsflow_error_name(err));
    return 1;
}
