/* Shared setup for every fuzz harness.
 *
 * Each input starts from the same world: the random sources are reset to fixed seeds and
 * the clock is fixed (tft_time), so a recorded transcript replays with valid Finished MACs
 * and a crash reproduces from its input alone. Configurations are built once, from
 * fixtures compiled into the binary (so a harness runs anywhere, ClusterFuzzLite's
 * runner included), and are only read afterwards. */
#ifndef TLSFLOW_FUZZ_COMMON_H
#define TLSFLOW_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "tlsflow/tlsflow.h"

/* The libFuzzer entry point every harness defines (declared for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Seeds of the two deterministic random sources; tests/support uses the same ones. */
#define TFF_CLIENT_SEED 1
#define TFF_SERVER_SEED 2

/* Reset the random sources: call first thing for every input. */
void tff_reset(void);

/* Client configurations, chosen by a harness's option bits. All trust the fixture root
 * and expect "localhost". Variants whose suites the engine lacks fall back to the
 * default configuration. */
enum {
    TFF_CLIENT_DEFAULT, /* every suite, default order, extended master secret */
    TFF_CLIENT_RSA_KX,  /* RSA key transport suites only */
    TFF_CLIENT_AES256,  /* TLS_RSA_WITH_AES_256_GCM_SHA384 only */
    TFF_CLIENT_NO_EMS,  /* RSA key transport without extended_master_secret */
    TFF_CLIENT_ALPN,    /* ALPN "h2", "http/1.1"; buffers given back while idle */
    TFF_CLIENT_CHACHA,  /* ChaCha20-Poly1305 suites first */
    TFF_CLIENT_P384,    /* ECDHE on secp384r1 only */
    TFF_CLIENT_ECDSA,   /* ECDHE_ECDSA suites only (needs an EC server) */
    /* Reached through the extended header only (tff_extended): */
    TFF_CLIENT_RESUME12,   /* TLS 1.2 only, offers a TLS 1.2 session (ticket of TFF_SERVER_TICKETS);
                              session callback, key log */
    TFF_CLIENT_RESUME13,   /* offers a TLS 1.3 session (PSK of TFF_SERVER_TICKETS); session and
                              ticket callbacks; buffers given back while idle, the harness's
                              workspace allocator */
    TFF_CLIENT_MTLS,       /* TLS 1.2 only, client credentials EC P-256 then RSA,
                              record_size_limit 512, trace */
    TFF_CLIENT_MTLS_ASYNC, /* TLS 1.2 only, an RSA client credential whose signature goes to the
                              caller (key offload) */
    TFF_CLIENT_HOOK,       /* the verification hook (tff_set_verdict); a client credential (EC
                              P-256) for TLS 1.3 and 1.2; trace */
    TFF_CLIENT_PKCS1,      /* TLS 1.2 only, RSA PKCS#1 v1.5 and ECDSA signatures only, an RSA client
                              credential */
    TFF_CLIENT_IMPORT,     /* offers a TLS 1.3 session whose ticket a retired key sealed (the
                              second of TFF_SERVER_TICKETS's); fuzz_client imports the session
                              its input gives instead; session and ticket callbacks */
    TFF_CLIENT_VARIANTS
};
/* Server configurations. */
enum {
    TFF_SERVER_DEFAULT, /* the fixture RSA chain and key */
    TFF_SERVER_ALPN,    /* ALPN "http/1.1", "h2"; buffers given back while idle */
    TFF_SERVER_AES256,  /* TLS_RSA_WITH_AES_256_GCM_SHA384 first */
    TFF_SERVER_SMALL,   /* 1024-byte cap on one handshake message */
    TFF_SERVER_DUAL,    /* RSA and EC P-256 credentials side by side */
    TFF_SERVER_EC384,   /* EC P-384 credential only */
    TFF_SERVER_PSS,     /* RSA-PSS signatures only, x25519 only */
    TFF_SERVER_RSA_KX,  /* RSA key transport suites only */
    /* Reached through the extended header only (tff_extended): */
    TFF_SERVER_TICKETS,   /* session tickets (TLS 1.2 and 1.3) under two keys (the second only
                             opens), 2-hour lifetime, one TLS 1.3 ticket; buffers given back
                             while idle (ClientHello summary kept, the harness's allocator); trace */
    TFF_SERVER_MTLS,      /* a client certificate required (fixture root); key log */
    TFF_SERVER_MTLS_HOOK, /* a client certificate asked for (optional), the verification hook
                             (tff_set_verdict); one event loop (set_one_thread) */
    TFF_SERVER_VARIANTS
};
const tlsflow_config *tff_client_config(int variant);
const tlsflow_config *tff_server_config(int variant);
/* A connection of a variant, as the harnesses make them: a client that resumes imports its
 * session (made once, by a real handshake with TFF_SERVER_TICKETS, without touching the
 * random sources of the input). NULL only when an armed workspace fault hit it. */
