#include "fuzz_common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fault.h"
#include "internal.h"
#include "sigalg.h"
#include "tf_test.h"

#include "fuzz_fixtures.h" /* generated from tests/fixtures by fuzz/CMakeLists.txt */

void tff_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

static void must(int ok, const char *what)
{
    if (!ok)
        tff_fail(__FILE__, __LINE__, what);
}

/* An armed TFF_FAULT_CRYPTO is held while the harness does its own work (building a
 * configuration once, whichever input comes first; asking questions of a connection):
 * it is meant for the engine's work on the input. */
static unsigned long pause_faults(void)
{
#ifdef TLSFLOW_FAULT_INJECTION
    unsigned long countdown = tf_fault_countdown;
    tf_fault_countdown = 0;
    return countdown;
#else
    return 0;
#endif
}

static void resume_faults(unsigned long countdown)
{
#ifdef TLSFLOW_FAULT_INJECTION
    tf_fault_countdown = countdown;
#else
    (void)countdown;
#endif
}

/* The only mutable globals: reset for every input by tff_reset. */
static tft_rng client_rng, server_rng;
/* What the TLS 1.3 configurations wrote to their key log, by role. */
typedef struct {
    char lines[16][256];
    size_t n;
} keylog_lines;
static keylog_lines keylogs[2];
/* The caller's answers and the armed fault of this input. */
static unsigned verdict_mode;
typedef struct {
    unsigned kind, n, calls; /* armed fault, its call number, calls counted so far */
    tlsflow_role hit;        /* whose random source or workspace failed */
} fault_state;
static fault_state fault;
/* Connections whose verification hook refused with an alert of its own (tff_check). */
static struct {
    const tlsflow_conn *c;
    int alert;
} hook_alerts[2];

void tff_reset(void)
{
    client_rng.state = TFF_CLIENT_SEED;
    server_rng.state = TFF_SERVER_SEED;
    keylogs[0].n = keylogs[1].n = 0;
    verdict_mode = TFF_VERDICT_KEEP;
    memset(&fault, 0, sizeof(fault));
    memset(hook_alerts, 0, sizeof(hook_alerts));
#ifdef TLSFLOW_FAULT_INJECTION
    tf_fault_countdown = 0;
    tf_fault_fired = 0;
#endif
}

void tff_set_verdict(unsigned verdict)
{
    verdict_mode = verdict % TFF_VERDICTS;
}

void tff_set_fault(unsigned kind, unsigned n)
{
    fault.kind = kind % TFF_FAULTS;
    fault.n = n;
    fault.calls = 0;
    fault.hit = 0;
#ifdef TLSFLOW_FAULT_INJECTION
    tf_fault_countdown = fault.kind == TFF_FAULT_CRYPTO ? n : 0;
    tf_fault_fired = 0;
#endif
}

tlsflow_role tff_fault_hit(void)
{
    return fault.hit;
}

int tff_crypto_fault_fired(void)
{
#ifdef TLSFLOW_FAULT_INJECTION
    return tf_fault_fired;
#else
    return 0;
#endif
}

int64_t tff_time_offset(unsigned n)
{
    /* Just inside and outside a ticket's lifetime (2 h, 1 day, 7 days), the fixtures'
     * validity (2020 to 2049) and the ends of the range. */
    static const int64_t OFFSETS[16] = {0,
                                        -1,
                                        7199,
                                        7201,
                                        86401,
                                        604801,
                                        -86400,
                                        (int64_t)100 * 365 * 86400,
                                        -(int64_t)10 * 365 * 86400,
                                        -TF_TEST_TIME,
                                        -TF_TEST_TIME - 1,
                                        INT64_MAX - TF_TEST_TIME,
                                        INT64_MIN + 1,
                                        (int64_t)23 * 365 * 86400,
                                        3600,
                                        -3600};
    return OFFSETS[n % 16];
}

/* The random source of every configuration: the fixed sequence, unless an armed fault
 * makes this call fail. */
static int fuzz_random(void *ctx, uint8_t *out, size_t len)
{
    if (fault.kind == TFF_FAULT_RANDOM && ++fault.calls == fault.n) {
        fault.hit = ctx == &client_rng ? TLSFLOW_CLIENT : TLSFLOW_SERVER;
        return -1;
    }
    return tft_random(ctx, out, len);
}

/* The clock of every configuration: TF_TEST_TIME, or off by an armed fault. */
static int64_t fuzz_time(void *ctx)
{
    (void)ctx;
    if (fault.kind != TFF_FAULT_TIME)
        return TF_TEST_TIME;
    int64_t off = tff_time_offset(fault.n);
    return off > 0 && TF_TEST_TIME > INT64_MAX - off ? INT64_MAX : TF_TEST_TIME + off;
}

/* Release mode's workspaces (the configurations that name this allocator). */
static void *fuzz_workspace_get(void *ctx, size_t size)
{
    const tlsflow_role role = (tlsflow_role)(uintptr_t)ctx;
    int armed = fault.kind == TFF_FAULT_WORKSPACE || fault.kind == TFF_FAULT_MISALIGNED;
    if (armed && ++fault.calls == fault.n) {
        fault.hit = role;
        if (fault.kind == TFF_FAULT_WORKSPACE)
            return NULL;
        uint8_t *p = aligned_alloc(16, size + 16);
        return p ? p + 8 : NULL; /* misaligned: the engine must give it back unused */
    }
    return aligned_alloc(16, size);
}

static void fuzz_workspace_put(void *ctx, void *mem, size_t size)
{
    (void)ctx;
    (void)size;
    if ((uintptr_t)mem & 15)
        mem = (uint8_t *)mem - 8;
    free(mem);
}

static void use_workspace_allocator(tlsflow_config *cfg, tlsflow_role role)
{
    tlsflow_config_set_release_idle_buffers(cfg, 1);
    must(tlsflow_config_set_workspace_allocator(cfg, fuzz_workspace_get, fuzz_workspace_put,
                                                (void *)(uintptr_t)role) == 0,
         "workspace allocator");
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int is_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!p[i] || !strchr("0123456789abcdef", p[i]))
            return 0;
    return 1;
}

/* Key log lines (NSS format): a label, the client random, a secret of 32 to 48 bytes. */
void tff_keylog_check(void *ctx, const char *line)
{
    (void)ctx;
    const char *sp = strchr(line, ' ');
    TFF_CHECK(sp != NULL && sp > line && is_hex(sp + 1, 64) && sp[65] == ' ');
    size_t n = strlen(sp + 66);
    TFF_CHECK(n >= 64 && n <= 96 && n % 2 == 0 && is_hex(sp + 66, n));
    if (strncmp(line, "CLIENT_RANDOM ", 14) == 0)
        TFF_CHECK(n == 96); /* TLS 1.2: the master secret */
}

