/* Every error the engine can fail with, the alert it sends, and the RFC text that names
 * that alert. The table is written from the RFCs, not from error.c: a change on either
 * side fails here. A second part drives real connections into a sample of these errors
 * and checks the alert that goes out on the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "record.h"
#include "tf_test.h"

typedef struct {
    int err;
    int alert; /* -1: nothing is sent */
    const char *why;
} row;

#define A(x) TLSFLOW_ALERT_##x
static const row TABLE[] = {
    {TLSFLOW_E_USAGE, -1, "our caller's mistake, not the peer's"},
    {TLSFLOW_E_CONFIG, A(INTERNAL_ERROR), "RFC 8446 §6.2 internal_error: unrelated to the peer"},
    {TLSFLOW_E_INTERNAL, A(INTERNAL_ERROR), "RFC 8446 §6.2 internal_error"},
    {TLSFLOW_E_UNEXPECTED_EOF, -1, "the transport is gone: nobody to tell"},
    {TLSFLOW_E_PEER_ALERT, -1, "RFC 8446 §6.2: no alert in answer to a fatal alert"},
    {TLSFLOW_E_DECODE, A(DECODE_ERROR), "RFC 5246 §7.2.2 decode_error: a field out of range"},
    {TLSFLOW_E_UNEXPECTED_MESSAGE, A(UNEXPECTED_MESSAGE), "RFC 5246 §7.2.2"},
    {TLSFLOW_E_RECORD_OVERFLOW, A(RECORD_OVERFLOW), "RFC 5246 §6.2.1, §6.2.3"},
    {TLSFLOW_E_BAD_RECORD_MAC, A(BAD_RECORD_MAC), "RFC 5246 §6.2.3.3"},
    {TLSFLOW_E_BAD_FINISHED, A(DECRYPT_ERROR), "RFC 5246 §7.4.9, §7.4.7.1; RFC 8446 §4.4.4"},
    {TLSFLOW_E_PROTOCOL_VERSION, A(PROTOCOL_VERSION), "RFC 5246 §7.2.2, RFC 8446 §4.2.1"},
    {TLSFLOW_E_HANDSHAKE_FAILURE, A(HANDSHAKE_FAILURE), "RFC 5246 §7.4.1.3"},
    {TLSFLOW_E_ILLEGAL_PARAMETER, A(ILLEGAL_PARAMETER), "RFC 5246 §7.2.2"},
    {TLSFLOW_E_UNSUPPORTED_EXTENSION, A(UNSUPPORTED_EXTENSION), "RFC 5246 §7.4.1.4"},
    {TLSFLOW_E_NO_APPLICATION_PROTOCOL, A(NO_APPLICATION_PROTOCOL), "RFC 7301 §3.2"},
    {TLSFLOW_E_HANDSHAKE_TOO_LARGE, A(ILLEGAL_PARAMETER), "a length past our cap (as OpenSSL)"},
    {TLSFLOW_E_INSECURE_RENEGOTIATION, A(HANDSHAKE_FAILURE), "RFC 5746 §3.4, §3.6"},
    {TLSFLOW_E_BAD_SIGNATURE, A(DECRYPT_ERROR), "RFC 5246 §7.2.2, RFC 8446 §4.4.3"},
    {TLSFLOW_E_CERT_EXPIRED, A(CERTIFICATE_EXPIRED), "RFC 5246 §7.2.2"},
    {TLSFLOW_E_CERT_NOT_YET_VALID, A(BAD_CERTIFICATE), "no alert says not yet valid"},
    {TLSFLOW_E_CERT_UNKNOWN_CA, A(UNKNOWN_CA), "RFC 5246 §7.2.2"},
    {TLSFLOW_E_CERT_SELF_SIGNED, A(UNKNOWN_CA), "RFC 5246 §7.2.2: its issuer is not trusted"},
    {TLSFLOW_E_CERT_HOSTNAME, A(BAD_CERTIFICATE), "RFC 5246 §7.2.2"},
    {TLSFLOW_E_CERT_SIGNATURE, A(BAD_CERTIFICATE), "RFC 5246 §7.2.2"},
    {TLSFLOW_E_CERT_BAD, A(BAD_CERTIFICATE), "RFC 5246 §7.2.2"},
    {TLSFLOW_E_CERT_UNSUPPORTED, A(UNSUPPORTED_CERTIFICATE), "RFC 5246 §7.2.2"},
    {TLSFLOW_E_CERT_MISSING, A(DECODE_ERROR), "RFC 8446 §4.4.2.4"},
    {TLSFLOW_E_CERT_REJECTED, A(BAD_CERTIFICATE), "the caller's hook may name another"},
    {TLSFLOW_E_MISSING_EXTENSION, A(MISSING_EXTENSION), "RFC 8446 §4.2, §9.2"},
    {TLSFLOW_E_CERT_REQUIRED, A(CERTIFICATE_REQUIRED),
     "RFC 8446 §4.4.2.4 (1.2: handshake_failure)"},
};

