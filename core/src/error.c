/* Errors, alerts and their names: one table, so every error has exactly one alert. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

typedef struct {
    int code;
    const char *name;
    int alert; /* -1: nothing to send */
    const char *text;
} tf_error_row;

static const tf_error_row ERRORS[] = {
    {TLSFLOW_OK, "TLSFLOW_OK", -1, "no error"},
    {TLSFLOW_E_USAGE, "TLSFLOW_E_USAGE", -1, "the API was used incorrectly"},
    {TLSFLOW_E_CONFIG, "TLSFLOW_E_CONFIG", TLSFLOW_ALERT_INTERNAL_ERROR,
     "the configuration is incomplete"},
    {TLSFLOW_E_INTERNAL, "TLSFLOW_E_INTERNAL", TLSFLOW_ALERT_INTERNAL_ERROR,
     "a cryptographic operation failed"},
    {TLSFLOW_E_UNEXPECTED_EOF, "TLSFLOW_E_UNEXPECTED_EOF", -1,
     "the peer closed the transport without close_notify"},
    {TLSFLOW_E_PEER_ALERT, "TLSFLOW_E_PEER_ALERT", -1, "the peer sent a fatal alert"},
    {TLSFLOW_E_DECODE, "TLSFLOW_E_DECODE", TLSFLOW_ALERT_DECODE_ERROR, "malformed message"},
    {TLSFLOW_E_UNEXPECTED_MESSAGE, "TLSFLOW_E_UNEXPECTED_MESSAGE", TLSFLOW_ALERT_UNEXPECTED_MESSAGE,
     "message not allowed in this state"},
    {TLSFLOW_E_RECORD_OVERFLOW, "TLSFLOW_E_RECORD_OVERFLOW", TLSFLOW_ALERT_RECORD_OVERFLOW,
     "record too large"},
    {TLSFLOW_E_BAD_RECORD_MAC, "TLSFLOW_E_BAD_RECORD_MAC", TLSFLOW_ALERT_BAD_RECORD_MAC,
     "a record failed authentication"},
    /* RFC 5246 §7.4.9, RFC 8446 §4.4.4: a Finished that does not verify is decrypt_error.
     * The record carrying the peer's first Finished fails to decrypt when its keys came from
     * a wrong premaster; that is reported as this same error, so a bad ClientKeyExchange
     * looks exactly like a bad Finished (RFC 5246 §7.4.7.1). */
    {TLSFLOW_E_BAD_FINISHED, "TLSFLOW_E_BAD_FINISHED", TLSFLOW_ALERT_DECRYPT_ERROR,
     "the peer's Finished did not verify"},
    {TLSFLOW_E_PROTOCOL_VERSION, "TLSFLOW_E_PROTOCOL_VERSION", TLSFLOW_ALERT_PROTOCOL_VERSION,
     "the peer does not offer TLS 1.2"},
    {TLSFLOW_E_HANDSHAKE_FAILURE, "TLSFLOW_E_HANDSHAKE_FAILURE", TLSFLOW_ALERT_HANDSHAKE_FAILURE,
     "no acceptable parameters in common"},
    {TLSFLOW_E_ILLEGAL_PARAMETER, "TLSFLOW_E_ILLEGAL_PARAMETER", TLSFLOW_ALERT_ILLEGAL_PARAMETER,
     "a field holds a forbidden value"},
    {TLSFLOW_E_UNSUPPORTED_EXTENSION, "TLSFLOW_E_UNSUPPORTED_EXTENSION",
     TLSFLOW_ALERT_UNSUPPORTED_EXTENSION, "the server answered an extension we did not offer"},
    {TLSFLOW_E_NO_APPLICATION_PROTOCOL, "TLSFLOW_E_NO_APPLICATION_PROTOCOL",
     TLSFLOW_ALERT_NO_APPLICATION_PROTOCOL, "no application protocol in common"},
    {TLSFLOW_E_HANDSHAKE_TOO_LARGE, "TLSFLOW_E_HANDSHAKE_TOO_LARGE",
     TLSFLOW_ALERT_ILLEGAL_PARAMETER, "handshake message larger than the configured cap"},
    {TLSFLOW_E_INSECURE_RENEGOTIATION, "TLSFLOW_E_INSECURE_RENEGOTIATION",
     TLSFLOW_ALERT_HANDSHAKE_FAILURE, "renegotiation_info check failed"},
    {TLSFLOW_E_BAD_SIGNATURE, "TLSFLOW_E_BAD_SIGNATURE", TLSFLOW_ALERT_DECRYPT_ERROR,
     "the server's signature over its key exchange parameters did not verify"},
    {TLSFLOW_E_CERT_EXPIRED, "TLSFLOW_E_CERT_EXPIRED", TLSFLOW_ALERT_CERTIFICATE_EXPIRED,
     "certificate expired"},
    /* No alert names "not yet valid": certificate_expired would be untrue. */
    {TLSFLOW_E_CERT_NOT_YET_VALID, "TLSFLOW_E_CERT_NOT_YET_VALID", TLSFLOW_ALERT_BAD_CERTIFICATE,
     "certificate not yet valid"},
    {TLSFLOW_E_CERT_UNKNOWN_CA, "TLSFLOW_E_CERT_UNKNOWN_CA", TLSFLOW_ALERT_UNKNOWN_CA,
     "certificate chain does not lead to a trusted root"},
    {TLSFLOW_E_CERT_SELF_SIGNED, "TLSFLOW_E_CERT_SELF_SIGNED", TLSFLOW_ALERT_UNKNOWN_CA,
     "self-signed certificate that is not trusted"},
    {TLSFLOW_E_CERT_HOSTNAME, "TLSFLOW_E_CERT_HOSTNAME", TLSFLOW_ALERT_BAD_CERTIFICATE,
     "certificate does not match the host name"},
    {TLSFLOW_E_CERT_SIGNATURE, "TLSFLOW_E_CERT_SIGNATURE", TLSFLOW_ALERT_BAD_CERTIFICATE,
     "a signature in the certificate chain is invalid"},
    {TLSFLOW_E_CERT_BAD, "TLSFLOW_E_CERT_BAD", TLSFLOW_ALERT_BAD_CERTIFICATE,
     "certificate cannot be parsed"},
    {TLSFLOW_E_CERT_UNSUPPORTED, "TLSFLOW_E_CERT_UNSUPPORTED",
     TLSFLOW_ALERT_UNSUPPORTED_CERTIFICATE, "certificate key cannot be used with this suite"},
    /* RFC 8446 §4.4.2.4: an empty server Certificate is decode_error (TLS 1.2 is silent). */
    {TLSFLOW_E_CERT_MISSING, "TLSFLOW_E_CERT_MISSING", TLSFLOW_ALERT_DECODE_ERROR,
     "the peer sent no certificate"},
    {TLSFLOW_E_CERT_REJECTED, "TLSFLOW_E_CERT_REJECTED", TLSFLOW_ALERT_BAD_CERTIFICATE,
     "the verification hook refused the certificate"},
    {TLSFLOW_E_MISSING_EXTENSION, "TLSFLOW_E_MISSING_EXTENSION", TLSFLOW_ALERT_MISSING_EXTENSION,
     "a mandatory extension is missing"},
    /* RFC 8446 §4.4.2.4; TLS 1.2 (RFC 5246 §7.4.6) sends handshake_failure instead. */
    {TLSFLOW_E_CERT_REQUIRED, "TLSFLOW_E_CERT_REQUIRED", TLSFLOW_ALERT_CERTIFICATE_REQUIRED,
     "a required client certificate is missing"},
};

