/* The engine configuration tlsflow-client builds from its options: trust anchors, server
 * name, ALPN, versions, client certificates, trace, key log and the pinning hook. */
#ifndef TLSFLOW_CLIENT_CONFIG_H
#define TLSFLOW_CLIENT_CONFIG_H

#include <stdio.h>

#include <tlsflow/tlsflow.h>

#include "client_cli.h"

/* The server name to send and verify: --servername, else the host. */
const char *client_server_name(const client_opts *o);
/* A client configuration, or NULL with a message printed. The pins in o are the hook's
 * state: o must outlive the configuration's connections. keylog may be NULL. */
tlsflow_config *client_make_config(client_opts *o, FILE *keylog);

#endif