static void test_every_error_has_its_rfc_alert(void **state)
{
    (void)state;
    size_t listed = 0;
    for (int code = -1; code >= -64; code--) {
        if (strcmp(tlsflow_error_name(code), "TLSFLOW_E_UNKNOWN") == 0)
            continue;
        const row *r = NULL;
        for (size_t i = 0; i < sizeof(TABLE) / sizeof(TABLE[0]); i++)
            if (TABLE[i].err == code)
                r = &TABLE[i];
        if (!r)
            fail_msg("%s has no row in the RFC table", tlsflow_error_name(code));
        listed++;
        if (tf_alert_for(code) != r->alert)
            fail_msg("%s sends %s; the table says %s (%s)", tlsflow_error_name(code),
                     tlsflow_alert_name(tf_alert_for(code)), tlsflow_alert_name(r->alert), r->why);
    }
    assert_int_equal(listed, sizeof(TABLE) / sizeof(TABLE[0]));
}

/* What went out on the wire after the server took `bytes` (records) in. */
static int server_alert_for(const uint8_t *bytes, size_t len)
{
    tft_pair *p = tft_pair_new();
    tft_pair_start(p);
    size_t room;
    uint8_t *in = tlsflow_in_buf(p->server, &room);
    assert_true(len <= room);
    memcpy(in, bytes, len);
    tlsflow_in_ack(p->server, len);
    assert_int_equal(tlsflow_poll(p->server), TLSFLOW_OUTPUT_READY);
    size_t n;
    const uint8_t *out = tlsflow_out_buf(p->server, &n);
    int alert = n == 7 && out[0] == 21 && out[5] == 2 ? out[6] : -1;
    tft_pair_free(p);
    return alert;
}

/* A sample of each class, from records a peer could send before any keys exist. */
static void test_alerts_on_the_wire(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        uint8_t bytes[64];
        size_t len;
        int alert;
    } CASES[] = {
        {"ClientHello cut short", {22, 3, 1, 0, 6, 1, 0, 0, 2, 3, 3}, 11, A(DECODE_ERROR)},
        {"Finished first", {22, 3, 1, 0, 16, 20, 0, 0, 12}, 21, A(UNEXPECTED_MESSAGE)},
        {"ChangeCipherSpec first", {20, 3, 3, 0, 1, 1}, 6, A(UNEXPECTED_MESSAGE)},
        {"application data first", {23, 3, 3, 0, 1, 'x'}, 6, A(UNEXPECTED_MESSAGE)},
        {"content type 99", {99, 3, 3, 0, 1, 0}, 6, A(UNEXPECTED_MESSAGE)},
        {"record too long", {22, 3, 3, 0x40, 0x01}, 5, A(RECORD_OVERFLOW)},
        {"alert of three bytes", {21, 3, 3, 0, 3, 1, 0, 0}, 8, A(DECODE_ERROR)},
        {"SSL 3.0 only",
         {22, 3, 0, 0, 45, 1, 0, 0, 41, 3, 0, [11 ... 42] = 7, 0, 0, 2, 0, 0x9c, 1, 0},
         50,
         A(PROTOCOL_VERSION)},
        /* RFC 8446 D.5: refused even when supported_versions offers TLS 1.2 */
        {"SSL 3.0 beside supported_versions",
         {22, 3, 1, 0, 54, 1,    0, 0, 50, 3, 0, [11 ... 42] = 7, 0, 0, 2, 0, 0x9c,
          1,  0, 0, 7, 0,  0x2b, 0, 3, 2,  3, 3},
         59,
         A(PROTOCOL_VERSION)},
        {"no null compression",
         {22, 3, 1, 0, 45, 1, 0, 0, 41, 3, 3, [11 ... 42] = 7, 0, 0, 2, 0, 0x9c, 1, 1},
         50,
         A(ILLEGAL_PARAMETER)},
        {"no suite in common",
         {22, 3, 1, 0, 45, 1, 0, 0, 41, 3, 3, [11 ... 42] = 7, 0, 0, 2, 0, 0x2f, 1, 0},
         50,
         A(HANDSHAKE_FAILURE)},
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        int got = server_alert_for(CASES[i].bytes, CASES[i].len);
        if (got != CASES[i].alert)
            fail_msg("%s: sent %s, expected %s", CASES[i].what, tlsflow_alert_name(got),
                     tlsflow_alert_name(CASES[i].alert));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_error_has_its_rfc_alert),
        cmocka_unit_test(test_alerts_on_the_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
