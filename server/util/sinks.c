#include "sinks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"

int sink_open(sink *s, const char *path, const char *what)
{
    s->fd = -1;
    if (!path)
        return 0;
    s->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (s->fd < 0) {
        errorf("cannot open %s '%s' for appending: %s", what, path, strerror(errno));
        return -1;
    }
    return 0;
}

void sink_line(sink *s, const char *line)
{
    if (s->fd < 0)
        return;
    size_t n = strlen(line);
    char stackbuf[1024];
    char *buf = n + 1 <= sizeof(stackbuf) ? stackbuf : malloc(n + 1);
    if (!buf)
        return;
    memcpy(buf, line, n);
    buf[n] = '\n';
    /* Best effort: a log line that cannot be written must not stop the server. */
    ssize_t w;
    do
        w = write(s->fd, buf, n + 1);
    while (w < 0 && errno == EINTR);
    if (buf != stackbuf)
        free(buf);
}

void sink_close(sink *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}