void tff_trace_check(void *ctx, const tlsflow_conn *c, const tlsflow_trace_event *ev)
{
    (void)ctx;
    TFF_CHECK(c != NULL && ev != NULL && ev->text != NULL);
    TFF_CHECK(ev->step >= TLSFLOW_STEP_CLIENT_HELLO_SENT &&
              ev->step <= TLSFLOW_STEP_SESSION_RESUMED);
}

/* The session handed over is the one tlsflow_session_export gives now. */
void tff_session_check(void *ctx, tlsflow_conn *c, const uint8_t *session, size_t len)
{
    (void)ctx;
    static uint8_t again[TF_MAX_SESSION];
    size_t n = 0;
    TFF_CHECK(session != NULL && len > 0 && len <= sizeof(again));
    TFF_CHECK(tlsflow_session_export(c, NULL, 0, &n) == 0 && n == len);
    TFF_CHECK(tlsflow_session_export(c, again, len - 1, &n) == TLSFLOW_E_USAGE);
    TFF_CHECK(tlsflow_session_export(c, again, sizeof(again), &n) == 0 && n == len);
    TFF_CHECK(memcmp(again, session, len) == 0);
}

void tff_ticket_check(void *ctx, tlsflow_conn *c, const uint8_t *ticket, size_t len)
{
    (void)ctx;
    TFF_CHECK(c != NULL && ticket != NULL && len >= 9); /* lifetime, age_add, nonce, ticket */
}

static int cert_error(int err)
{
    return err <= TLSFLOW_E_CERT_EXPIRED && err >= TLSFLOW_E_CERT_REQUIRED &&
           err != TLSFLOW_E_MISSING_EXTENSION;
}

/* The verification hook: the chain is there while it runs; the answer is the input's. */
int tff_verify_hook(void *ctx, tlsflow_conn *c, int verdict)
{
    (void)ctx;
    size_t len = 0;
    uint8_t pin[32];
    TFF_CHECK(tlsflow_peer_cert_count(c) >= 1);
    TFF_CHECK(tlsflow_peer_cert(c, 0, &len) != NULL && len > 0);
    unsigned long held = pause_faults(); /* the hook's own question */
    TFF_CHECK(tlsflow_peer_spki_sha256(c, pin) == 0);
    resume_faults(held);
    TFF_CHECK(verdict == 0 || verdict == TLSFLOW_E_INTERNAL || cert_error(verdict));
    switch (verdict_mode) {
    case TFF_VERDICT_ACCEPT:
        return 0;
    case TFF_VERDICT_ERROR:
        return TLSFLOW_E_CERT_UNKNOWN_CA;
    case TFF_VERDICT_ALERT:
        for (size_t i = 0; i < COUNT(hook_alerts); i++)
            if (!hook_alerts[i].c || hook_alerts[i].c == c) {
                hook_alerts[i].c = c;
                hook_alerts[i].alert = 49; /* access_denied */
                break;
            }
        return 49;
    case TFF_VERDICT_OTHER:
        return 1000;
    default:
        return verdict;
    }
}

static void versions12(tlsflow_config *cfg)
{
    must(tlsflow_config_set_versions(cfg, TLSFLOW_VERSION_TLS12, TLSFLOW_VERSION_TLS12) == 0,
         "versions");
}

static void suites(tlsflow_config *cfg, const uint16_t *ids, size_t n)
{
    must(tlsflow_config_set_cipher_suites(cfg, ids, n) == 0, "suites");
}

/* Configurations being built with credentials whose keys stay with the harness: their
 * handle is the key itself, loaded here (tff_key_op_now signs and decrypts with it). */
static int with_handles;

static void credential(tlsflow_config *cfg, const uint8_t *chain, size_t chain_len,
                       const uint8_t *key, size_t key_len)
{
    if (!with_handles) {
        must(tlsflow_config_add_credential(cfg, chain, chain_len, key, key_len, NULL) == 0,
             "fixture credential");
        return;
    }
    static uint8_t der[8192];
    size_t der_len = 0;
    must(tf_pem_key_to_der((const char *)key, key_len, der, sizeof(der), &der_len) == 0,
         "fixture key");
    tf_private_key *k = tf_private_key_load(der, der_len); /* kept for the process's life */
    must(k != NULL, "fixture key");
    must(tlsflow_config_add_credential_key_handle(cfg, chain, chain_len, k, NULL) == 0,
         "fixture credential with a key handle");
}

