#include "client_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tlsflow/tlsflow.h>

#include "util/files.h"

static const char usage[] =
    "Usage: tlsflow-client HOST:PORT [options]\n"
    "\n"
    "Connects with TLS 1.3 or 1.2, prints the handshake as five steps on stderr, verifies the\n"
    "server, then sends GET PATH (or stdin) and prints the reply. Sending and receiving run\n"
    "at once (a non-blocking socket), so a server that answers while it reads never stalls.\n"
    "\n"
    "Options:\n"
    "  --ca FILE          trusted CA certificates, PEM (default ./" CLIENT_DEFAULT_CA
    " if it exists)\n"
    "  --servername NAME  name for SNI and for verifying the certificate (default HOST)\n"
    "  --alpn LIST        offer these protocols, comma separated (e.g. http/1.1)\n"
    "  --min-version V, --max-version V\n"
    "                     the TLS versions to offer: 1.2 or 1.3 (default both)\n"
    "  --get PATH         send an HTTP/1.1 GET for PATH instead of stdin\n"
    "  --keylog FILE      append NSS key log lines (also SSLKEYLOGFILE)\n"
    "  --cert FILE --key FILE\n"
    "                     a client certificate for servers that ask for one (mutual TLS):\n"
    "                     FILE is PEM, the leaf first, then any intermediates to send; the\n"
    "                     key is PEM, RSA or EC (P-256, P-384), and must be the leaf's.\n"
    "                     Repeatable (up to 4 pairs, each --key after its --cert): the\n"
    "                     engine answers a CertificateRequest with the first whose chain\n"
    "                     has an issuer the server names and whose key can make a signature\n"
    "                     the server accepts, else with no certificate (the server decides).\n"
    "                     The trace says which was sent. A server that never asks gets none.\n"
    "  --timeout SECS     give up waiting for the server after this (default 10)\n"
    "\n"
    "Session resumption (TLS 1.2 session tickets, TLS 1.3 PSK tickets):\n"
    "  --sess-out FILE    write the latest resumable session the server gave (TLS 1.2: a\n"
    "                     ticket at the end of the handshake; TLS 1.3: each NewSessionTicket\n"
    "                     after it) to FILE, mode 0600: it holds the session's secret\n"
    "  --sess-in FILE     offer the session in FILE (from --sess-out) before connecting; the\n"
    "                     summary then says \"session: resumed\" (no certificate was sent) or\n"
    "                     \"session: full handshake (server declined)\". A session is offered\n"
    "                     only to the server name it was made with\n"
    "  --reconnect N      then connect N more times (1 to 100), each offering the latest\n"
    "                     session, and say how many resumed; needs --get\n"
    "\n"
    "Echo stream (for an echo server such as tlsflow-server --echo):\n"
    "  --send-bytes N     send N bytes of a fixed pattern (suffix K, M or G: KiB, MiB, GiB)\n"
    "                     while reading the reply, check that it is the same bytes, print\n"
    "                     bytes sent and received and the time, then close with close_notify\n"
    "  --send FILE        the same with the contents of FILE\n"
    "\n"
    "Public-key pinning (curl's --pinnedpubkey syntax):\n"
    "  --pin sha256//BASE64  accept the server only if the SHA-256 of its leaf certificate's\n"
    "                     SubjectPublicKeyInfo, in base64, is this; repeatable (or joined by\n"
    "                     ';'): any one matching accepts. A mismatch ends the handshake with\n"
    "                     the alert bad_certificate. The chain is still verified against --ca.\n"
    "                     A pin: openssl x509 -in CERT -pubkey -noout | openssl pkey -pubin\n"
    "                     -outform der | openssl dgst -sha256 -binary | base64\n"
    "  --pin-only         a matching pin is enough: accept an untrusted or self-signed leaf,\n"
    "                     or one for another name (a CA file is still read)\n"
    "\n"
    "Keying material exporter (RFC 5705):\n"
    "  --export LABEL[:CONTEXT_HEX]:LEN\n"
    "                     after the handshake print LEN bytes exported for LABEL, in hex, on\n"
    "                     stderr; LABEL:LEN uses no context, LABEL::LEN an empty one (they\n"
    "                     differ). Repeatable (up to 8). LABEL cannot hold ':'.\n"
    "\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n"
    "\n"
    "Exit status: 0 done, 1 TLS or verification failure (also a wrong echo), 2 bad usage,\n"
    "3 network error.\n";

/* N, NK, NM or NG (binary units), at most 1 TiB. */
static int parse_size(const char *v, uint64_t *out)
{
    char *end;
    if (v[0] < '0' || v[0] > '9')
        return -1;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (*end || n == 0 || n > (1ull << 40) >> shift)
        return -1;
    *out = (uint64_t)n << shift;
    return 0;
}

static int parse_timeout(const char *v, int *ms)
{
    char *end;
    long s = strtol(v, &end, 10);
    if (*end || s < 1 || s > 3600) {
        errorf("--timeout wants seconds from 1 to 3600, not '%s'", v);
        return -1;
    }
    *ms = (int)s * 1000;
    return 0;
}

static int takes_value(const char *a)
{
    static const char *const names[] = {
        "--ca",   "--servername", "--alpn",     "--get",     "--keylog",      "--timeout",
        "--send", "--send-bytes", "--pin",      "--export",  "--min-version", "--max-version",
        "--cert", "--key",        "--sess-out", "--sess-in", "--reconnect"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(a, names[i]))
            return 1;
    return 0;
}

