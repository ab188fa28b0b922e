#include "sconn_log.h"

#include <stdlib.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "pages/hello_names.h"
#include "util/hostport.h"

const char *sconn_outcome(const sconn *c)
{
    if (c->outcome)
        return c->outcome;
    switch (tlsflow_last_error(c->tls)) {
    case TLSFLOW_OK:
        return "ok";
    case TLSFLOW_E_UNEXPECTED_EOF:
        return c->phase == PHASE_HANDSHAKE ? "vanished" : "eof_without_close_notify";
    case TLSFLOW_E_PEER_ALERT:
        return "peer_alert";
    default:
        return "error";
    }
}

void sconn_log_write(sink *log, const sconn *c)
{
    if (log->fd < 0)
        return;
    const tlsflow_info *in = tlsflow_get_info(c->tls);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return;
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    cJSON_AddStringToObject(o, "time", when);
    char addr[HOSTPORT_TEXT_MAX];
    hostport_format(&c->peer.sa, addr, sizeof(addr));
    cJSON_AddStringToObject(o, "peer", addr);
    hostport_format(&c->local.sa, addr, sizeof(addr));
    cJSON_AddStringToObject(o, "local", addr);
    cJSON_AddStringToObject(o, "sni", in->server_name);
    if (c->site)
        cJSON_AddStringToObject(o, "site", c->site);
    if (in->version)
        cJSON_AddStringToObject(o, "version", version_name(in->version));
    const char *suite = in->cipher_suite ? suite_name(in->cipher_suite) : NULL;
    if (suite)
        cJSON_AddStringToObject(o, "suite", suite);
    else
        cJSON_AddNullToObject(o, "suite");
    cJSON_AddStringToObject(o, "alpn", in->alpn);
    cJSON_AddBoolToObject(o, "ems", in->ems);
    /* Resumed from a ticket (no certificate sent), and the tickets this connection got. */
    cJSON_AddBoolToObject(o, "resumed", in->resumed);
    cJSON_AddNumberToObject(o, "tickets_sent",
                            trace_store_count(&c->trace, TLSFLOW_STEP_SESSION_TICKET_SENT));
    if (in->client_cert_sent)
        cJSON_AddStringToObject(o, "client_cert", in->client_cert.subject);
    cJSON_AddStringToObject(o, "outcome", sconn_outcome(c));
    int err = tlsflow_last_error(c->tls);
    if (err) {
        cJSON_AddStringToObject(o, "error", tlsflow_error_name(err));
        cJSON_AddStringToObject(o, "error_text", tlsflow_last_error_text(c->tls));
    }
    int sent = tlsflow_sent_alert(c->tls), got = tlsflow_peer_alert(c->tls);
    if (sent >= 0)
        cJSON_AddStringToObject(o, "alert_sent", tlsflow_alert_name(sent));
    if (got >= 0)
        cJSON_AddStringToObject(o, "alert_received", tlsflow_alert_name(got));
    cJSON_AddNumberToObject(o, "bytes_in", (double)c->wire_in);
    cJSON_AddNumberToObject(o, "bytes_out", (double)c->wire_out);
    cJSON_AddNumberToObject(o, "app_bytes_in", (double)in->app_bytes_in);
    cJSON_AddNumberToObject(o, "app_bytes_out", (double)in->app_bytes_out);
    cJSON_AddNumberToObject(o, "requests", c->requests);
    if (c->handshake_ns)
        cJSON_AddNumberToObject(o, "handshake_ms", (double)(c->handshake_ns / 1000) / 1000.0);
    cJSON_AddNumberToObject(o, "duration_ms",
                            (double)((uv_hrtime() - c->start_ns) / 1000) / 1000.0);
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (line) {
        sink_line(log, line);
        free(line);
    }
}
