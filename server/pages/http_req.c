#include "http_req.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Find the end of the head: "\r\n\r\n" (or a bare "\n\n" from hand-typed input). */
static size_t head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* Does the comma-separated header value contain token (case-insensitive)? */
static int has_token(const char *v, size_t n, const char *token)
{
    size_t tl = strlen(token);
    for (size_t i = 0; i + tl <= n; i++)
        if (strncasecmp(v + i, token, tl) == 0)
            return 1;
    return 0;
}

static http_parse_result request_line(const char *p, size_t n, http_request *req)
{
    const char *sp1 = memchr(p, ' ', n);
    if (!sp1 || sp1 == p || (size_t)(sp1 - p) >= sizeof(req->method))
        return HTTP_BAD;
    memcpy(req->method, p, (size_t)(sp1 - p));
    req->method[sp1 - p] = '\0';
    for (const char *m = req->method; *m; m++)
        if (!isupper((unsigned char)*m))
            return HTTP_BAD;
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', n - (size_t)(target - p));
    if (!sp2 || sp2 == target)
        return HTTP_BAD;
    const char *version = sp2 + 1;
    size_t vlen = n - (size_t)(version - p);
    if (vlen != 8 || memcmp(version, "HTTP/", 5) != 0 || version[6] != '.' ||
        !isdigit((unsigned char)version[5]) || !isdigit((unsigned char)version[7]))
        return HTTP_BAD;
    if (version[5] != '1')
        return HTTP_BAD_VERSION;
    req->minor = version[7] - '0';
    size_t tlen = (size_t)(sp2 - target);
    const char *q = memchr(target, '?', tlen);
    if (q)
        tlen = (size_t)(q - target);
    if (tlen >= sizeof(req->path))
        return HTTP_URI_TOO_LONG;
    memcpy(req->path, target, tlen);
    req->path[tlen] = '\0';
    return HTTP_OK;
}

http_parse_result http_parse(const char *buf, size_t len, http_request *req)
{
    memset(req, 0, sizeof(*req));
    size_t end = head_end(buf, len);
    if (end == 0)
        return len >= HTTP_HEAD_MAX ? HTTP_TOO_LARGE : HTTP_INCOMPLETE;
    if (end > HTTP_HEAD_MAX)
        return HTTP_TOO_LARGE;
    req->consumed = end;

    const char *p = buf, *stop = buf + end;
    const char *nl = memchr(p, '\n', (size_t)(stop - p));
    size_t n = (size_t)(nl - p);
    if (n > 0 && p[n - 1] == '\r')
        n--;
    http_parse_result r = request_line(p, n, req);
    if (r != HTTP_OK)
        return r;
    int conn_close = 0, conn_keep = 0;
    for (p = nl + 1; p < stop; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(stop - p));
        n = (size_t)(nl - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n == 0)
            break;
        const char *colon = memchr(p, ':', n);
        if (!colon || colon == p)
            return HTTP_BAD;
        size_t nlen = (size_t)(colon - p);
        const char *v = colon + 1;
        size_t vlen = n - nlen - 1;
        while (vlen && (*v == ' ' || *v == '\t')) {
            v++;
            vlen--;
        }
        if (nlen == 6 && strncasecmp(p, "Accept", 6) == 0) {
            req->wants_html |= has_token(v, vlen, "text/html");
        } else if (nlen == 10 && strncasecmp(p, "Connection", 10) == 0) {
            conn_close |= has_token(v, vlen, "close");
            conn_keep |= has_token(v, vlen, "keep-alive");
        } else if (nlen == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
            req->has_body |= strtoul(v, NULL, 10) > 0 || vlen == 0;
        } else if (nlen == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0) {
            req->has_body = 1;
        }
    }
    req->keep_alive = req->minor >= 1 ? !conn_close : conn_keep;
    return HTTP_OK;
}