static tlsflow_config *new_client(int variant)
{
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_CLIENT);
    must(cfg != NULL, "client config");
    must(tlsflow_config_add_trust_anchors(cfg, tff_fixture_ca_pem, tff_fixture_ca_pem_len) == 0,
         "fixture root");
    must(tlsflow_config_set_server_name(cfg, "localhost") == 0, "server name");
    tlsflow_config_set_random(cfg, fuzz_random, &client_rng);
    tlsflow_config_set_time(cfg, fuzz_time, NULL);
    static const uint16_t rsa_kx[] = {TLSFLOW_RSA_WITH_AES_128_GCM_SHA256,
                                      TLSFLOW_RSA_WITH_AES_256_GCM_SHA384};
    static const uint16_t aes256[] = {TLSFLOW_RSA_WITH_AES_256_GCM_SHA384};
    static const char *const protos[] = {"h2", "http/1.1"};
    switch (variant) {
    case TFF_CLIENT_RSA_KX:
        suites(cfg, rsa_kx, COUNT(rsa_kx));
        break;
    case TFF_CLIENT_AES256:
        suites(cfg, aes256, COUNT(aes256));
        break;
    case TFF_CLIENT_NO_EMS:
        suites(cfg, rsa_kx, COUNT(rsa_kx));
        tlsflow_config_set_offer_ems(cfg, 0);
        break;
    case TFF_CLIENT_ALPN:
        must(tlsflow_config_set_alpn(cfg, protos, COUNT(protos)) == 0, "alpn");
        use_workspace_allocator(cfg, TLSFLOW_CLIENT);
        break;
    case TFF_CLIENT_CHACHA: {
        static const uint16_t ids[] = {TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                                       TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                                       TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256};
        suites(cfg, ids, COUNT(ids));
        break;
    }
    case TFF_CLIENT_P384: {
        static const uint16_t ids[] = {TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                                       TLSFLOW_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384};
        static const uint16_t groups[] = {TLSFLOW_GROUP_SECP384R1};
        suites(cfg, ids, COUNT(ids));
        must(tlsflow_config_set_groups(cfg, groups, COUNT(groups)) == 0, "groups");
        break;
    }
    case TFF_CLIENT_ECDSA: {
        static const uint16_t ids[] = {TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                                       TLSFLOW_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                                       TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256};
        suites(cfg, ids, COUNT(ids));
        break;
    }
    case TFF_CLIENT_RESUME12:
        versions12(cfg);
        tlsflow_config_set_session_callback(cfg, tff_session_check, NULL);
        tlsflow_config_set_keylog(cfg, tff_keylog_check, NULL);
        break;
    case TFF_CLIENT_RESUME13:
        tlsflow_config_set_session_callback(cfg, tff_session_check, NULL);
        tlsflow_config_set_ticket_callback(cfg, tff_ticket_check, NULL);
        use_workspace_allocator(cfg, TLSFLOW_CLIENT);
        break;
    case TFF_CLIENT_MTLS:
        versions12(cfg);
        credential(cfg, tff_fixture_client_ec_pem, tff_fixture_client_ec_pem_len,
                   tff_fixture_client_ec_key, tff_fixture_client_ec_key_len);
        credential(cfg, tff_fixture_client_pem, tff_fixture_client_pem_len, tff_fixture_client_key,
                   tff_fixture_client_key_len);
        must(tlsflow_config_set_record_size_limit(cfg, 512) == 0, "record_size_limit");
        tlsflow_config_set_trace(cfg, tff_trace_check, NULL);
        break;
    case TFF_CLIENT_MTLS_ASYNC:
        versions12(cfg);
        credential(cfg, tff_fixture_client_pem, tff_fixture_client_pem_len, tff_fixture_client_key,
                   tff_fixture_client_key_len);
        tlsflow_config_set_key_offload(cfg, 1);
        break;
    case TFF_CLIENT_PKCS1: {
        static const uint16_t schemes[] = {
            TLSFLOW_SIG_RSA_PKCS1_SHA512,       TLSFLOW_SIG_RSA_PKCS1_SHA384,
            TLSFLOW_SIG_RSA_PKCS1_SHA256,       TLSFLOW_SIG_ECDSA_SECP256R1_SHA256,
            TLSFLOW_SIG_ECDSA_SECP384R1_SHA384, TLSFLOW_SIG_ECDSA_SECP521R1_SHA512};
        versions12(cfg);
        must(tlsflow_config_set_signature_schemes(cfg, schemes, COUNT(schemes)) == 0, "schemes");
        credential(cfg, tff_fixture_client_pem, tff_fixture_client_pem_len, tff_fixture_client_key,
                   tff_fixture_client_key_len);
        break;
    }
    case TFF_CLIENT_IMPORT:
        tlsflow_config_set_session_callback(cfg, tff_session_check, NULL);
        tlsflow_config_set_ticket_callback(cfg, tff_ticket_check, NULL);
        break;
    case TFF_CLIENT_HOOK:
        credential(cfg, tff_fixture_client_ec_pem, tff_fixture_client_ec_pem_len,
                   tff_fixture_client_ec_key, tff_fixture_client_ec_key_len);
        tlsflow_config_set_verify(cfg, tff_verify_hook, NULL);
        tlsflow_config_set_trace(cfg, tff_trace_check, NULL);
        break;
    default:
        break;
    }
    return cfg;
}

/* The two keys of TFF_SERVER_TICKETS: the first seals, the second is retired. */
static const tlsflow_ticket_key ticket_keys[2] = {{{'t', 'f', 'f', '-', 'n', 'e', 'w'}, {0x21}},
                                                  {{'t', 'f', 'f', '-', 'o', 'l', 'd'}, {0x12}}};

/* A server that asks for client certificates under the fixture root. */
static void ask_client_certificates(tlsflow_config *cfg, tlsflow_client_auth mode)
{
    must(tlsflow_config_add_trust_anchors(cfg, tff_fixture_ca_pem, tff_fixture_ca_pem_len) == 0,
         "client roots");
    must(tlsflow_config_set_client_auth(cfg, mode) == 0, "client auth");
}

static tlsflow_config *new_server(int variant)
{
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_SERVER);
    must(cfg != NULL, "server config");
    tlsflow_config_set_random(cfg, fuzz_random, &server_rng);
    tlsflow_config_set_time(cfg, fuzz_time, NULL);
    int rsa = 1;
#ifdef TFF_HAVE_FIXTURE_server_ec384_pem
    if (variant == TFF_SERVER_EC384) {
        credential(cfg, tff_fixture_server_ec384_pem, tff_fixture_server_ec384_pem_len,
                   tff_fixture_server_ec384_key, tff_fixture_server_ec384_key_len);
        rsa = 0;
    }
#endif
    if (rsa)
        credential(cfg, tff_fixture_server_pem, tff_fixture_server_pem_len, tff_fixture_server_key,
                   tff_fixture_server_key_len);
    static const uint16_t rsa_kx[] = {TLSFLOW_RSA_WITH_AES_128_GCM_SHA256,
                                      TLSFLOW_RSA_WITH_AES_256_GCM_SHA384};
    static const char *const protos[] = {"http/1.1", "h2"};
    switch (variant) {
    case TFF_SERVER_ALPN:
        must(tlsflow_config_set_alpn(cfg, protos, COUNT(protos)) == 0, "alpn");
        use_workspace_allocator(cfg, TLSFLOW_SERVER);
        break;
    case TFF_SERVER_AES256: {
        /* RSA key transport with AES-256 first, then everything else in default order. */
        uint16_t ids[TF_MAX_SUITES];
        size_t n = 0;
        ids[n++] = TLSFLOW_RSA_WITH_AES_256_GCM_SHA384;
        for (size_t i = 0; i < tf_suite_count() && n < TF_MAX_SUITES; i++)
            if (tf_suite_at(i)->id != TLSFLOW_RSA_WITH_AES_256_GCM_SHA384)
                ids[n++] = tf_suite_at(i)->id;
        suites(cfg, ids, n);
        break;
    }
    case TFF_SERVER_SMALL:
        must(tlsflow_config_set_max_handshake_size(cfg, 1024) == 0, "cap");
        break;
#ifdef TFF_HAVE_FIXTURE_server_ec_pem
    case TFF_SERVER_DUAL:
        credential(cfg, tff_fixture_server_ec_pem, tff_fixture_server_ec_pem_len,
                   tff_fixture_server_ec_key, tff_fixture_server_ec_key_len);
        break;
#endif
    case TFF_SERVER_PSS: {
        static const uint16_t schemes[] = {TLSFLOW_SIG_RSA_PSS_RSAE_SHA256,
                                           TLSFLOW_SIG_RSA_PSS_RSAE_SHA384};
        static const uint16_t groups[] = {TLSFLOW_GROUP_X25519};
        must(tlsflow_config_set_signature_schemes(cfg, schemes, COUNT(schemes)) == 0, "schemes");
        must(tlsflow_config_set_groups(cfg, groups, COUNT(groups)) == 0, "groups");
        break;
    }
    case TFF_SERVER_RSA_KX:
        suites(cfg, rsa_kx, COUNT(rsa_kx));
        break;
    case TFF_SERVER_TICKETS: {
        /* The first key seals; the second (a retired one) only opens. */
        must(tlsflow_config_set_ticket_keys(cfg, ticket_keys, COUNT(ticket_keys)) == 0,
             "ticket keys");
        must(tlsflow_config_set_ticket_policy(cfg, 7200, 1) == 0, "ticket policy");
        use_workspace_allocator(cfg, TLSFLOW_SERVER);
        tlsflow_config_set_keep_client_hello(cfg, 1);
        tlsflow_config_set_trace(cfg, tff_trace_check, NULL);
        break;
    }
    case TFF_SERVER_MTLS:
        ask_client_certificates(cfg, TLSFLOW_CLIENT_AUTH_REQUIRED);
        tlsflow_config_set_keylog(cfg, tff_keylog_check, NULL);
        break;
    case TFF_SERVER_MTLS_HOOK:
        ask_client_certificates(cfg, TLSFLOW_CLIENT_AUTH_OPTIONAL);
        tlsflow_config_set_verify(cfg, tff_verify_hook, NULL);
        must(tlsflow_config_set_one_thread(cfg, 1) == 0, "one thread");
        break;
    default:
        break;
    }
    return cfg;
}