tlsflow_conn *tff_client_new(int variant);
/* The session tff_client_new(variant) imports (NULL if it imports none). */
const uint8_t *tff_session(int variant, size_t *len);
tlsflow_conn *tff_server_new(int variant);

/* The extended header of the role harnesses (server, client, server_async): where their
 * peer's byte stream would start, TFF_EXTENDED (no TLS record starts with it) followed by
 * a configuration byte (every variant, modulo their number) and an answers byte (bits 0-2
 * the verification hook's verdict, tff_set_verdict; bits 3-5 how a client's key
 * operation is answered, TFF_KEY_*; bits 6-7 input chunks delivered before a later
 * answer). Returns the header's size (0 when there is none; *variant and *answers are
 * then left alone). */
#define TFF_EXTENDED 0xff
size_t tff_extended(const uint8_t *p, size_t len, int *variant, unsigned *answers);

/* The verification hook of TFF_CLIENT_HOOK and TFF_SERVER_MTLS_HOOK, per input (tff_reset:
 * KEEP). Inside it: the peer's chain is there (tlsflow_peer_cert, _count, _spki_sha256),
 * the engine's verdict is 0 or a certificate error. */
enum {
    TFF_VERDICT_KEEP,   /* return the engine's verdict */
    TFF_VERDICT_ACCEPT, /* return 0: accept even what the engine refused */
    TFF_VERDICT_ERROR,  /* refuse with TLSFLOW_E_CERT_UNKNOWN_CA (its alert) */
    TFF_VERDICT_ALERT,  /* refuse with the alert access_denied (49) */
    TFF_VERDICT_OTHER,  /* refuse with a value that is neither (E_CERT_REJECTED, its alert) */
    TFF_VERDICTS
};
void tff_set_verdict(unsigned verdict);
int tff_verify_hook(void *ctx, tlsflow_conn *c, int verdict);
/* The other callbacks the configurations install; each checks what it is given: the
 * session is what tlsflow_session_export gives, a NewSessionTicket body is not empty, a
 * trace event has a known step and a text, a key log line is in the NSS format. */
void tff_session_check(void *ctx, tlsflow_conn *c, const uint8_t *session, size_t len);
void tff_ticket_check(void *ctx, tlsflow_conn *c, const uint8_t *ticket, size_t len);
void tff_trace_check(void *ctx, const tlsflow_conn *c, const tlsflow_trace_event *ev);
void tff_keylog_check(void *ctx, const char *line);

/* Faults, armed per input (tff_reset disarms): the configurations' random source fails on
 * its n-th call (counting both roles; calls after it succeed), the workspace allocator
 * fails on its n-th request or hands out misaligned memory then, or the clock of both
 * roles is off (tff_time_offset(n)). TFF_FAULT_MISUSE is the harness's own: the embedder
 * calls the API wrongly at some moment (fuzz_transitions). */
enum {
    TFF_FAULT_NONE,
    TFF_FAULT_RANDOM,
    TFF_FAULT_WORKSPACE,
    TFF_FAULT_MISALIGNED,
    TFF_FAULT_TIME,
    TFF_FAULT_MISUSE,
    TFF_FAULT_CRYPTO, /* the n-th wolfCrypt call or allocation of the engine fails (fault.h) */
    TFF_FAULTS
};
void tff_set_fault(unsigned kind, unsigned n);
/* The role whose random source or workspace failed (0 while none did). */
tlsflow_role tff_fault_hit(void);
/* Did the armed TFF_FAULT_CRYPTO failure happen? (Always 0 in a build without
 * TLSFLOW_FAULT_INJECTION, where that fault does nothing.) */
