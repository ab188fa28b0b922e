/* The engine's trace events for one connection. The text is held in an arena that
 * grows to exactly what was said (about 1 KB for a handshake) and never beyond
 * TRACE_ARENA, so a connection's memory stays small and bounded however chatty
 * the engine is. */
#ifndef TLSFLOW_TRACE_STORE_H
#define TLSFLOW_TRACE_STORE_H

#include <stdint.h>

#include <tlsflow/tlsflow.h>

#define TRACE_MAX_EVENTS 40
#define TRACE_ARENA      4096

typedef struct {
    uint8_t step[TRACE_MAX_EVENTS];
    uint16_t text_off[TRACE_MAX_EVENTS];
    uint32_t at_us[TRACE_MAX_EVENTS]; /* microseconds since the connection was accepted */
    unsigned n;
    unsigned dropped; /* events that did not fit (or found no memory) */
    uint16_t used;    /* bytes of arena in use, NULs included */
    char *arena;      /* `used` bytes; NULL before the first event */
} trace_store;

/* Keep one event; its text is cut to what the arena has left. */
void trace_store_add(trace_store *t, tlsflow_step step, const char *text, uint32_t at_us);
/* Text of the first event with this step, or NULL. */
const char *trace_store_find(const trace_store *t, tlsflow_step step);
/* Text of event i, or "" past the end. */
const char *trace_store_text(const trace_store *t, unsigned i);
/* Give the arena back; the store is empty afterwards. */
void trace_store_free(trace_store *t);

#endif