/* Built on first use and kept for the life of the process (reachable, so no leak). */
static tlsflow_config *clients[TFF_CLIENT_VARIANTS], *servers[TFF_SERVER_VARIANTS],
    *offload_servers[2][TFF_SERVER_VARIANTS];

const tlsflow_config *tff_client_config(int variant)
{
    variant = (variant % TFF_CLIENT_VARIANTS + TFF_CLIENT_VARIANTS) % TFF_CLIENT_VARIANTS;
    if (!clients[variant]) {
        unsigned long held = pause_faults();
        clients[variant] = new_client(variant);
        resume_faults(held);
    }
    return clients[variant];
}

const tlsflow_config *tff_server_config(int variant)
{
    variant = (variant % TFF_SERVER_VARIANTS + TFF_SERVER_VARIANTS) % TFF_SERVER_VARIANTS;
    if (!servers[variant]) {
        unsigned long held = pause_faults();
        servers[variant] = new_server(variant);
        resume_faults(held);
    }
    return servers[variant];
}

const tlsflow_config *tff_server_config_offload(int variant, int handles)
{
    variant = (variant % TFF_SERVER_VARIANTS + TFF_SERVER_VARIANTS) % TFF_SERVER_VARIANTS;
    handles = handles != 0;
    tlsflow_config **cfg = &offload_servers[handles][variant];
    if (!*cfg) {
        unsigned long held = pause_faults();
        with_handles = handles;
        *cfg = new_server(variant);
        with_handles = 0;
        if (!handles)
            tlsflow_config_set_key_offload(*cfg, 1);
        resume_faults(held);
    }
    return *cfg;
}

/* A server of the days when the retired key sealed tickets. */
static const tlsflow_config *retired_server(void)
{
    static tlsflow_config *cfg;
    if (!cfg) {
        unsigned long held = pause_faults();
        cfg = new_server(TFF_SERVER_DEFAULT);
        must(tlsflow_config_set_ticket_keys(cfg, &ticket_keys[1], 1) == 0, "retired ticket key");
        must(tlsflow_config_set_ticket_policy(cfg, 7200, 1) == 0, "ticket policy");
        resume_faults(held);
    }
    return cfg;
}

/* The session a resuming client variant offers: from an earlier handshake of its
 * configuration with TFF_SERVER_TICKETS (TFF_CLIENT_IMPORT: with the retired key's
 * server), made once, whichever input comes first: the input's random sources, key logs
 * and faults are put back as they were. */
const uint8_t *tff_session(int variant, size_t *len)
{
    static uint8_t sessions[3][TF_MAX_SESSION];
    static size_t lens[3];
    variant = (variant % TFF_CLIENT_VARIANTS + TFF_CLIENT_VARIANTS) % TFF_CLIENT_VARIANTS;
    int i = variant == TFF_CLIENT_RESUME12 ? 0 : variant == TFF_CLIENT_RESUME13 ? 1 : 2;
    if (variant != TFF_CLIENT_RESUME12 && variant != TFF_CLIENT_RESUME13 &&
        variant != TFF_CLIENT_IMPORT)
        return NULL;
    if (!lens[i]) {
        tft_rng crng = client_rng, srng = server_rng;
        unsigned verdict = verdict_mode;
        static keylog_lines logs[2];
        memcpy(logs, keylogs, sizeof(logs));
        fault_state armed = fault;
        unsigned long held = pause_faults();
        tff_reset();
        tlsflow_conn *c = tlsflow_conn_new(tff_client_config(variant));
        tlsflow_conn *s =
            tlsflow_conn_new(i == 2 ? retired_server() : tff_server_config(TFF_SERVER_TICKETS));
        TFF_CHECK(c && s && tft_handshake(c, s, NULL));
        tft_step(s, c, NULL, NULL); /* TLS 1.3: its ticket */
        tlsflow_poll(c);
        TFF_CHECK(tlsflow_session_export(c, sessions[i], sizeof(sessions[i]), &lens[i]) == 0);
        TFF_CHECK(tlsflow_get_info(c)->version ==
                  (i ? TLSFLOW_VERSION_TLS13 : TLSFLOW_VERSION_TLS12));
        tlsflow_conn_free(c);
        tlsflow_conn_free(s);
        client_rng = crng;
        server_rng = srng;
        verdict_mode = verdict;
        memcpy(keylogs, logs, sizeof(logs));
        fault = armed;
        resume_faults(held);
    }
    *len = lens[i];
    return sessions[i];
}

tlsflow_conn *tff_client_new(int variant)
{
    variant = (variant % TFF_CLIENT_VARIANTS + TFF_CLIENT_VARIANTS) % TFF_CLIENT_VARIANTS;
    size_t len = 0;
    const uint8_t *session = tff_session(variant, &len);
    tlsflow_conn *c = tlsflow_conn_new(tff_client_config(variant));
    if (!c) {
        /* No workspace, or a hash for the transcript could not start. */
        TFF_CHECK(fault.hit == TLSFLOW_CLIENT || tff_crypto_fault_fired());
        return NULL;
    }
    if (session) {
        int r = tlsflow_session_import(c, session, len);
        /* 0: expired at the time a fault set, and dropped. */
        TFF_CHECK(r == 1 || (r == 0 && fault.kind == TFF_FAULT_TIME));
    }
    return c;
}