static const tf_error_row *find_error(int code)
{
    for (size_t i = 0; i < sizeof(ERRORS) / sizeof(ERRORS[0]); i++)
        if (ERRORS[i].code == code)
            return &ERRORS[i];
    return NULL;
}

const char *tlsflow_error_name(int code)
{
    const tf_error_row *row = find_error(code);
    return row ? row->name : "TLSFLOW_E_UNKNOWN";
}

int tf_error_known(int err)
{
    return find_error(err) != NULL;
}

int tf_alert_for(int err)
{
    const tf_error_row *row = find_error(err);
    return row ? row->alert : TLSFLOW_ALERT_INTERNAL_ERROR;
}

const char *tlsflow_alert_name(int alert)
{
    switch (alert) {
    case 0:
        return "close_notify";
    case 10:
        return "unexpected_message";
    case 20:
        return "bad_record_mac";
    case 21:
        return "decryption_failed";
    case 22:
        return "record_overflow";
    case 30:
        return "decompression_failure";
    case 40:
        return "handshake_failure";
    case 42:
        return "bad_certificate";
    case 43:
        return "unsupported_certificate";
    case 44:
        return "certificate_revoked";
    case 45:
        return "certificate_expired";
    case 46:
        return "certificate_unknown";
    case 47:
        return "illegal_parameter";
    case 48:
        return "unknown_ca";
    case 49:
        return "access_denied";
    case 50:
        return "decode_error";
    case 51:
        return "decrypt_error";
    case 70:
        return "protocol_version";
    case 71:
        return "insufficient_security";
    case 80:
        return "internal_error";
    case 86:
        return "inappropriate_fallback";
    case 90:
        return "user_canceled";
    case 100:
        return "no_renegotiation";
    case 109:
        return "missing_extension";
    case 110:
        return "unsupported_extension";
    case 112:
        return "unrecognized_name";
    case 116:
        return "certificate_required";
    case 120:
        return "no_application_protocol";
    default:
        return "unknown_alert";
    }
}

int tf_fail(tlsflow_conn *c, int err, const char *text)
{
    if (c->error)
        return c->error; /* sticky: the first error wins */
    c->error = err;
    const tf_error_row *row = find_error(err);
    c->error_text = text ? text : (row ? row->text : "unknown error");
    /* Nothing more of the handshake goes out: only the alert. */
    c->hs_out_len = c->hs_out_off = 0;
    c->n_marks = 0;
    int alert = tf_alert_for(err);
    if (alert >= 0 && !c->in_eof) {
        c->pending_alert = alert;
        c->pending_alert_fatal = 1;
    }
    return err;
}

void tf_trace(tlsflow_conn *c, tlsflow_step step, const char *text)
{
    if (c->cfg->trace) {
        tlsflow_trace_event ev = {step, text};
        c->cfg->trace(c->cfg->trace_ctx, c, &ev);
    }
}

int tf_failf(tlsflow_conn *c, int err, const char *fmt, ...)
{
    if (c->error)
        return c->error;
    if (!c->work) /* released: no room for a sentence, the code's own text says it */
        return tf_fail(c, err, NULL);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->work->error_buf, sizeof(c->work->error_buf), fmt, ap);
    va_end(ap);
    return tf_fail(c, err, c->work->error_buf);
}

void tf_tracef(tlsflow_conn *c, tlsflow_step step, const char *fmt, ...)
{
    if (!c->cfg->trace)
        return;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    tf_trace(c, step, text);
}
