/* The record layer: framing in, protection both ways, and the output queue. */
#ifndef TLSFLOW_RECORD_H
#define TLSFLOW_RECORD_H

#include "internal.h"

/* Parse and dispatch one complete record from the input, if there is one.
 * Returns 1 if a record was consumed, 0 if more input is needed, or the error. */
int tf_record_process(tlsflow_conn *c);
/* Largest plaintext that fits one record in the output buffer now. */
size_t tf_record_room(tlsflow_conn *c);
/* Frame (and protect, once keys are active) one record into the output buffer. */
int tf_record_write(tlsflow_conn *c, uint8_t type, const uint8_t *data, size_t len);
/* Install one direction's keys (write: 1) for suite s: key (s->key_len bytes) and fixed
 * IV (s->fixed_iv_len), sequence number 0; its wolfCrypt context is keyed now. The
 * caller sets tls13 (and the TLS 1.3 secret). -1 on failure. */
int tf_record_set_keys(tlsflow_conn *c, int write, const tf_suite *s, const uint8_t *key,
                       const uint8_t *iv);
/* Key the contexts of both active directions now (they are otherwise keyed when a record
 * next moves): what a wake-up after tlsflow_conn_release_buffers costs. 0 or -1. */
int tf_record_rebuild_contexts(tlsflow_conn *c);
/* Wipe both directions' contexts (their keys stay in tf_direction): a release. */
void tf_record_drop_contexts(tlsflow_conn *c);
/* Where a record starts in an empty buffer so that its protected payload (after the
 * header and explicit nonce) is 16-byte aligned; 0 while the direction is plaintext. */
size_t tf_record_align_pad(const tf_direction *d);
/* A record that carried nothing: counted, and past TLSFLOW_MAX_IDLE_RECORDS in a row the
 * connection fails (no peer may keep us busy for free). Returns the error or 0. */
int tf_record_idle(tlsflow_conn *c, const char *what);
/* A record that carried something: the count starts again. */
void tf_record_progress(tlsflow_conn *c);
/* Put a mark (TF_MARK_*) at the end of the handshake output queued so far. */
int tf_record_mark(tlsflow_conn *c, int kind);
/* Move pending alert and handshake bytes into records as space allows. */
void tf_record_flush(tlsflow_conn *c);

#endif