tlsflow_conn *tff_server_new(int variant)
{
    tlsflow_conn *c = tlsflow_conn_new(tff_server_config(variant));
    TFF_CHECK(c != NULL || fault.hit == TLSFLOW_SERVER || tff_crypto_fault_fired());
    return c;
}

size_t tff_extended(const uint8_t *p, size_t len, int *variant, unsigned *answers)
{
    if (len == 0 || p[0] != TFF_EXTENDED)
        return 0;
    *variant = len > 1 ? p[1] : 0;
    *answers = len > 2 ? p[2] : 0;
    return len < 3 ? len : 3;
}

static void keylog13(void *ctx, const char *line)
{
    keylog_lines *k = ctx;
    if (k->n < COUNT(k->lines))
        snprintf(k->lines[k->n++], sizeof(k->lines[0]), "%s", line);
}

size_t tff_keylog13(tlsflow_role role, const char *label, uint8_t *out, size_t cap)
{
    const keylog_lines *k = &keylogs[role == TLSFLOW_SERVER];
    return tft_keylog_secret((const char(*)[256])k->lines, k->n, label, out, cap);
}

static tlsflow_config *new_client13(unsigned flags)
{
    tlsflow_config *cfg = new_client(TFF_CLIENT_DEFAULT);
    if (flags & TFF13_HRR) {
        static const uint16_t groups[] = {TLSFLOW_GROUP_SECP256R1, TLSFLOW_GROUP_X25519};
        must(tlsflow_config_set_groups(cfg, groups, COUNT(groups)) == 0, "groups");
    }
    if (flags & TFF13_CERT) {
        if (flags & TFF13_ALT)
            credential(cfg, tff_fixture_client_pem, tff_fixture_client_pem_len,
                       tff_fixture_client_key, tff_fixture_client_key_len);
        else
            credential(cfg, tff_fixture_client_ec_pem, tff_fixture_client_ec_pem_len,
                       tff_fixture_client_ec_key, tff_fixture_client_ec_key_len);
    }
    if (flags & TFF13_ALT) {
        static const uint16_t ids[] = {TLSFLOW_AES_256_GCM_SHA384, TLSFLOW_CHACHA20_POLY1305_SHA256,
                                       TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256};
        static const char *const protos[] = {"h2", "http/1.1"};
        suites(cfg, ids, COUNT(ids));
        must(tlsflow_config_set_alpn(cfg, protos, COUNT(protos)) == 0, "alpn");
        must(tlsflow_config_set_record_size_limit(cfg, 4096) == 0, "record_size_limit");
    }
    tlsflow_config_set_keylog(cfg, keylog13, &keylogs[0]);
    return cfg;
}

static tlsflow_config *new_server13(unsigned flags)
{
    tlsflow_config *cfg = new_server((flags & TFF13_ALT) ? TFF_SERVER_DUAL : TFF_SERVER_DEFAULT);
    if (flags & TFF13_HRR) {
        static const uint16_t groups[] = {TLSFLOW_GROUP_X25519};
        must(tlsflow_config_set_groups(cfg, groups, COUNT(groups)) == 0, "groups");
    }
    if (flags & TFF13_AUTH) {
        ask_client_certificates(cfg, TLSFLOW_CLIENT_AUTH_OPTIONAL);
    }
    if (flags & TFF13_ALT) {
        static const char *const protos[] = {"http/1.1", "h2"};
        must(tlsflow_config_set_alpn(cfg, protos, COUNT(protos)) == 0, "alpn");
        must(tlsflow_config_set_record_size_limit(cfg, 2048) == 0, "record_size_limit");
    }
    static const tlsflow_ticket_key key = {{'t', 'f', 'f', '1', '3'}, {0x13}};
    must(tlsflow_config_set_ticket_keys(cfg, &key, 1) == 0, "ticket key");
    tlsflow_config_set_keylog(cfg, keylog13, &keylogs[1]);
    return cfg;
}

static tlsflow_config *clients13[TFF13_FLAGS], *servers13[TFF13_FLAGS];

const tlsflow_config *tff_client_config13(unsigned flags)
{
    flags &= TFF13_HRR | TFF13_CERT | TFF13_ALT; /* what the client's side of a pair needs */
    if (!clients13[flags]) {
        unsigned long held = pause_faults();
        clients13[flags] = new_client13(flags);
        resume_faults(held);
    }
    return clients13[flags];
}

const tlsflow_config *tff_server_config13(unsigned flags)
{
    flags =
        (flags & (TFF13_HRR | TFF13_ALT)) | ((flags & (TFF13_AUTH | TFF13_CERT)) ? TFF13_AUTH : 0);
    if (!servers13[flags]) {
        unsigned long held = pause_faults();
        servers13[flags] = new_server13(flags);
        resume_faults(held);
    }
    return servers13[flags];
}

static const uint8_t *pem_to_der(const uint8_t *pem, size_t pem_len, uint8_t *buf, size_t cap,
                                 size_t *len)
{
    must(tf_pem_cert_to_der((const char *)pem, pem_len, buf, cap, len) == 0, "fixture PEM");
    return buf;
}

const uint8_t *tff_leaf_der(size_t *len)
{
    static uint8_t der[4096];
    static size_t der_len;
    if (!der_len)
        pem_to_der(tff_fixture_server_pem, tff_fixture_server_pem_len, der, sizeof(der), &der_len);
    *len = der_len;
    return der;
}

const uint8_t *tff_root_der(size_t *len)
{
    static uint8_t der[4096];
    static size_t der_len;
    if (!der_len)
        pem_to_der(tff_fixture_ca_pem, tff_fixture_ca_pem_len, der, sizeof(der), &der_len);
    *len = der_len;
    return der;
}

uint8_t tff_u8(tff_input *in)
{
    if (!in->len)
        return 0;
    in->len--;
    return *in->p++;
}

uint16_t tff_u16(tff_input *in)
{
    uint16_t hi = tff_u8(in);
    return (uint16_t)((hi << 8) | tff_u8(in));
}

size_t tff_take(tff_input *in, size_t n, const uint8_t **out)
{
    if (n > in->len)
        n = in->len;
    *out = in->p;
    in->p += n;
    in->len -= n;
    return n;
}

size_t tff_chunk_from_bits(unsigned bits)
{
    static const size_t CHUNKS[8] = {0, 1, 2, 3, 5, 7, 64, 1000};
    return CHUNKS[bits & 7];
}

