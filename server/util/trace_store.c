#include "trace_store.h"

#include <stdlib.h>
#include <string.h>

/* One event at the front of the arena; its text is at text_off past the last record. */
typedef struct {
    uint32_t at_us;
    uint16_t text_off;
    uint8_t step;
} trace_rec;

static const trace_rec *rec(const trace_store *t, unsigned i)
{
    return (const trace_rec *)(const void *)t->arena + i;
}

static char *texts(const trace_store *t)
{
    return t->arena + (size_t)t->n * sizeof(trace_rec);
}

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
    /* Exactly what is needed: a handful of events per connection, each realloc (and
     * moving the texts up past the new record) is cheap next to the handshake that
     * produced it. */
    size_t recs = (size_t)t->n * sizeof(trace_rec);
    char *grown = realloc(t->arena, recs + sizeof(trace_rec) + t->used + len + 1);
    if (!grown) {
        t->dropped++;
        return;
    }
    t->arena = grown;
    char *txt = grown + recs + sizeof(trace_rec);
    memmove(txt, grown + recs, t->used);
    ((trace_rec *)(void *)grown)[t->n] =
        (trace_rec){.at_us = at_us, .text_off = t->used, .step = (uint8_t)step};
    if (len)
        memcpy(txt + t->used, text, len);
    txt[t->used + len] = '\0';
    t->used = (uint16_t)(t->used + len + 1);
    t->n++;
}

const char *trace_store_text(const trace_store *t, unsigned i)
{
    return i < t->n ? texts(t) + rec(t, i)->text_off : "";
}

tlsflow_step trace_store_step(const trace_store *t, unsigned i)
{
    return (tlsflow_step)rec(t, i)->step;
}

uint32_t trace_store_at_us(const trace_store *t, unsigned i)
{
    return rec(t, i)->at_us;
}

const char *trace_store_find(const trace_store *t, tlsflow_step step)
{
    for (unsigned i = 0; i < t->n; i++)
        if (rec(t, i)->step == (uint8_t)step)
            return trace_store_text(t, i);
    return NULL;
}

unsigned trace_store_count(const trace_store *t, tlsflow_step step)
{
    unsigned n = 0;
    for (unsigned i = 0; i < t->n; i++)
        n += rec(t, i)->step == (uint8_t)step;
    return n;
}

size_t trace_store_bytes(const trace_store *t)
{
    return t->arena ? (size_t)t->n * sizeof(trace_rec) + t->used : 0;
}

void trace_store_free(trace_store *t)
{
    free(t->arena);
    memset(t, 0, sizeof(*t));
}
