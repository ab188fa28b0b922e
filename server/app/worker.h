/* One libuv event loop with its own listeners and its own engine configuration.
 * With --threads N there are N workers, each on its own thread, all bound to the
 * same addresses with SO_REUSEPORT so the kernel spreads connections across them.
 * Nothing mutable is shared between workers except the atomic connection count
 * and the append-only log descriptors. */
#ifndef TLSFLOW_WORKER_H
#define TLSFLOW_WORKER_H

#include <stdatomic.h>
#include <sys/socket.h>

#include <uv.h>

#include <tlsflow/tlsflow.h>

#include "pki/local_pki.h"
#include "server_cli.h"
#include "ticket_keys.h"
#include "util/sinks.h"

#define MAX_BOUND   32
#define MAX_WORKERS 64

struct sconn;

/* What all workers share; read-only after start except the atomics. */
typedef struct {
    const server_opts *opts;
    const cred_set *creds;
    /* Roots for client certificates (--client-ca, else the local client CA), or NULL. */
    const uint8_t *client_ca;
    size_t client_ca_len;
    sink keylog, log;
    /* Session ticket keys, the same for every configuration of every worker (each copies
     * them): a ticket sealed on one loop opens on any other. None with --no-tickets. */
    tlsflow_ticket_key ticket_keys[TICKET_KEYS_MAX];
    size_t n_ticket_keys;
    atomic_uint n_conns;
    atomic_ulong n_refused; /* over --max-conns */
    /* The addresses the first worker bound (port 0 resolved), for the others. */
    struct sockaddr_storage bound[MAX_BOUND];
    unsigned n_bound;
} server_ctx;

/* Workspaces a loop's connections gave back, kept for the next handshake: mapping and
 * first-touching fresh pages per connection cost more than the handshake's framing
 * (issue 17 item 1: with 4 spares and 32 handshakes in flight, about 1.5 mmap/munmap
 * pairs and their page faults per connection). A loop keeps up to WORKSPACE_CACHE
 * spares while handshakes come; once none has taken one for WORKSPACE_TRIM_MS, only
 * WORKSPACE_KEEP stay, so idle connections (which hold none) pay nothing for them. */
#define WORKSPACE_CACHE   64
#define WORKSPACE_KEEP    4
#define WORKSPACE_TRIM_MS 250
typedef struct {
    void *spare[WORKSPACE_CACHE];
    unsigned n;
    size_t size;
    unsigned long taken; /* workspace_get calls since the last trim tick */
} workspace_cache;

/* Each worker builds its own configurations and only its loop's thread drives their
 * connections, so they are marked one-thread (tlsflow_config_set_one_thread): a loop's
 * connections share one DRBG instead of seeding one each. No configuration is shared
 * between workers. Private-key operations on libuv's pool (keys/keyop.c) go through
 * tlsflow_key_op_run, which uses a generator of its own, never the shared one. */
typedef struct worker {
    uv_loop_t loop;
    workspace_cache workspaces;
    uv_timer_t workspace_trim; /* every WORKSPACE_TRIM_MS; does not keep the loop alive */
    server_ctx *srv;
    tlsflow_config *cfg; /* every name but the sites' */
    /* The local PKI's sites (site_list()), each with a configuration of its own: a
     * connection starts on cfg and moves to one of these once its ClientHello names it. */
    tlsflow_config *site_cfg[SITES_MAX];
    const char *site_name[SITES_MAX];
    unsigned n_sites;
    uv_tcp_t listeners[MAX_BOUND];
    unsigned n_listeners;
    struct sconn *conns; /* every open connection, for shutdown */
    uv_async_t stop;     /* another thread asks this loop to stop */
    uv_signal_t sigint, sigterm, sigpipe_dummy;
    int has_signals;
    int stopping;
    uv_thread_t thread;
} worker;

/* Set up the loop, the configuration and the listeners. The first worker resolves
 * and binds the --listen addresses; the others bind to what it got. 0 on success. */
int worker_init(worker *w, server_ctx *srv, int first);
/* Handle SIGINT/SIGTERM in this worker's loop (call on the main worker only). */
int worker_watch_signals(worker *w, worker *all, unsigned n_all);
/* Run until stopped, then release everything. */
void worker_run(worker *w);
/* Stop accepting, close connections gracefully; the loop then ends by itself. */
void worker_stop(worker *w);
/* From any thread. */
void worker_stop_async(worker *w);

#endif
