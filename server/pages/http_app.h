/* The test server's HTTP routes: / (HTML or text), /json, and the error answers. */
#ifndef TLSFLOW_HTTP_APP_H
#define TLSFLOW_HTTP_APP_H

#include <stddef.h>

#include "http_req.h"
#include "render.h"

typedef struct {
    char *data; /* head + body, heap; the caller frees */
    size_t len;
    int close_after;
} http_response;

/* Answer a parsed request (r == HTTP_OK) or a parse failure. */
void http_app_respond(http_parse_result r, const http_request *req, const conn_view *v,
                      http_response *out);

#endif