void tff_drive_opts_from_bits(unsigned bits, tff_drive_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->chunk = tff_chunk_from_bits(bits);
    /* Partial acknowledgements exercise the output buffer's compaction. */
    o->out_chunk = (bits & 7) == 1 ? 1 : (bits & 7) == 6 ? 100 : 0;
    o->eof_at_end = (bits >> 3) & 1;
    o->echo = (bits >> 4) & 1;
    o->close_after = o->echo ? 2 : 0;
}

size_t tff_record_len(const uint8_t *p, size_t len)
{
    if (len < 5)
        return 0;
    size_t n = 5 + (((size_t)p[3] << 8) | p[4]);
    return n <= len ? n : 0;
}

const uint8_t *tff_stream_certificate(const uint8_t *stream, size_t len, size_t *body_len)
{
    static uint8_t hs[1 << 17];
    size_t n = 0, off = 0, rl;
    if (!stream)
        return NULL;
    while ((rl = tff_record_len(stream + off, len - off)) && stream[off] == TF_CT_HANDSHAKE &&
           n + rl - 5 <= sizeof(hs)) {
        memcpy(hs + n, stream + off + 5, rl - 5);
        n += rl - 5;
        off += rl;
    }
    for (size_t m = 0; m + 4 <= n;) {
        size_t body = ((size_t)hs[m + 1] << 16) | ((size_t)hs[m + 2] << 8) | hs[m + 3];
        if (m + 4 + body > n)
            return NULL;
        if (hs[m] == TF_HS_CERTIFICATE) {
            *body_len = body;
            return hs + m + 4;
        }
        m += 4 + body;
    }
    return NULL;
}

static size_t u24(const uint8_t *p)
{
    return ((size_t)p[0] << 16) | ((size_t)p[1] << 8) | p[2];
}

/* The chain held equals the first certificates of a TLS 1.2 Certificate body: as many as
 * the engine keeps (TF_MAX_CHAIN, and what fits the configuration's room for them). */
static void check_chain_held(const tlsflow_conn *c, const uint8_t *cert, size_t cert_len)
{
    size_t n = tlsflow_peer_cert_count(c), kept = 0, used = 0, off = 3;
    if (cert_len < 3 || u24(cert) != cert_len - 3)
        return; /* malformed: the engine cannot have taken it */
    while (off + 3 <= cert_len && kept < TF_MAX_CHAIN) {
        size_t len = u24(cert + off), got = 0;
        if (off + 3 + len > cert_len || used + len > c->cfg->peer_chain_cap)
            break;
        const uint8_t *der = tlsflow_peer_cert(c, kept, &got);
        TFF_CHECK(der != NULL && got == len && memcmp(der, cert + off + 3, len) == 0);
        used += len;
        off += 3 + len;
        kept++;
    }
    TFF_CHECK(n == kept);
}

static void observe(tlsflow_conn *c, tff_watch *w, const uint8_t *cert, size_t cert_len)
{
    const tlsflow_info *info = tlsflow_get_info(c);
    TFF_CHECK(info != NULL && info->client_hello != NULL);
    TFF_CHECK(tlsflow_conn_memory(c) > 0 && tlsflow_conn_role(c) == c->role);
    TFF_CHECK(memchr(info->server_name, 0, sizeof(info->server_name)) &&
              memchr(info->alpn, 0, sizeof(info->alpn)));
    TFF_CHECK(info->version == 0 || info->version == TLSFLOW_VERSION_TLS12 ||
              info->version == TLSFLOW_VERSION_TLS13);
    TFF_CHECK(info->records_in >= w->records_in && info->records_out >= w->records_out &&
              info->app_bytes_in >= w->bytes_in && info->app_bytes_out >= w->bytes_out);
    w->records_in = info->records_in;
    w->records_out = info->records_out;
    w->bytes_in = info->app_bytes_in;
    w->bytes_out = info->app_bytes_out;
    if (w->done) {
        TFF_CHECK(info->version != 0 && tlsflow_suite_name(info->cipher_suite) != NULL &&
                  info->key_exchange[0] != 0);
        if (!w->version) {
            w->version = info->version;
            w->suite = info->cipher_suite;
        }
        TFF_CHECK(info->version == w->version && info->cipher_suite == w->suite);
    }

    /* The peer's certificates. */
    size_t n = tlsflow_peer_cert_count(c), len = 1;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *der = tlsflow_peer_cert(c, i, &len);
        /* As sent: a chain the engine refused may hold what no parser takes. */
        TFF_CHECK(der != NULL && len > 0 &&
                  (der[0] == 0x30 || tlsflow_last_error(c) == TLSFLOW_E_CERT_BAD));
    }
    TFF_CHECK(tlsflow_peer_cert(c, n, &len) == NULL && len == 0);
    if (n && w->peer_certs)
        TFF_CHECK(n == w->peer_certs); /* one Certificate per handshake */
    if (n && !w->peer_certs) {
        w->peer_certs = n;
        if (cert && info->version == TLSFLOW_VERSION_TLS12 && !info->resumed)
            check_chain_held(c, cert, cert_len);
    }
    uint8_t pin[32];
    int r = tlsflow_peer_spki_sha256(c, pin);
    TFF_CHECK(r == TLSFLOW_OK || r == TLSFLOW_E_USAGE);
    if (r == TLSFLOW_OK && w->spki_known)
        TFF_CHECK(memcmp(pin, w->spki, 32) == 0);
    if (r == TLSFLOW_OK && !w->spki_known) {
        memcpy(w->spki, pin, 32);
        w->spki_known = 1;
    }

    /* The exporter: refused before the end of the handshake and after an error, then the
     * same bytes each time. */
    uint8_t out[32];
    int err = tlsflow_last_error(c);
    r = tlsflow_export_keying_material(c, TFF_EXPORT_LABEL, NULL, 0, out, sizeof(out));
    if (err || !(w->done || w->exported)) {
        TFF_CHECK(r == TLSFLOW_OK || r == TLSFLOW_E_USAGE);
        TFF_CHECK(!err || r == TLSFLOW_E_USAGE);
    } else {
        TFF_CHECK(r == TLSFLOW_OK);
    }
    if (r != TLSFLOW_OK)
        return;
    if (w->exported) {
        TFF_CHECK(memcmp(out, w->export, sizeof(out)) == 0);
        return;
    }
    memcpy(w->export, out, sizeof(out));
    w->exported = 1;
    static const uint8_t ctx[1025] = {1};
    uint8_t again[32];
    TFF_CHECK(tlsflow_export_keying_material(c, "client finished", NULL, 0, again, 32) ==
              TLSFLOW_E_USAGE);
    TFF_CHECK(tlsflow_export_keying_material(c, TFF_EXPORT_LABEL, NULL, 0, again, 0) ==
              TLSFLOW_E_USAGE);
    TFF_CHECK(tlsflow_export_keying_material(c, TFF_EXPORT_LABEL, ctx, sizeof(ctx), again, 32) ==
              TLSFLOW_E_USAGE);
    TFF_CHECK(tlsflow_export_keying_material(c, TFF_EXPORT_LABEL, ctx, 0, again, 32) == 0);
    /* TLS 1.2 (RFC 5705 §4): no context differs from an empty one; TLS 1.3 (RFC 8446 §7.5):
     * they are the same. */
    TFF_CHECK((memcmp(again, out, 32) == 0) == (info->version == TLSFLOW_VERSION_TLS13));
}

