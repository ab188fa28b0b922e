/* tlsflow-client: the engine's client role on one non-blocking socket.
 *
 * Why poll() rather than libuv: one connection, and the loop (client_loop.c) is then
 * the loop tlsflow.h describes for non-blocking embedders: tlsflow_ready() says which
 * directions can move, and the socket is read and written in the same poll call, so a
 * server that answers while it reads (an echo) never waits on us nor we on it.
 *
 * It prints the five-step trace to stderr, verifies the server against --ca (or
 * ./tlsflow-pki/ca.pem) and any --pin, answers a CertificateRequest with a --cert/--key
 * pair the engine picks (or none), then either sends GET PATH or stdin and copies
 * the reply to stdout (client_text.c), or streams bytes to an echo server and checks
 * what comes back (client_echo.c).
 *
 * With --sess-in it first offers a saved session; --sess-out saves the latest one the
 * server gave; --reconnect N connects N more times, each offering the latest session.
 *
 * Files: client_cli (options, --help), client_config (the engine configuration, client
 * certificates), client_pin (public-key pins, the verification hook), client_export
 * (RFC 5705 values), client_session (sessions in and out), client_report (what is
 * printed), client_loop (sockets and tlsflow_ready), client_net (TCP), client_text and
 * client_echo (the two application sides), client_stream (the echo stream's bytes). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tlsflow/tlsflow.h>

#include "client_cli.h"
#include "client_config.h"
#include "client_echo.h"
#include "client_loop.h"
#include "client_net.h"
#include "client_session.h"
#include "client_text.h"
#include "util/files.h"

/* Connect and run the connection with the application side the options ask for. */
static int run(tlsflow_conn *c, const client_opts *o)
{
    static client_echo echo; /* 32 KiB of buffers: not on the stack */
    client_text text;
    client_app app;
    if (o->send_mode ? client_echo_init(&echo, o, &app) : client_text_init(&text, o, &app)) {
        if (!o->send_mode)
            errorf("out of memory");
        return 2;
    }
    fprintf(stderr, "connecting to %s:%s (server name %s)\n", o->target.host, o->target.port,
            client_server_name(o));
    int fd = net_connect(o->target.host, o->target.port, o->timeout_ms);
    int rc = fd < 0 ? 3 : client_loop_run(c, fd, &app, o->timeout_ms, o->linger_ms);
    if (fd >= 0)
        close(fd);
    if (o->send_mode)
        client_echo_free(&echo);
    else
        client_text_free(&text);
    return rc;
}

int main(int argc, char **argv)
{
    files_set_program("tlsflow-client");
    static client_opts o; /* the pins in it are the verification hook's state */
    int rc = client_parse_args(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);

    FILE *keylog = NULL;
    if (o.keylog && !(keylog = fopen(o.keylog, "a"))) {
        errorf("cannot open key log file '%s': %s", o.keylog, strerror(errno));
        return 2;
    }
    static client_session sess;
    tlsflow_config *cfg = client_make_config(&o, keylog);
    if (cfg)
        tlsflow_config_set_session_callback(cfg, client_session_cb, &sess);
    rc = !cfg || (o.sess_in && client_session_load(&sess, o.sess_in) != 0) ? 2 : 0;
    int resumed = 0;
    for (int i = 0; rc == 0 && i <= o.reconnect; i++) {
        tlsflow_conn *c = tlsflow_conn_new(cfg);
        if (!c) {
            errorf("cannot create the connection (incomplete configuration?)");
            rc = 2;
            break;
        }
        if (i > 0)
            fprintf(stderr, "\n== reconnect %d of %d\n", i, o.reconnect);
        rc = client_session_offer(&sess, c, i == 0 ? o.sess_in : "the previous connection",
                                  client_server_name(&o), &o.offered_session);
        if (rc == 0)
            rc = run(c, &o);
        resumed += i > 0 && rc == 0 && tlsflow_get_info(c)->resumed; /* reconnections only */
        tlsflow_conn_free(c);
    }
    if (o.reconnect && rc == 0)
        fprintf(stderr, "\nreconnections: %d resumed of %d\n", resumed, o.reconnect);
    if (o.sess_out && cfg) {
        int st = client_session_save(&sess, o.sess_out);
        rc = rc ? rc : st;
    }
    client_session_free(&sess);
    tlsflow_config_free(cfg);
    if (keylog)
        fclose(keylog);
    return rc;
}
