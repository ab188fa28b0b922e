#include "trace_store.h"

#include <stdlib.h>
#include <string.h>

void trace_store_add(trace_store *t, tlsflow_step step, const char *text, uint32_t at_us)
{
    if (t->n == TRACE_MAX_EVENTS || t->used >= TRACE_ARENA - 1) {
        t->dropped++;
        return;
    }
    size_t room = TRACE_ARENA - t->used - 1;
    size_t len = text ? strlen(text) : 0;
    if (len > room)
        len = room; /* keep what fits: the step itself still counts */
    /* Exactly what is needed: a handful of events per connection, each realloc is
     * cheap next to the handshake that produced it. */
    char *grown = realloc(t->arena, (size_t)t->used + len + 1);
    if (!grown) {
        t->dropped++;
        return;
    }
    t->arena = grown;
    t->step[t->n] = (uint8_t)step;
    t->text_off[t->n] = t->used;
    t->at_us[t->n] = at_us;
    if (len)
        memcpy(t->arena + t->used, text, len);
    t->arena[t->used + len] = '\0';
    t->used = (uint16_t)(t->used + len + 1);
    t->n++;
}

const char *trace_store_text(const trace_store *t, unsigned i)
{
    return i < t->n ? t->arena + t->text_off[i] : "";
}

const char *trace_store_find(const trace_store *t, tlsflow_step step)
{
    for (unsigned i = 0; i < t->n; i++)
        if (t->step[i] == (uint8_t)step)
            return trace_store_text(t, i);
    return NULL;
}

void trace_store_free(trace_store *t)
{
    free(t->arena);
    memset(t, 0, sizeof(*t));
}
