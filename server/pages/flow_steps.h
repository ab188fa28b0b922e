/* The five-step story of a handshake and the one table of its messages, from which
 * every view draws its sequence: TLS 1.2 with RSA key transport (the classic flow),
 * TLS 1.2 with ECDHE, and TLS 1.3. Each row of the table says in which of the three it
 * appears, in which direction it goes, which of the five steps it carries there and
 * whether it travels encrypted; so two diagrams drawn from it line up and their
 * difference (flow_compare) is a property of the table, not of prose. Also which
 * engine trace step belongs to which of the five. Shared by the server's pages and the
 * client. */
#ifndef TLSFLOW_FLOW_STEPS_H
#define TLSFLOW_FLOW_STEPS_H

#include <stddef.h>

#include <tlsflow/tlsflow.h>

#define FLOW_STEPS 5

/* The flows: three full handshakes and the two resumed ones (a session ticket instead of
 * a certificate). The first two values keep the old meaning of an `ecdhe` flag. */
typedef enum {
    FLOW_RSA12 = 0,    /* TLS 1.2, RSA key transport */
    FLOW_ECDHE12 = 1,  /* TLS 1.2, ECDHE */
    FLOW_TLS13 = 2,    /* TLS 1.3 */
    FLOW_RESUME12 = 3, /* TLS 1.2 abbreviated handshake from a session ticket (RFC 5077 §3.1) */
    FLOW_PSK13 = 4     /* TLS 1.3 resumed with a PSK ticket and a fresh key share (psk_dhe_ke) */
} flow_variant;
#define FLOW_VARIANTS 5

/* The flow a connection negotiated (or is negotiating). */
flow_variant flow_variant_of(const tlsflow_info *info);
/* The full flow of the same version and key exchange: what a resumed connection would have
 * gone through without its ticket (for a full one, its own flow). */
flow_variant flow_full_of(const tlsflow_info *info);
/* Whether v is one of the resumed flows. */
int flow_is_resumed(flow_variant v);
/* "TLS 1.2, RSA key transport", "TLS 1.2, ECDHE", "TLS 1.3", "TLS 1.2, resumed from a
 * session ticket", "TLS 1.3, resumed with a PSK ticket". */
const char *flow_variant_name(flow_variant v);

/* 1..5 for the trace steps that are one of the five in TLS 1.2, else 0 (role-blind: the
 * client's view of its own trace). */
int flow_step_number(tlsflow_step step);
/* The same for a given flow and role: in TLS 1.3 the ClientHello carries step 3 and
 * ServerHello, the handshake keys and CertificateVerify step 4; on a server the
 * Certificate received and verified are the client's (none of the five). */
int flow_step_in(tlsflow_step step, flow_variant v, tlsflow_role role);
/* A short label for any trace step ("ClientHello received"). */
const char *flow_step_label(tlsflow_step step);
/* The same, naming the client's certificate on a server ("Client certificate verified"). */
const char *flow_step_label_in(tlsflow_step step, tlsflow_role role);
/* A stable identifier for JSON ("certificate_sent"). */
const char *flow_step_id(tlsflow_step step);
/* Title and one-sentence explanation of flow step n (1..5) in flow v. */
const char *flow_title(int n, flow_variant v);
const char *flow_explain(int n, flow_variant v);

/* ---- the message sequence ------------------------------------------------------------ */

typedef enum { SEQ_TO_SERVER, SEQ_TO_CLIENT, SEQ_AT_CLIENT, SEQ_AT_SERVER, SEQ_BOTH } seq_dir;

/* Facts about one connection that decide optional rows and fill details. */
typedef struct {
    const tlsflow_info *info;
    int finished_verified;      /* the client's Finished verified */
    const char *client_cv_text; /* the engine's sentence on the client's CertificateVerify */
    unsigned tickets_sent;      /* NewSessionTickets the server sent on this connection */
} flow_facts;

/* One row of a drawn sequence. */
typedef struct {
    const char *id;    /* stable: the same message has the same id in every flow */
    const char *label; /* "ServerHello" */
    seq_dir dir;
    int step;      /* 1..5 or 0 */
    int encrypted; /* travels under keys from this handshake */
    char detail[200];
} flow_line;

#define FLOW_LINES_MAX 24

/* The rows of flow v as this connection had them (optional rows decided by the facts;
 * details only when facts->info is set). Returns the count (at most cap). */
size_t flow_sequence(flow_variant v, const flow_facts *facts, flow_line *out, size_t cap);

/* What differs between flow a (this connection's) and flow b (usually the classic one),
 * both with this connection's optional rows: labels of rows only in a (added), only in b
 * (gone), and in both but carrying another step, now encrypted, worded otherwise or in
 * another order (changed, with why; "moved" rows are those off a longest common order). */
typedef struct {
    const char *added[FLOW_LINES_MAX], *gone[FLOW_LINES_MAX];
    size_t n_added, n_gone;
    struct {
        const char *label;
        seq_dir dir;
        char why[160];
    } changed[FLOW_LINES_MAX];
    size_t n_changed;
} flow_diff;

void flow_compare(flow_variant a, flow_variant b, const flow_facts *facts, flow_diff *out);
/* "from the client", "from the server", "at the client", "at the server", "both ways". */
const char *flow_dir_words(seq_dir d);

#endif