int tff_crypto_fault_fired(void);
/* The clock offsets TFF_FAULT_TIME uses, by n (seconds from TF_TEST_TIME). */
int64_t tff_time_offset(unsigned n);

/* TLS 1.3 pairs (fuzz_tls13), by flags; each side offers TLS 1.2 and 1.3 and every suite
 * unless said otherwise. TFF13_HRR: the client's first share is secp256r1, the server takes
 * only x25519 (a HelloRetryRequest). TFF13_AUTH: the server asks for a certificate (optional)
 * under the fixture root. TFF13_CERT: the client has one (client-ec.pem; with TFF13_ALT
 * client.pem, RSA). TFF13_ALT: the client offers only TLS_AES_256_GCM_SHA384 and
 * TLS_CHACHA20_POLY1305_SHA256 for TLS 1.3, ALPN and record_size_limit, and the server
 * answers them and holds the fixture RSA and EC P-256 credentials (TLS 1.3 signs with EC).
 * Servers that do not ask for a certificate issue tickets under a fixed key. Both sides
 * write their key log where tff_keylog13 finds it. */
enum { TFF13_HRR = 1, TFF13_AUTH = 2, TFF13_CERT = 4, TFF13_ALT = 8, TFF13_FLAGS = 16 };
const tlsflow_config *tff_client_config13(unsigned flags);
const tlsflow_config *tff_server_config13(unsigned flags);
/* The secret of the first key log line named `label` that a TLS 1.3 configuration of
 * `role` wrote since tff_reset, into out (cap bytes). Returns its size, 0 if none. */
size_t tff_keylog13(tlsflow_role role, const char *label, uint8_t *out, size_t cap);

/* The fixture certificates as DER (leaf and root). */
const uint8_t *tff_leaf_der(size_t *len);
const uint8_t *tff_root_der(size_t *len);

/* Stop the process with a message: an invariant failed (the fuzzer records a crash). */
void tff_fail(const char *file, int line, const char *what) __attribute__((noreturn));
/* Invariant check that survives NDEBUG builds. */
#define TFF_CHECK(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            tff_fail(__FILE__, __LINE__, #cond);                                                   \
    } while (0)

/* A cursor over the fuzz input that never fails: past the end it yields zeros. */
typedef struct {
    const uint8_t *p;
    size_t len;
} tff_input;
uint8_t tff_u8(tff_input *in);
uint16_t tff_u16(tff_input *in);
/* Up to n bytes from the input (fewer at the end); returns how many. */
size_t tff_take(tff_input *in, size_t n, const uint8_t **out);

/* The public contract of one connection, checked after every tlsflow_poll: the sticky
 * error never changes once set, the error text is never NULL, HANDSHAKE_DONE comes once
 * and before any application data, CLOSED is final and comes with the right alert. */
typedef struct {
    int error;              /* first nonzero error seen */
    int done;               /* HANDSHAKE_DONE reported */
    int eof;                /* the embedder signalled EOF */
    int closed;             /* CLOSED reported */
    int alert_before_error; /* tlsflow_sent_alert + 2 at the last poll without an error */
    /* What tff_observe saw before (zero at the start). */
    int exported;            /* export[] holds the first keying material exported */
    uint8_t export[32];      /* ... for TFF_EXPORT_LABEL without a context */
    uint16_t version, suite; /* as negotiated, once done */
    size_t peer_certs;       /* the peer's certificates, once there were any */
    uint8_t spki[32];        /* the SHA-256 of the peer leaf's key, once known */
    int spki_known;
    uint64_t records_in, records_out, bytes_in, bytes_out;
} tff_watch;
void tff_check(const tlsflow_conn *c, tff_watch *w, tlsflow_event ev);

