#include "server_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include <tlsflow/tlsflow.h>

#include "util/files.h"
#include "pages/hello_names.h"

static const uint16_t tls13_suites[] = {TLSFLOW_AES_128_GCM_SHA256, TLSFLOW_AES_256_GCM_SHA384,
                                        TLSFLOW_CHACHA20_POLY1305_SHA256};
static const uint16_t rsa_suites[] = {TLSFLOW_RSA_WITH_AES_128_GCM_SHA256,
                                      TLSFLOW_RSA_WITH_AES_256_GCM_SHA384};
static const uint16_t ecdhe_suites[] = {
    TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    TLSFLOW_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

static void add_suites(server_opts *o, const uint16_t *s, size_t n)
{
    for (size_t i = 0; i < n && o->n_suites < sizeof(o->suites) / sizeof(o->suites[0]); i++)
        o->suites[o->n_suites++] = s[i];
}

#define ADD(o, list) add_suites(o, list, sizeof(list) / sizeof(list[0]))

static int parse_suites(server_opts *o, const char *v)
{
    o->n_suites = 0;
    if (strcmp(v, "rsa-first") == 0) {
        ADD(o, rsa_suites);
        ADD(o, ecdhe_suites);
    } else if (strcmp(v, "ecdhe-first") == 0) {
        ADD(o, ecdhe_suites); /* the engine's own TLS 1.2 order */
        ADD(o, rsa_suites);
    } else if (strcmp(v, "rsa") == 0) {
        ADD(o, rsa_suites);
    } else if (strcmp(v, "ecdhe") == 0) {
        ADD(o, ecdhe_suites);
    } else {
        char buf[1024];
        snprintf(buf, sizeof(buf), "%s", v);
        for (char *save = NULL, *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
            uint16_t id;
            if (suite_by_name(p, &id) != 0) {
                errorf("--suites: unknown cipher suite '%s' (try rsa, ecdhe, or an IANA name "
                       "such as TLS_RSA_WITH_AES_128_GCM_SHA256)",
                       p);
                return -1;
            }
            if (o->n_suites == sizeof(o->suites) / sizeof(o->suites[0])) {
                errorf("--suites: too many suites");
                return -1;
            }
            o->suites[o->n_suites++] = id;
        }
    }
    return 0;
}

static const char usage[] =
    "Usage: tlsflow-server [options]\n"
    "\n"
    "A TLS 1.3 and TLS 1.2 test server built on the tlsflow engine (TLS 1.3 when the\n"
    "client offers it, else TLS 1.2 with RSA key transport or ECDHE; AES-GCM and\n"
    "ChaCha20-Poly1305).\n"
    "With no options it listens on 127.0.0.1:8443 and serves a page that shows the\n"
    "handshake of the very connection that fetched it. On first start it creates a\n"
    "local CA and certificates in ./tlsflow-pki/ (an RSA and an ECDSA P-256 one for\n"
    "localhost, one per failure scenario and per site below, a client CA and a client\n"
    "certificate client.pem/client.key); later starts reuse them.\n"
    "Sites of the local PKI, each with its own engine configuration, picked by SNI:\n"
    "  classic.localhost  TLS 1.2 with RSA key transport only: the classic flow\n"
    "  mtls.localhost     a client certificate from the client CA is required\n"
    "\n"
    "Options:\n"
    "  --listen HOST:PORT         address to listen on; repeatable; IPv6 as [::1]:8443\n"
    "                             (default 127.0.0.1:8443; port 0 picks a free port)\n"
    "  --pki-dir DIR              where the local CA and certificates live\n"
    "                             (default ./tlsflow-pki)\n"
    "  --cert FILE                serve this certificate (PEM or DER, leaf first, may\n"
    "                             hold the chain) instead of the local PKI; repeatable:\n"
    "                             each --cert starts a credential, and the --key,\n"
    "                             --chain and --sni after it (up to the next --cert)\n"
    "                             belong to it\n"
    "  --key FILE                 the private key of the --cert before it, RSA or EC\n"
    "                             (PEM or DER); it must match that certificate\n"
    "  --pkcs11-key LABEL|URI     instead of --key: the private key of the --cert before\n"
    "                             it lives in a PKCS#11 token (an HSM, a smart card,\n"
    "                             SoftHSM2) and never enters this process: the object\n"
    "                             label of the key, or an RFC 7512 URI such as\n"
    "                             'pkcs11:token=tlsflow;object=rsa?pin-value=1234'\n"
    "                             (token, object, id, serial, model, manufacturer;\n"
    "                             pin-value, pin-source=FILE, module-path). At start the\n"
    "                             token signs (and decrypts, RSA) once and the result is\n"
    "                             checked against the --cert's public key\n"
    "  --pkcs11-module PATH       the PKCS#11 module (.so) for --pkcs11-key, e.g.\n"
    "                             /usr/lib/softhsm/libsofthsm2.so\n"
    "  --pkcs11-token LABEL       the token by label (default: the first initialised one)\n"
    "  --pkcs11-pin PIN           the user PIN (TLSFLOW_PKCS11_PIN in the environment does\n"
    "                             the same and keeps it out of the process list)\n"
    "                             Token keys are used from libuv's thread pool, one\n"
    "                             PKCS#11 session per thread: the event loop never waits\n"
    "                             for the token\n"
    "  --key-threads N            run private-key operations of keys in files on N\n"
    "                             threads too (libuv's thread pool, also used for token\n"
    "                             keys; sets UV_THREADPOOL_SIZE=N), so the loop goes on\n"
    "                             with other connections during an RSA operation\n"
    "                             (default: keys in files are used on the loop; the pool\n"
    "                             has 4 threads or UV_THREADPOOL_SIZE)\n"
    "  --key-delay MS             add MS milliseconds to every private-key operation on\n"
    "                             the thread pool: a slow HSM, for tests\n"
    "  --chain FILE               intermediate certificates (PEM) sent after that --cert\n"
    "  --sni NAME                 serve that --cert only to clients asking for NAME\n"
    "                             (default: to every name no other --sni claims)\n"
    "                             Per name, one RSA and one EC credential at most: the\n"
    "                             negotiated suite picks between them (ECDHE_ECDSA: the\n"
    "                             EC one), e.g. --cert rsa.pem --key rsa.key\n"
    "                             --cert ec.pem --key ec.key\n"
    "  --echo                     raw TLS echo instead of HTTP\n"
    "  --keylog FILE              append NSS key log lines for Wireshark\n"
    "                             (SSLKEYLOGFILE in the environment does the same)\n"
    "  --log FILE                 append one JSON line per connection\n"
    "  --max-conns N              most connections at once (default 10000)\n"
    "  --handshake-timeout SECS   a handshake must finish within this (default 10)\n"
    "  --idle-timeout SECS        close a connection idle this long (default 60)\n"
    "  --threads N|auto           event loops, one per thread, sharing the port with\n"
    "                             SO_REUSEPORT; auto: one per core (default 1)\n"
    "  --min-version 1.2|1.3      lowest protocol version accepted (default 1.2)\n"
    "  --max-version 1.2|1.3      highest protocol version (default 1.3; 1.2: every\n"
    "                             client gets TLS 1.2)\n"
    "  --suites LIST              TLS 1.2 cipher suites in preference order: rsa-first\n"
    "                             (the default: RSA key transport, the five-step story,\n"
    "                             then ECDHE), ecdhe-first (forward secrecy first), rsa,\n"
    "                             ecdhe, or IANA names / 0x hex codes separated by\n"
    "                             commas. The TLS 1.3 suites (TLS_AES_128_GCM_SHA256,\n"
    "                             TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256)\n"
    "                             come first while --max-version is 1.3, unless LIST\n"
    "                             names TLS 1.3 suites itself (then exactly those)\n"
    "  --client-auth MODE         mutual TLS for every name: none (default), optional\n"
    "                             (ask; a client without a certificate is served too)\n"
    "                             or required (no certificate: certificate_required in\n"
    "                             TLS 1.3, handshake_failure in TLS 1.2). A presented\n"
    "                             certificate must chain to --client-ca\n"
    "  --client-ca FILE           roots (PEM) for client certificates (default: the\n"
    "                             local PKI's client-ca.pem; needed with --cert). Also\n"
    "                             used by mtls.localhost\n"
    "Session resumption: on by default. After a full handshake the server sends a\n"
    "session ticket (TLS 1.2: RFC 5077; TLS 1.3: NewSessionTicket, resumed with\n"
    "pre_shared_key and a fresh key share, psk_dhe_ke); a client that offers it again\n"
    "gets the short handshake: no certificate, no signature. Tickets are sealed\n"
    "(AES-256-GCM) with a random 256-bit key made at start, shared by every event\n"
    "loop and never written anywhere: a restart forgets it. Not where a client\n"
    "certificate is asked for (mtls.localhost, --client-auth): a ticket does not\n"
    "carry one. The page and the --log line say when a handshake was resumed.\n"
    "  --ticket-key-file FILE     seal and open tickets with the keys in FILE instead,\n"
    "                             so tickets survive a restart and servers sharing FILE\n"
    "                             resume each other's sessions. FILE: one key a line,\n"
    "                             \"NAME KEY\" in hex (16 and 32 bytes), blank lines and\n"
    "                             '#' comments skipped; the first key seals, every key\n"
    "                             opens (rotate: put a new key first, keep the old one a\n"
    "                             ticket lifetime; at most 8). Make one with\n"
    "                             echo $(openssl rand -hex 16) $(openssl rand -hex 32) >FILE\n"
    "  --ticket-lifetime SECS     how long a ticket resumes (default 86400, at most\n"
    "                             604800: RFC 8446's limit)\n"
    "  --tickets N                TLS 1.3 tickets sent after each handshake (default 2,\n"
    "                             0 to 8; TLS 1.2 sends one when the client asks)\n"
    "  --no-tickets               no session tickets: every handshake is a full one\n"
    "  -h, --help                 this text\n"
    "  -V, --version              the version\n"
    "\n"
    "Paths: GET / (HTML for browsers, text for curl), GET /json (with the ClientHello\n"
    "and its JA3 fingerprint).\n"
    "Mutual TLS with the local PKI, e.g.:\n"
    "  curl --cacert tlsflow-pki/ca.pem --cert tlsflow-pki/client.pem \\\n"
    "       --key tlsflow-pki/client.key --resolve mtls.localhost:8443:127.0.0.1 \\\n"
    "       https://mtls.localhost:8443/\n";

static int parse_uint(const char *opt, const char *v, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || n < lo || n > hi) {
        errorf("%s wants a whole number from %u to %u, not '%s'", opt, lo, hi, v);
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

/* Split "--opt=value"; returns the value or NULL. */
static const char *inline_value(const char *arg, char *name, size_t cap)
{
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
    if (n >= cap)
        n = cap - 1;
    memcpy(name, arg, n);
    name[n] = '\0';
    return eq ? eq + 1 : NULL;
}

static int takes_value(const char *name)
{
    static const char *const with_value[] = {
        "--listen",       "--pki-dir",     "--cert",
        "--key",          "--chain",       "--keylog",
        "--log",          "--max-conns",   "--handshake-timeout",
        "--idle-timeout", "--threads",     "--suites",
        "--sni",          "--pkcs11-key",  "--pkcs11-module",
        "--pkcs11-token", "--pkcs11-pin",  "--key-threads",
        "--key-delay",    "--min-version", "--max-version",
        "--client-auth",  "--client-ca",
    };
    static const char *const ticket_options[] = {"--ticket-key-file", "--ticket-lifetime",
                                                 "--tickets"};
    for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
        if (strcmp(name, with_value[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof(ticket_options) / sizeof(ticket_options[0]); i++)
        if (strcmp(name, ticket_options[i]) == 0)
            return 1;
    return 0;
}

/* What a client can ask for in SNI: a DNS name (letters, digits, '-', '_', dots). */
static int sni_name_ok(const char *v)
{
    size_t n = strlen(v);
    if (n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = v[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return 0;
    }
    return 1;
}

/* --key (or --pkcs11-key), --chain and --sni belong to the --cert before them; a second
 * one of the same kind, or one before any --cert, is remembered and reported once all
 * are read. */
static int attach(server_opts *o, const char *name, const char *v)
{
    cred_files *c = o->n_creds ? &o->creds[o->n_creds - 1] : NULL;
    int file_key = strcmp(name, "--key") == 0, token_key = strcmp(name, "--pkcs11-key") == 0;
    int key = file_key || token_key, sni = strcmp(name, "--sni") == 0;
    const char **slot = !c          ? NULL
                        : file_key  ? &c->key
                        : token_key ? &c->token_key
                        : sni       ? &c->sni
                                    : &c->chain;
    if (key)
        o->n_keys++;
    if (token_key)
        o->n_token_keys++;
    if (sni && !sni_name_ok(v)) {
        errorf("--sni '%s' is not a host name", v);
        return -1;
    }
    if (!slot || *slot || (key && c && (c->key || c->token_key))) {
        if (!o->misplaced) /* name is the caller's buffer: keep a literal */
            o->misplaced = file_key    ? "--key"
                           : token_key ? "--pkcs11-key"
                           : sni       ? "--sni"
                                       : "--chain";
        return 0;
    }
    *slot = v;
    return 0;
}

static int apply(server_opts *o, const char *name, const char *v)
{
    unsigned secs;
    if (strcmp(name, "--listen") == 0) {
        const char *why;
        if (o->n_listen == SERVER_MAX_LISTEN) {
            errorf("at most %d --listen addresses", SERVER_MAX_LISTEN);
            return -1;
        }
        if (hostport_parse(v, NULL, &o->listen[o->n_listen], &why) != 0) {
            errorf("bad --listen '%s': %s (expected HOST:PORT, e.g. 127.0.0.1:8443)", v, why);
            return -1;
        }
        o->n_listen++;
    } else if (strcmp(name, "--pki-dir") == 0) {
        o->pki_dir = v;
    } else if (strcmp(name, "--cert") == 0) {
        if (o->n_creds == CRED_FILES_MAX) {
            errorf("at most %d --cert options", CRED_FILES_MAX);
            return -1;
        }
        o->creds[o->n_creds++].cert = v;
    } else if (strcmp(name, "--key") == 0 || strcmp(name, "--chain") == 0 ||
               strcmp(name, "--sni") == 0 || strcmp(name, "--pkcs11-key") == 0) {
        return attach(o, name, v);
    } else if (strcmp(name, "--pkcs11-module") == 0) {
        o->pkcs11_module = v;
    } else if (strcmp(name, "--pkcs11-token") == 0) {
        o->pkcs11_token = v;
    } else if (strcmp(name, "--pkcs11-pin") == 0) {
        o->pkcs11_pin = v;
    } else if (strcmp(name, "--key-threads") == 0) {
        return parse_uint(name, v, 1, 64, &o->key_threads);
    } else if (strcmp(name, "--key-delay") == 0) {
        return parse_uint(name, v, 1, 60000, &o->key_delay_ms);
    } else if (strcmp(name, "--keylog") == 0) {
        o->keylog = v;
    } else if (strcmp(name, "--log") == 0) {
        o->log = v;
    } else if (strcmp(name, "--max-conns") == 0) {
        return parse_uint(name, v, 1, 1000000, &o->max_conns);
    } else if (strcmp(name, "--handshake-timeout") == 0) {
        if (parse_uint(name, v, 1, 3600, &secs) != 0)
            return -1;
        o->handshake_timeout_ms = secs * 1000;
    } else if (strcmp(name, "--idle-timeout") == 0) {
        if (parse_uint(name, v, 1, 86400, &secs) != 0)
            return -1;
        o->idle_timeout_ms = secs * 1000;
    } else if (strcmp(name, "--suites") == 0) {
        return parse_suites(o, v);
    } else if (strcmp(name, "--min-version") == 0 || strcmp(name, "--max-version") == 0) {
        uint16_t ver = strcmp(v, "1.2") == 0   ? TLSFLOW_VERSION_TLS12
                       : strcmp(v, "1.3") == 0 ? TLSFLOW_VERSION_TLS13
                                               : 0;
        if (!ver) {
            errorf("%s wants 1.2 or 1.3, not '%s'", name, v);
            return -1;
        }
        *(strcmp(name, "--min-version") == 0 ? &o->min_version : &o->max_version) = ver;
    } else if (strcmp(name, "--client-auth") == 0) {
        int mode = strcmp(v, "none") == 0       ? TLSFLOW_CLIENT_AUTH_NONE
                   : strcmp(v, "optional") == 0 ? TLSFLOW_CLIENT_AUTH_OPTIONAL
                   : strcmp(v, "required") == 0 ? TLSFLOW_CLIENT_AUTH_REQUIRED
                                                : -1;
        if (mode < 0) {
            errorf("--client-auth wants none, optional or required, not '%s'", v);
            return -1;
        }
        o->client_auth = mode;
    } else if (strcmp(name, "--client-ca") == 0) {
        o->client_ca = v;
    } else if (strcmp(name, "--ticket-key-file") == 0) {
        o->ticket_opts = 1;
        o->ticket_key_file = v;
    } else if (strcmp(name, "--ticket-lifetime") == 0) {
        o->ticket_opts = 1;
        return parse_uint(name, v, 1, 604800, &o->ticket_lifetime);
    } else if (strcmp(name, "--tickets") == 0) {
        o->ticket_opts = 1;
        return parse_uint(name, v, 0, 8, &o->tickets13);
    } else if (strcmp(name, "--threads") == 0) {
        if (strcmp(v, "auto") == 0) {
            unsigned n = uv_available_parallelism();
            o->threads = n < 1 ? 1 : n > 64 ? 64 : n; /* one loop per core */
            return 0;
        }
        return parse_uint(name, v, 1, 64, &o->threads);
    }
    return 0;
}

int server_opts_rsa_kx(const server_opts *o)
{
    for (unsigned i = 0; i < o->n_suites; i++)
        if (o->suites[i] == TLSFLOW_RSA_WITH_AES_128_GCM_SHA256 ||
            o->suites[i] == TLSFLOW_RSA_WITH_AES_256_GCM_SHA384)
            return 1;
    return 0;
}

static int is_tls13_suite(uint16_t s)
{
    for (size_t i = 0; i < sizeof(tls13_suites) / sizeof(tls13_suites[0]); i++)
        if (s == tls13_suites[i])
            return 1;
    return 0;
}

size_t server_opts_suites(const server_opts *o, uint16_t *out, size_t cap)
{
    size_t n = 0;
    int named13 = 0;
    for (unsigned i = 0; i < o->n_suites; i++)
        named13 |= is_tls13_suite(o->suites[i]);
    if (!named13 && o->max_version >= TLSFLOW_VERSION_TLS13)
        for (size_t i = 0; i < sizeof(tls13_suites) / sizeof(tls13_suites[0]) && n < cap; i++)
            out[n++] = tls13_suites[i];
    for (unsigned i = 0; i < o->n_suites && n < cap; i++)
        out[n++] = o->suites[i];
    return n;
}

static int check_versions_and_auth(const server_opts *o)
{
    if (o->min_version > o->max_version) {
        errorf("--min-version %s is above --max-version %s",
               o->min_version == TLSFLOW_VERSION_TLS13 ? "1.3" : "1.2",
               o->max_version == TLSFLOW_VERSION_TLS13 ? "1.3" : "1.2");
        return -1;
    }
    if (o->no_tickets && o->ticket_opts) {
        errorf("--no-tickets turns session tickets off: it excludes --ticket-key-file, "
               "--ticket-lifetime and --tickets");
        return -1;
    }
    if (o->client_ca && o->client_auth == TLSFLOW_CLIENT_AUTH_NONE && o->n_creds) {
        errorf("--client-ca is for client certificates: add --client-auth optional|required");
        return -1;
    }
    if (o->client_auth != TLSFLOW_CLIENT_AUTH_NONE && o->n_creds && !o->client_ca) {
        errorf("--client-auth with your own --cert needs --client-ca FILE: the roots that "
               "client certificates must chain to");
        return -1;
    }
    return 0;
}

static int check_pairs(const server_opts *o)
{
    if (o->n_keys != o->n_creds) {
        errorf("--cert and --key go together, one --key FILE (or --pkcs11-key) after each "
               "--cert FILE: got %u --cert and %u --key",
               o->n_creds, o->n_keys);
        return -1;
    }
    if (o->misplaced && o->n_creds == 0) {
        errorf("%s needs --cert and --key", o->misplaced);
        return -1;
    }
    if (o->misplaced) {
        errorf("%s belongs after the --cert FILE it is for: each --cert starts a credential "
               "and takes one --key (or --pkcs11-key), --chain and --sni from the options "
               "after it",
               o->misplaced);
        return -1;
    }
#ifndef TLSFLOW_HAVE_PKCS11
    if (o->n_token_keys || o->pkcs11_module) {
        errorf("this tlsflow-server was built without PKCS#11 support (the build found no "
               "p11-kit/pkcs11.h: install libp11-kit-dev and rebuild)");
        return -1;
    }
#endif
    if ((o->pkcs11_module || o->pkcs11_token || o->pkcs11_pin) && !o->n_token_keys) {
        errorf("--pkcs11-module, --pkcs11-token and --pkcs11-pin are for keys in a token: "
               "add --pkcs11-key LABEL after the --cert FILE it belongs to");
        return -1;
    }
    return 0;
}

int server_cli_parse(int argc, char **argv, server_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->pki_dir = "tlsflow-pki";
    o->max_conns = 10000;
    o->handshake_timeout_ms = 10000;
    o->idle_timeout_ms = 60000;
    o->threads = 1;
    o->min_version = TLSFLOW_VERSION_TLS12;
    o->max_version = TLSFLOW_VERSION_TLS13;
    parse_suites(o, "rsa-first");
    o->ticket_lifetime = 86400; /* the engine's defaults */
    o->tickets13 = 2;
    o->keylog = getenv("SSLKEYLOGFILE");
    if (o->keylog && !*o->keylog)
        o->keylog = NULL;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        char name[64];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(usage, stdout);
            return 1;
        }
        if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
            printf("tlsflow-server %s (TLS 1.3; TLS 1.2: RSA key transport, ECDHE_RSA and "
                   "ECDHE_ECDSA; AES-GCM, ChaCha20-Poly1305; client certificates)\n",
                   TLSFLOW_VERSION_STRING);
            return 1;
        }
        if (strcmp(arg, "--echo") == 0) {
            o->echo = 1;
            continue;
        }
        if (strcmp(arg, "--no-tickets") == 0) {
            o->no_tickets = 1;
            continue;
        }
        const char *v = inline_value(arg, name, sizeof(name));
        if (!takes_value(name)) {
            errorf("unknown option '%s' (try --help)", arg);
            return -1;
        }
        if (!v) {
            if (i + 1 >= argc) {
                errorf("%s needs a value (try --help)", name);
                return -1;
            }
            v = argv[++i];
        }
        if (!*v) {
            errorf("%s needs a non-empty value", name);
            return -1;
        }
        if (apply(o, name, v) != 0)
            return -1;
    }
    if (o->n_listen == 0) {
        const char *why;
        hostport_parse("127.0.0.1:8443", NULL, &o->listen[0], &why);
        o->n_listen = 1;
    }
    if (check_pairs(o) != 0 || check_versions_and_auth(o) != 0)
        return -1;
    const char *pin = getenv("TLSFLOW_PKCS11_PIN");
    if (!o->pkcs11_pin && pin && *pin)
        o->pkcs11_pin = pin;
    return 0;
}
