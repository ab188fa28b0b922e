#include "http_app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tlsflow/tlsflow.h>

#define BODY_MAX (256 * 1024)

static void respond(http_response *out, int status, const char *reason, const char *type,
                    const char *body, size_t body_len, int keep_alive, const char *extra)
{
    sbuf b;
    sb_init(&b, BODY_MAX + 1024);
    sb_printf(&b,
              "HTTP/1.1 %d %s\r\nServer: tlsflow/%s\r\nContent-Type: %s\r\n"
              "Content-Length: %zu\r\nCache-Control: no-store\r\nVary: Accept\r\n"
              "Connection: %s\r\n%s\r\n",
              status, reason, TLSFLOW_VERSION_STRING, type, body_len,
              keep_alive ? "keep-alive" : "close", extra ? extra : "");
    sb_putn(&b, body, body_len);
    out->close_after = !keep_alive;
    if (b.overflow) {
        sb_free(&b);
        out->data = NULL;
        out->len = 0;
        out->close_after = 1;
        return;
    }
    out->data = sb_take(&b, &out->len);
}

static void error_page(http_response *out, int status, const char *reason, int keep_alive,
                       const char *extra)
{
    char body[128];
    size_t n = (size_t)snprintf(body, sizeof(body), "%d %s\n", status, reason);
    respond(out, status, reason, "text/plain; charset=utf-8", body, n, keep_alive, extra);
}

void http_app_respond(http_parse_result r, const http_request *req, const conn_view *v,
                      http_response *out)
{
    switch (r) {
    case HTTP_OK:
        break;
    case HTTP_TOO_LARGE:
        error_page(out, 431, "Request Header Fields Too Large", 0, NULL);
        return;
    case HTTP_URI_TOO_LONG:
        error_page(out, 414, "URI Too Long", 0, NULL);
        return;
    case HTTP_BAD_VERSION:
        error_page(out, 505, "HTTP Version Not Supported", 0, NULL);
        return;
    case HTTP_BAD:
    case HTTP_INCOMPLETE:
    default:
        error_page(out, 400, "Bad Request", 0, NULL);
        return;
    }
    /* A request body we do not read would be taken for the next request: close after. */
    int keep = req->keep_alive && !req->has_body;
    if (strcmp(req->method, "GET") != 0) {
        error_page(out, 405, "Method Not Allowed", keep, "Allow: GET\r\n");
        return;
    }
    sbuf body;
    const char *type;
    if (strcmp(req->path, "/") == 0 && req->wants_html) {
        sb_init(&body, BODY_MAX);
        render_html(v, &body);
        type = "text/html; charset=utf-8";
    } else if (strcmp(req->path, "/") == 0) {
        sb_init(&body, RENDER_TEXT_MAX);
        render_text(v, &body);
        type = "text/plain; charset=utf-8";
        body.overflow = 0; /* a cut text page is still useful; it is one record */
    } else if (strcmp(req->path, "/json") == 0) {
        sb_init(&body, BODY_MAX);
        render_json(v, &body);
        type = "application/json";
    } else {
        error_page(out, 404, "Not Found", keep, NULL);
        return;
    }
    if (body.overflow || !body.p) {
        sb_free(&body);
        error_page(out, 500, "Internal Server Error", 0, NULL);
        return;
    }
    respond(out, 200, "OK", type, body.p, body.len, keep, NULL);
    sb_free(&body);
}