/* --cert starts a client credential, --key completes the one --cert started. */
static int take_credential(client_opts *o, const char *a, const char *v)
{
    if (!strcmp(a, "--cert")) {
        if (o->n_certs > o->n_keys) {
            errorf("--cert '%s' has no --key before the next --cert", o->cert[o->n_certs - 1]);
            return -1;
        }
        if (o->n_certs == CLIENT_CREDS_MAX) {
            errorf("at most %d --cert/--key pairs", CLIENT_CREDS_MAX);
            return -1;
        }
        o->cert[o->n_certs++] = v;
        return 0;
    }
    if (o->n_keys == o->n_certs) {
        errorf("--key '%s' needs a --cert before it", v);
        return -1;
    }
    o->key[o->n_keys++] = v;
    return 0;
}

/* Store the value of an option that takes one (takes_value). 0, or -1 with a message. */
static int take_value(client_opts *o, const char *a, const char *v)
{
    const char **slot = !strcmp(a, "--ca")           ? &o->ca
                        : !strcmp(a, "--servername") ? &o->servername
                        : !strcmp(a, "--alpn")       ? &o->alpn
                        : !strcmp(a, "--get")        ? &o->get
                        : !strcmp(a, "--keylog")     ? &o->keylog
                        : !strcmp(a, "--send")       ? &o->send_file
                        : !strcmp(a, "--sess-out")   ? &o->sess_out
                        : !strcmp(a, "--sess-in")    ? &o->sess_in
                                                     : NULL;
    if (slot) {
        *slot = v;
        o->send_mode |= slot == &o->send_file;
        return 0;
    }
    if (!strcmp(a, "--timeout"))
        return parse_timeout(v, &o->timeout_ms);
    if (!strcmp(a, "--reconnect")) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 100) {
            errorf("--reconnect wants a count from 1 to 100, not '%s'", v);
            return -1;
        }
        o->reconnect = (int)n;
        return 0;
    }
    if (!strcmp(a, "--min-version") || !strcmp(a, "--max-version")) {
        uint16_t *ver = a[2] == 'm' && a[3] == 'i' ? &o->min_version : &o->max_version;
        *ver = !strcmp(v, "1.2")   ? TLSFLOW_VERSION_TLS12
               : !strcmp(v, "1.3") ? TLSFLOW_VERSION_TLS13
                                   : 0;
        if (*ver)
            return 0;
        errorf("%s wants 1.2 or 1.3, not '%s'", a, v);
        return -1;
    }
    if (!strcmp(a, "--pin"))
        return pins_add(&o->pins, v);
    if (!strcmp(a, "--cert") || !strcmp(a, "--key"))
        return take_credential(o, a, v);
    if (!strcmp(a, "--send-bytes")) {
        o->send_mode = 1;
        if (parse_size(v, &o->send_bytes) == 0)
            return 0;
        errorf("--send-bytes wants a byte count from 1 to 1T (e.g. 65536 or 64M), not '%s'", v);
        return -1;
    }
    if (!strcmp(a, "--export")) {
        if (o->n_exports == CLIENT_EXPORTS_MAX) {
            errorf("at most %d --export", CLIENT_EXPORTS_MAX);
            return -1;
        }
        return export_parse(v, &o->exports[o->n_exports++]);
    }
    errorf("unknown option '%s' (try --help)", a);
    return -1;
}

/* The options that exclude or need each other. */
static int check_combination(const client_opts *o)
{
    if (o->get && o->get[0] != '/') {
        errorf("--get wants a path starting with '/', not '%s'", o->get);
        return -1;
    }
    if (o->send_file && o->send_bytes) {
        errorf("--send and --send-bytes exclude each other");
        return -1;
    }
    if (o->send_mode && o->get) {
        errorf("--get and --send/--send-bytes exclude each other");
        return -1;
    }
    if (o->pins.pin_only && o->pins.n == 0) {
        errorf("--pin-only needs at least one --pin");
        return -1;
    }
    if (o->n_certs > o->n_keys) {
        errorf("--cert '%s' needs its --key", o->cert[o->n_certs - 1]);
        return -1;
    }
    if (o->reconnect && !o->get) {
        errorf("--reconnect needs --get PATH (each connection sends the same request)");
        return -1;
    }
    return 0;
}

int client_parse_args(int argc, char **argv, client_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->timeout_ms = 10000;
    o->linger_ms = 2000;
    o->keylog = getenv("SSLKEYLOGFILE");
    if (o->keylog && !*o->keylog)
        o->keylog = NULL;
    const char *target = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 1;
        }
        if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("tlsflow-client %s\n", TLSFLOW_VERSION_STRING);
            return 1;
        }
        if (a[0] != '-') {
            if (target) {
                errorf("only one HOST:PORT, got '%s' and '%s'", target, a);
                return -1;
            }
            target = a;
            continue;
        }
        if (!strcmp(a, "--pin-only")) {
            o->pins.pin_only = 1;
            continue;
        }
        if (!takes_value(a)) {
            errorf("unknown option '%s' (try --help)", a);
            return -1;
        }
        if (i + 1 >= argc || !argv[i + 1][0]) {
            errorf("%s needs a value (try --help)", a);
            return -1;
        }
        if (take_value(o, a, argv[++i]) != 0)
            return -1;
    }
    if (!target) {
        errorf("which server? usage: tlsflow-client HOST:PORT [options] (try --help)");
        return -1;
    }
    const char *why;
    if (hostport_parse(target, "443", &o->target, &why) != 0) {
        errorf("bad HOST:PORT '%s': %s", target, why);
        return -1;
    }
    return check_combination(o);
}
