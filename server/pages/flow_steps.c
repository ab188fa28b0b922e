#include "flow_steps.h"

#include <stddef.h>
#include <string.h>

typedef struct {
    tlsflow_step step;
    int flow;
    const char *id;
    const char *label;
} step_row;

static const step_row rows[] = {
    {TLSFLOW_STEP_CLIENT_HELLO_SENT, 0, "client_hello_sent", "ClientHello sent"},
    {TLSFLOW_STEP_CLIENT_HELLO_RECEIVED, 0, "client_hello_received", "ClientHello received"},
    {TLSFLOW_STEP_SERVER_HELLO_SENT, 0, "server_hello_sent", "ServerHello sent"},
    {TLSFLOW_STEP_SERVER_HELLO_RECEIVED, 0, "server_hello_received", "ServerHello received"},
    {TLSFLOW_STEP_CERTIFICATE_SENT, 1, "certificate_sent", "Certificate sent"},
    {TLSFLOW_STEP_CERTIFICATE_RECEIVED, 1, "certificate_received", "Certificate received"},
    {TLSFLOW_STEP_CERTIFICATE_VERIFIED, 2, "certificate_verified", "Certificate verified"},
    {TLSFLOW_STEP_SERVER_HELLO_DONE_SENT, 0, "server_hello_done_sent", "ServerHelloDone sent"},
    {TLSFLOW_STEP_SERVER_HELLO_DONE_RECEIVED, 0, "server_hello_done_received",
     "ServerHelloDone received"},
    {TLSFLOW_STEP_PREMASTER_ENCRYPTED, 3, "premaster_encrypted", "Session key encrypted"},
    {TLSFLOW_STEP_PREMASTER_DECRYPTED, 4, "premaster_decrypted", "Session key decrypted"},
    {TLSFLOW_STEP_KEYS_DERIVED, 0, "keys_derived", "Keys derived"},
    {TLSFLOW_STEP_CHANGE_CIPHER_SPEC_SENT, 0, "change_cipher_spec_sent", "ChangeCipherSpec sent"},
    {TLSFLOW_STEP_CHANGE_CIPHER_SPEC_RECEIVED, 0, "change_cipher_spec_received",
     "ChangeCipherSpec received"},
    {TLSFLOW_STEP_FINISHED_SENT, 0, "finished_sent", "Finished sent"},
    {TLSFLOW_STEP_FINISHED_VERIFIED, 0, "finished_verified", "Finished verified"},
    {TLSFLOW_STEP_HANDSHAKE_DONE, 5, "handshake_done", "Handshake done"},
    {TLSFLOW_STEP_ALERT_SENT, 0, "alert_sent", "Alert sent"},
    {TLSFLOW_STEP_ALERT_RECEIVED, 0, "alert_received", "Alert received"},
    {TLSFLOW_STEP_RENEGOTIATION_REFUSED, 0, "renegotiation_refused", "Renegotiation refused"},
    {TLSFLOW_STEP_SERVER_KEY_EXCHANGE_SENT, 0, "server_key_exchange_sent",
     "ServerKeyExchange sent"},
    {TLSFLOW_STEP_SERVER_KEY_EXCHANGE_VERIFIED, 0, "server_key_exchange_verified",
     "ServerKeyExchange verified"},
    {TLSFLOW_STEP_CLIENT_KEY_SHARE_SENT, 3, "client_key_share_sent", "Key share sent"},
    {TLSFLOW_STEP_SHARED_SECRET_COMPUTED, 4, "shared_secret_computed", "Shared secret computed"},
    {TLSFLOW_STEP_CERTIFICATE_REQUESTED, 0, "certificate_requested", "Certificate requested"},
    {TLSFLOW_STEP_CLIENT_CERTIFICATE_SENT, 0, "client_certificate_sent", "Client certificate sent"},
};

static const step_row *find(tlsflow_step step)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].step == step)
            return &rows[i];
    return NULL;
}

int flow_step_number(tlsflow_step step)
{
    const step_row *r = find(step);
    return r ? r->flow : 0;
}

const char *flow_step_label(tlsflow_step step)
{
    const step_row *r = find(step);
    return r ? r->label : "Step";
}

const char *flow_step_id(tlsflow_step step)
{
    const step_row *r = find(step);
    return r ? r->id : "unknown";
}

static const char *const titles[FLOW_STEPS] = {
    "Certificate sent",
    "Certificate verified by the client",
    "Session key encrypted by the client",
    "Session key decrypted by the server",
    "Encrypted records",
};

static const char *const explanations[FLOW_STEPS] = {
    "The server sends its certificate chain; the leaf carries the server's public key (RSA, "
    "or EC for an ECDHE_ECDSA suite).",
    "The client checks the chain up to a CA it trusts, the validity dates and the host name.",
    "The client makes a random 48-byte premaster secret and encrypts it under the server's "
    "public key (ClientKeyExchange).",
    "Only the holder of the private key can recover the premaster; both sides now derive the "
    "same master secret and record keys.",
    "Both Finished messages verify, and every record from then on is protected with the "
    "suite's AEAD cipher.",
};

/* ECDHE replaces the middle of the story; the rest stays. */
static const char *const ecdhe_titles[2] = {
    "Key share sent by the client",
    "Shared secret computed by the server",
};

static const char *const ecdhe_explanations[2] = {
    "The server sent a fresh ECDHE public value signed with its certificate key; the client "
    "checks the signature, sends its own fresh public value and computes the shared secret.",
    "The server combines its ephemeral private key with the client's public value and gets "
    "the same secret, which never crossed the wire (forward secrecy: the certificate key "
    "only signed).",
};

const char *flow_title(int n, int ecdhe)
{
    if (ecdhe && (n == 3 || n == 4))
        return ecdhe_titles[n - 3];
    return n >= 1 && n <= FLOW_STEPS ? titles[n - 1] : "";
}

const char *flow_explain(int n, int ecdhe)
{
    if (ecdhe && (n == 3 || n == 4))
        return ecdhe_explanations[n - 3];
    return n >= 1 && n <= FLOW_STEPS ? explanations[n - 1] : "";
}

int flow_is_ecdhe(const tlsflow_info *info)
{
    return strcmp(info->key_exchange, "ECDHE") == 0;
}