/* The alert an error sends: its own, but a verification hook may name another, and a
 * TLS 1.2 server without the certificate it requires says handshake_failure (RFC 5246
 * §7.4.6; certificate_required is TLS 1.3's). */
static int expected_alert(const tlsflow_conn *c, int err)
{
    for (size_t i = 0; i < COUNT(hook_alerts); i++)
        if (err == TLSFLOW_E_CERT_REJECTED && hook_alerts[i].c == c)
            return hook_alerts[i].alert;
    if (err == TLSFLOW_E_CERT_REQUIRED && c->version != TF_TLS13)
        return TLSFLOW_ALERT_HANDSHAKE_FAILURE;
    return tf_alert_for(err);
}

/* Did this connection's workspace allocation fail (an armed fault)? */
static int oom(const tlsflow_conn *c, int err)
{
    return err == TLSFLOW_E_INTERNAL && fault.hit == c->role &&
           (fault.kind == TFF_FAULT_WORKSPACE || fault.kind == TFF_FAULT_MISALIGNED);
}

static void check(const tlsflow_conn *c, tff_watch *w, tlsflow_event ev)
{
    int err = tlsflow_last_error(c);
    TFF_CHECK(tlsflow_last_error_text(c) != NULL);
    TFF_CHECK(tlsflow_error_name(err) != NULL);
    TFF_CHECK(w->error == 0 || err == w->error); /* sticky */
    if (err)
        w->error = err;
    else
        w->alert_before_error = tlsflow_sent_alert(c) + 2;
    TFF_CHECK(ev >= TLSFLOW_NEED_INPUT && ev <= TLSFLOW_KEY_OPERATION);
    TFF_CHECK(!w->closed || ev == TLSFLOW_CLOSED); /* CLOSED is final */
    /* Data may be taken in while our last flight still waits to go out (full duplex), but
     * once nothing waits, HANDSHAKE_DONE comes before anything else. */
    if (!w->done &&
        (ev == TLSFLOW_NEED_INPUT || ev == TLSFLOW_APP_DATA || ev == TLSFLOW_KEY_OPERATION))
        TFF_CHECK(tlsflow_get_info(c)->records_in == 0);
    if (ev == TLSFLOW_APP_DATA)
        TFF_CHECK(w->done); /* no application data before the handshake */
    if (ev == TLSFLOW_HANDSHAKE_DONE) {
        TFF_CHECK(!w->done); /* reported exactly once */
        TFF_CHECK(err == 0);
        w->done = 1;
    }
    if (ev == TLSFLOW_CLOSED) {
        w->closed = 1;
        if (err == 0) /* a clean close is a close_notify we sent */
            TFF_CHECK(tlsflow_sent_alert(c) == TLSFLOW_ALERT_CLOSE_NOTIFY);
        else if (err == TLSFLOW_E_PEER_ALERT)
            TFF_CHECK(tlsflow_peer_alert(c) >= 0);
        else if (oom(c, err) || tff_crypto_fault_fired())
            /* No memory for buffers, or an alert that could not be sealed: maybe no alert
             * (the last one sent is then what went before, a warning or none) */
            TFF_CHECK(tlsflow_sent_alert(c) < 0 ||
                      tlsflow_sent_alert(c) + 2 == w->alert_before_error ||
                      tlsflow_sent_alert(c) == expected_alert(c, err));
        else if (!w->eof && tf_alert_for(err) >= 0)
            TFF_CHECK(tlsflow_sent_alert(c) == expected_alert(c, err)); /* the right one */
    }
}

/* The harness's questions (hashes of the peer's key, exporters) hold an armed fault. */
void tff_observe(tlsflow_conn *c, tff_watch *w, const uint8_t *cert, size_t cert_len)
{
    unsigned long held = pause_faults();
    observe(c, w, cert, cert_len);
    resume_faults(held);
}

void tff_check(const tlsflow_conn *c, tff_watch *w, tlsflow_event ev)
{
    unsigned long held = pause_faults();
    check(c, w, ev);
    resume_faults(held);
}

/* The operation done with the key a handle names (the harness's copy of a fixture key). */
static int run_with_handle(const tlsflow_key_operation *op, uint8_t *out, size_t cap, size_t *n)
{
    static tf_drbg blinding; /* wolfCrypt's, for RSA blinding only: results do not depend on it */
    const tf_private_key *k = op->key_handle;
    if (op->type == TLSFLOW_KEY_OP_RSA_DECRYPT)
        return tf_rsa_decrypt_raw(k, op->input, op->input_len, out, cap, n, &blinding);
    const tf_sig_scheme *s = tf_sig_scheme_find(op->scheme);
    TFF_CHECK(s != NULL);
    tft_rng *rng = &server_rng; /* handles are server credentials */
    if (op->input)
        return tf_sign(k, s->alg, s->hash, op->input, op->input_len, out, cap, n, fuzz_random, rng,
                       &blinding);
    return tf_sign_digest(k, s->alg, s->hash, op->digest, out, cap, n, fuzz_random, rng, &blinding);
}

void tff_key_op_now(tlsflow_conn *c)
{
    uint8_t res[1024];
    size_t n = 0;
    const tlsflow_key_operation *op = tlsflow_key_op(c);
    TFF_CHECK(op != NULL);
    int r;
    if (op->key_handle) {
        /* The engine has no key to run it with. */
        TFF_CHECK(tlsflow_key_op_run(c, res, sizeof(res), &n) == TLSFLOW_E_USAGE);
        r = run_with_handle(op, res, sizeof(res), &n) ? TLSFLOW_E_INTERNAL : TLSFLOW_OK;
    } else {
        r = tlsflow_key_op_run(c, res, sizeof(res), &n);
    }
    /* Only a random source or a primitive made to fail makes a fixture key's operation fail. */
    TFF_CHECK(r == TLSFLOW_OK ||
              (r == TLSFLOW_E_INTERNAL && (fault.hit || tff_crypto_fault_fired())));
    TFF_CHECK(tlsflow_key_op_complete(c, r == TLSFLOW_OK ? res : NULL, n) == 0);
    TFF_CHECK(tlsflow_key_op(c) == NULL);
}