/* What an embedder may ask at any moment, asked after every poll (the role harnesses and
 * transitions): tlsflow_get_info (the version and suite fixed once done, counters that
 * only grow), the peer's certificates (each DER, none past the count, the count and leaf
 * key fixed once there), the keying material exporter (E_USAGE before the handshake ends
 * and after an error, then the same bytes every time; refused labels and sizes). If
 * `cert` is not NULL, the Certificate message (TLS 1.2, in the clear) the peer sent: the
 * chain held is then its first certificates, byte for byte. */
#define TFF_EXPORT_LABEL "EXPORTER-tlsflow-fuzz"
void tff_observe(tlsflow_conn *c, tff_watch *w, const uint8_t *cert, size_t cert_len);
/* The body of the first Certificate message (TLS 1.2) among the handshake records at the
 * start of a byte stream (up to the first record of another type), or NULL. */
const uint8_t *tff_stream_certificate(const uint8_t *stream, size_t len, size_t *body_len);

/* Drive one connection with a byte stream from its peer, as an embedder would, checking
 * tff_check's invariants on the way. Used by the role and record harnesses. */
typedef struct {
    size_t chunk;        /* bytes handed over per tlsflow_in_ack (0: as much as fits) */
    size_t out_chunk;    /* bytes acknowledged per tlsflow_out_ack (0: all) */
    int eof_at_end;      /* signal EOF once the stream is delivered */
    int echo;            /* greet once done, and write received application data back */
    int close_after;     /* call tlsflow_close after this many APP_DATA events (0: never) */
    int key_op;          /* TFF_KEY_*: how TLSFLOW_KEY_OPERATION is answered */
    size_t key_op_delay; /* TFF_KEY_LATER: input chunks delivered before completing */
    int installed;       /* record keys put in by hand (record_keyed): nothing was negotiated, so
                            tff_observe is not asked */
    /* If set, called with every byte the connection sends, in order. */
    void (*on_sent)(void *ctx, const uint8_t *p, size_t n);
    void *sent_ctx;
} tff_drive_opts;
/* How the driver answers a private-key operation (configurations with offload on). */
enum {
    TFF_KEY_NOW,     /* perform it with the configuration's key at once */
    TFF_KEY_LATER,   /* first deliver key_op_delay chunks of input, then perform it */
    TFF_KEY_FAIL,    /* complete it as failed */
    TFF_KEY_GARBAGE, /* complete it with bytes that are no signature or premaster */
    TFF_KEY_NEVER,   /* never complete it: close the connection instead */
    TFF_KEY_MODES
};
/* Server configurations as tff_server_config, with every key operation handed out:
 * the configuration's keys under key offload, or (handles) credentials whose keys stay
 * with the harness (tlsflow_config_add_credential_key_handle). */
const tlsflow_config *tff_server_config_offload(int variant, int handles);
/* Returns the final event (TLSFLOW_CLOSED, or TLSFLOW_NEED_INPUT when the stream ran out). */
tlsflow_event tff_drive(tlsflow_conn *c, const uint8_t *stream, size_t len,
                        const tff_drive_opts *o);
/* The same for a connection driven in several steps: the watch lives with the caller. */
tlsflow_event tff_drive_watched(tlsflow_conn *c, const uint8_t *stream, size_t len,
                                const tff_drive_opts *o, tff_watch *w);

/* Driver options from five bits of an option byte: bits 0-2 chunk size, bit 3 EOF at the
 * end, bit 4 greet, echo, and close after the second application record. */
void tff_drive_opts_from_bits(unsigned bits, tff_drive_opts *o);
/* The chunk size alone, from three bits (0: whole). */
size_t tff_chunk_from_bits(unsigned bits);

/* Split a buffer of whole TLS records: returns the length of the record at p (header
 * included) or 0 if p[0..len) does not start with a complete record. */
size_t tff_record_len(const uint8_t *p, size_t len);

/* tlsflow_conn_release_buffers, and if it released: the idle connection then polls
 * NEED_INPUT and is ready to receive and write without taking memory back. Returns what
 * release returned. */
int tff_release(tlsflow_conn *c);

/* Perform the pending private-key operation now: with the configuration's key
 * (tlsflow_key_op_run), or for a key handle with the fixture key it names. Completes it as
 * failed when an armed random fault made it fail. */
void tff_key_op_now(tlsflow_conn *c);

#endif
