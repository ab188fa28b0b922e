/* Append-only line files: the NSS key log and the per-connection JSON log. One
 * write() per line on an O_APPEND descriptor, so lines from several event loops
 * (or several servers) never interleave. */
#ifndef TLSFLOW_SINKS_H
#define TLSFLOW_SINKS_H

typedef struct {
    int fd; /* -1: off */
} sink;

/* Open path for appending (created with mode 0600). 0 on success; a message on failure. */
int sink_open(sink *s, const char *path, const char *what);
void sink_line(sink *s, const char *line);
void sink_close(sink *s);

#endif