int tff_release(tlsflow_conn *c)
{
    if (!tlsflow_conn_release_buffers(c))
        return 0;
    const unsigned idle = TLSFLOW_READY_RECV | TLSFLOW_READY_APP_WRITE | TLSFLOW_READY_ESTABLISHED;
    TFF_CHECK(tlsflow_conn_release_buffers(c) == 0); /* nothing left to give */
    TFF_CHECK(tlsflow_poll(c) == TLSFLOW_NEED_INPUT && tlsflow_ready(c) == idle);
    TFF_CHECK(c->workspace == NULL);
    return 1;
}

/* Hand the next chunk of the stream to the connection; 0 if none fits or is left. */
static int feed(tlsflow_conn *c, const uint8_t *stream, size_t len, size_t *off,
                const tff_drive_opts *o, size_t *room)
{
    uint8_t *dst = tlsflow_in_buf(c, room);
    if (*off >= len || !*room)
        return 0;
    size_t n = len - *off;
    if (o->chunk && n > o->chunk)
        n = o->chunk;
    if (n > *room)
        n = *room;
    memcpy(dst, stream + *off, n);
    tlsflow_in_ack(c, n);
    *off += n;
    return 1;
}

/* Answer a private-key operation as the options say. */
static void key_op(tlsflow_conn *c, const tff_drive_opts *o)
{
    static const uint8_t garbage[48] = {3, 3, 0x5a, 0x5a, 0x5a};
    const tlsflow_key_operation *op = tlsflow_key_op(c);
    TFF_CHECK(op != NULL && op->key_bits > 0);
    if (op->type == TLSFLOW_KEY_OP_RSA_DECRYPT)
        TFF_CHECK(op->input != NULL && op->input_len > 0 && op->scheme == 0 && !op->digest);
    else /* a message, or only its digest (a TLS 1.2 client's CertificateVerify) */
        TFF_CHECK(op->type == TLSFLOW_KEY_OP_SIGN && op->digest && op->digest_len >= 32 &&
                  (op->input ? op->input_len > 0 : op->input_len == 0));
    switch (o->key_op) {
    case TFF_KEY_FAIL:
        TFF_CHECK(tlsflow_key_op_complete(c, NULL, 0) == 0);
        break;
    case TFF_KEY_GARBAGE:
        TFF_CHECK(tlsflow_key_op_complete(c, garbage, sizeof(garbage)) == 0);
        break;
    case TFF_KEY_NEVER:
        tlsflow_close(c);
        TFF_CHECK(tlsflow_key_op(c) == NULL);
        TFF_CHECK(tlsflow_key_op_complete(c, garbage, sizeof(garbage)) == TLSFLOW_E_USAGE);
        return;
    default:
        tff_key_op_now(c);
        return;
    }
    TFF_CHECK(tlsflow_key_op(c) == NULL);
    TFF_CHECK(tlsflow_key_op_complete(c, NULL, 0) == TLSFLOW_E_USAGE); /* only once */
}

tlsflow_event tff_drive(tlsflow_conn *c, const uint8_t *stream, size_t len, const tff_drive_opts *o)
{
    tff_watch w = {0};
    return tff_drive_watched(c, stream, len, o, &w);
}

tlsflow_event tff_drive_watched(tlsflow_conn *c, const uint8_t *stream, size_t len,
                                const tff_drive_opts *o, tff_watch *w)
{
    static const uint8_t greeting[] = "hello from the fuzz harness";
    size_t off = 0, app_events = 0, delayed = 0, room, cert_len = 0;
    const uint8_t *cert = tff_stream_certificate(stream, len, &cert_len);
    /* Every poll either moves bytes or changes state; this bound only catches a loop. */
    size_t bound = 100000 + 64 * len;
    for (size_t step = 0;; step++) {
        TFF_CHECK(step < bound);
        tlsflow_event ev = tlsflow_poll(c);
        tff_check(c, w, ev);
        if (!o->installed)
            tff_observe(c, w, cert, cert_len);
        switch (ev) {
        case TLSFLOW_OUTPUT_READY: {
            size_t n;
            const uint8_t *p = tlsflow_out_buf(c, &n);
            TFF_CHECK(n > 0 && n <= TLSFLOW_MAX_RECORD + 64);
            if (o->out_chunk && o->out_chunk < n)
                n = o->out_chunk;
            if (o->on_sent)
                o->on_sent(o->sent_ctx, p, n);
            tlsflow_out_ack(c, n);
            break;
        }
        case TLSFLOW_KEY_OPERATION:
            TFF_CHECK(tlsflow_ready(c) & TLSFLOW_READY_KEY_OP);
            /* Later: input keeps arriving while the operation runs elsewhere. */
            if (o->key_op == TFF_KEY_LATER && delayed < o->key_op_delay &&
                feed(c, stream, len, &off, o, &room)) {
                delayed++;
                break;
            }
            delayed = 0;
            key_op(c, o);
            break;
        case TLSFLOW_NEED_INPUT: {
            /* Give the buffers back at every wait (configurations that allow it), so the
             * next call must take fresh ones: the most churn an embedder can cause. */
            tff_release(c);
            if (feed(c, stream, len, &off, o, &room)) {
            } else if (o->eof_at_end && !w->eof) {
                w->eof = 1;
                tlsflow_in_ack(c, 0);
            } else {
                /* Waiting with room to spare is fine; waiting with none is a wedge. */
                TFF_CHECK(room > 0 || off == len);
                return ev;
            }
            break;
        }
        case TLSFLOW_HANDSHAKE_DONE:
            if (o->echo)
                tlsflow_app_write(c, greeting, sizeof(greeting) - 1);
            break;
        case TLSFLOW_APP_DATA: {
            size_t n;
            const uint8_t *p = tlsflow_app_peek(c, &n);
            TFF_CHECK(n > 0 && n <= TLSFLOW_MAX_PLAINTEXT && p != NULL);
            if (o->echo)
                TFF_CHECK(tlsflow_app_write(c, p, n) <= n);
            tlsflow_app_consume(c, n);
            if (o->close_after && ++app_events == (size_t)o->close_after)
                tlsflow_close(c);
            break;
        }
        case TLSFLOW_CLOSED:
            TFF_CHECK(tlsflow_poll(c) == TLSFLOW_CLOSED);
            TFF_CHECK(tlsflow_last_error(c) == w->error);
            TFF_CHECK(tlsflow_app_write(c, "x", 1) == 0);
            return ev;
        }
    }
}
