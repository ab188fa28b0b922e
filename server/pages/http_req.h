/* Just enough HTTP/1.x request parsing for the test server: the request line and
 * the headers that matter, read up to the blank line. */
#ifndef TLSFLOW_HTTP_REQ_H
#define TLSFLOW_HTTP_REQ_H

#include <stddef.h>

#define HTTP_HEAD_MAX 16384 /* request line + headers; more is refused */

typedef enum {
    HTTP_INCOMPLETE,   /* no blank line yet: read more */
    HTTP_OK,           /* a request is parsed; consumed says how many bytes */
    HTTP_BAD,          /* malformed: answer 400 and close */
    HTTP_TOO_LARGE,    /* headers over HTTP_HEAD_MAX: answer 431 and close */
    HTTP_URI_TOO_LONG, /* answer 414 and close */
    HTTP_BAD_VERSION   /* not HTTP/1.x: answer 505 and close */
} http_parse_result;

typedef struct {
    char method[16];
    char path[2048]; /* without the query string */
    int minor;       /* HTTP/1.minor */
    int keep_alive;  /* after the defaults of the version and Connection: */
    int wants_html;  /* Accept: mentions text/html */
    int has_body;    /* Content-Length > 0 or Transfer-Encoding: we do not read bodies */
    size_t consumed;
} http_request;

http_parse_result http_parse(const char *buf, size_t len, http_request *req);

#endif
