/* The engine's trace events for one connection, kept in a fixed-size arena so a
 * connection's memory stays bounded however chatty the engine is. */
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
    unsigned dropped; /* events that did not fit */
    uint16_t used;
    char arena[TRACE_ARENA];
} trace_store;

void trace_store_add(trace_store *t, tlsflow_step step, const char *text, uint32_t at_us);
/* Text of the first event with this step, or NULL. */
const char *trace_store_find(const trace_store *t, tlsflow_step step);
const char *trace_store_text(const trace_store *t, unsigned i);

#endif
