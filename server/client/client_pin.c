#include "client_pin.h"

#include <stdio.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>

#include "util/files.h"

#define PIN_PREFIX "sha256//"

/* "sha256//" + base64 of the 32 bytes, on one line. */
static void pin_text(const uint8_t h[32], char out[CLIENT_PIN_TEXT])
{
    size_t pre = strlen(PIN_PREFIX);
    memcpy(out, PIN_PREFIX, pre);
    word32 n = CLIENT_PIN_TEXT - 1 - (word32)pre;
    if (Base64_Encode_NoNl(h, 32, (byte *)out + pre, &n) != 0)
        n = 0;
    out[pre + n] = 0;
}

/* One "sha256//BASE64": the base64 must be the canonical encoding of 32 bytes (decoding
 * and encoding again gives the same text), so no two spellings name one key. */
static int pin_parse(const char *s, size_t len, uint8_t out[32])
{
    size_t pre = strlen(PIN_PREFIX);
    if (len < pre || memcmp(s, PIN_PREFIX, pre) != 0)
        return -1;
    s += pre;
    len -= pre;
    uint8_t raw[48];
    word32 n = sizeof(raw);
    if (len != 44 || Base64_Decode((const byte *)s, (word32)len, raw, &n) != 0 || n != 32)
        return -1;
    char again[CLIENT_PIN_TEXT];
    pin_text(raw, again);
    if (strlen(again + pre) != len || memcmp(again + pre, s, len) != 0)
        return -1;
    memcpy(out, raw, 32);
    return 0;
}

int pins_add(client_pins *p, const char *arg)
{
    const char *s = arg;
    for (;;) {
        const char *end = strchr(s, ';');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (p->n == CLIENT_PINS_MAX) {
            errorf("at most %d pins", CLIENT_PINS_MAX);
            return -1;
        }
        if (pin_parse(s, len, p->sha256[p->n]) != 0) {
            errorf("--pin wants sha256//BASE64, the base64 of a SHA-256 (44 characters), "
                   "not '%.*s'",
                   (int)len, s);
            return -1;
        }
        p->n++;
        if (!end)
            return 0;
        s = end + 1;
    }
}

static int on_verify(void *ctx, tlsflow_conn *conn, int verdict)
{
    client_pins *p = ctx;
    uint8_t h[32];
    p->checked = 1;
    p->verdict = verdict;
    p->matched = 0;
    p->received[0] = 0;
    if (tlsflow_peer_spki_sha256(conn, h) == 0) {
        pin_text(h, p->received);
        for (int i = 0; i < p->n && !p->matched; i++)
            p->matched = memcmp(h, p->sha256[i], 32) == 0;
    }
    if (!p->matched)
        return TLSFLOW_ALERT_BAD_CERTIFICATE;
    return p->pin_only ? 0 : verdict;
}

void pins_install(client_pins *p, tlsflow_config *cfg)
{
    if (p->n > 0)
        tlsflow_config_set_verify(cfg, on_verify, p);
}

void pins_report(const client_pins *p)
{
    if (p->n == 0 || !p->checked)
        return;
    fprintf(stderr, "public key pin: %s matches%s\n", p->received,
            p->verdict && p->pin_only ? " (--pin-only: accepted although the engine's "
                                        "certificate check failed)"
                                      : "");
    if (p->verdict && p->pin_only)
        fprintf(stderr, "    the certificate check said: %s\n", tlsflow_error_name(p->verdict));
}

int pins_explain_failure(const client_pins *p, tlsflow_conn *c)
{
    if (p->n == 0 || !p->checked || p->matched)
        return 0;
    char want[CLIENT_PINS_MAX * (CLIENT_PIN_TEXT + 4)];
    size_t at = 0;
    for (int i = 0; i < p->n; i++) {
        char one[CLIENT_PIN_TEXT];
        pin_text(p->sha256[i], one);
        at += (size_t)snprintf(want + at, sizeof(want) - at, "%s%s", i ? " or " : "", one);
    }
    int alert = tlsflow_sent_alert(c);
    errorf("public key pin mismatch: the server's key is %s, expected %s; refused with alert "
           "%s [%s]",
           p->received[0] ? p->received : "(none: no public key in its certificate)", want,
           alert >= 0 ? tlsflow_alert_name(alert) : "(none)",
           tlsflow_error_name(tlsflow_last_error(c)));
    if (p->verdict)
        fprintf(stderr, "    the chain check failed too: %s\n", tlsflow_error_name(p->verdict));
    return 1;
}
