/* The engine's trace events for one connection, in one allocation (the arena) that
 * grows to exactly what was said: a small record per event (step, time, where its text
 * starts), then the texts. About 1 KB for a handshake, never more than TRACE_MAX_EVENTS
 * records and TRACE_ARENA bytes of text, so a connection's memory stays small and
 * bounded however chatty the engine is; an idle connection pays for no empty slots. */
#ifndef TLSFLOW_TRACE_STORE_H
#define TLSFLOW_TRACE_STORE_H

#include <stdint.h>

#include <tlsflow/tlsflow.h>

#define TRACE_MAX_EVENTS 40
#define TRACE_ARENA      4096

typedef struct {
    char *arena;      /* n records, then `used` bytes of text; NULL before the first event */
    uint16_t used;    /* bytes of text in use, NULs included */
    uint8_t n;        /* events kept */
    unsigned dropped; /* events that did not fit (or found no memory) */
} trace_store;

/* Keep one event; its text is cut to what the arena has left. */
void trace_store_add(trace_store *t, tlsflow_step step, const char *text, uint32_t at_us);
/* Text of the first event with this step, or NULL. */
const char *trace_store_find(const trace_store *t, tlsflow_step step);
/* Text of event i, or "" past the end. */
const char *trace_store_text(const trace_store *t, unsigned i);
/* Step of event i (i < n). */
tlsflow_step trace_store_step(const trace_store *t, unsigned i);
/* Microseconds since the connection was accepted, of event i (i < n). */
uint32_t trace_store_at_us(const trace_store *t, unsigned i);
/* Events with this step. */
unsigned trace_store_count(const trace_store *t, tlsflow_step step);
/* Bytes of the arena. */
size_t trace_store_bytes(const trace_store *t);
/* Give the arena back; the store is empty afterwards. */
void trace_store_free(trace_store *t);

#endif
