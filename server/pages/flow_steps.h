/* The five-step story of an RSA-key-transport handshake, and which engine trace
 * step belongs to which of the five. Shared by the server's pages and the client. */
#ifndef TLSFLOW_FLOW_STEPS_H
#define TLSFLOW_FLOW_STEPS_H

#include <tlsflow/tlsflow.h>

#define FLOW_STEPS 5

/* 1..5 for the steps that are one of the five, else 0. */
int flow_step_number(tlsflow_step step);
/* A short label for any trace step ("ClientHello received"). */
const char *flow_step_label(tlsflow_step step);
/* A stable identifier for JSON ("certificate_sent"). */
const char *flow_step_id(tlsflow_step step);
/* Title and one-sentence explanation of flow step n (1..5). Steps 3 and 4 read
 * differently for ECDHE (ecdhe != 0): a key share and a computed secret instead of
 * an encrypted and decrypted premaster. */
const char *flow_title(int n, int ecdhe);
const char *flow_explain(int n, int ecdhe);
/* 1 if the connection negotiated (or is negotiating) an ECDHE suite. */
int flow_is_ecdhe(const tlsflow_info *info);

#endif
