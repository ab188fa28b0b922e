#include "client_config.h"

#include <stdlib.h>
#include <string.h>

#include "client_report.h"
#include "util/files.h"

#define ALPN_MAX 8

static int set_alpn(tlsflow_config *cfg, const char *list)
{
    static char buf[512];
    const char *protos[ALPN_MAX];
    size_t n = 0;
    if (strlen(list) >= sizeof(buf)) {
        errorf("--alpn list too long");
        return -1;
    }
    strcpy(buf, list);
    for (char *save = NULL, *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (n == ALPN_MAX) {
            errorf("--alpn takes at most %d protocols", ALPN_MAX);
            return -1;
        }
        protos[n++] = p;
    }
    int rc = n ? tlsflow_config_set_alpn(cfg, protos, n) : -1;
    if (rc != 0)
        errorf("bad --alpn '%s'", list);
    return rc;
}

static int add_ca(tlsflow_config *cfg, const char *ca)
{
    if (!ca) {
        if (!file_exists(CLIENT_DEFAULT_CA)) {
            errorf(
                "no CA to verify the server with: pass --ca FILE (or run where " CLIENT_DEFAULT_CA
                " exists)");
            return -1;
        }
        ca = CLIENT_DEFAULT_CA;
    }
    uint8_t *pem;
    size_t len;
    if (file_read_all(ca, 1 << 20, "--ca file", &pem, &len) != 0)
        return -1;
    int rc = tlsflow_config_add_trust_anchors(cfg, pem, len);
    free(pem);
    if (rc != 0)
        errorf("no usable CA certificate in '%s': %s", ca, tlsflow_error_name(rc));
    return rc;
}

/* One --cert/--key pair as a client credential; the engine checks that the chain parses,
 * the key is one it can sign with, and the key belongs to the leaf. */
static int add_credential(tlsflow_config *cfg, const char *cert, const char *key)
{
    uint8_t *chain = NULL, *pem = NULL;
    size_t chain_len, pem_len;
    int rc = -1;
    if (file_read_all(cert, 1 << 20, "--cert file", &chain, &chain_len) == 0 &&
        file_read_all(key, 1 << 20, "--key file", &pem, &pem_len) == 0) {
        rc = tlsflow_config_add_credential(cfg, chain, chain_len, pem, pem_len, NULL);
        if (rc != 0)
            errorf("cannot use --cert '%s' with --key '%s': a certificate that does not parse, "
                   "a key that is not RSA or EC P-256/P-384, or a key that is not the "
                   "certificate's [%s]",
                   cert, key, tlsflow_error_name(rc));
    }
    if (pem) {
        explicit_bzero(pem, pem_len); /* the private key */
        free(pem);
    }
    free(chain);
    return rc;
}

const char *client_server_name(const client_opts *o)
{
    return o->servername ? o->servername : o->target.host;
}

tlsflow_config *client_make_config(client_opts *o, FILE *keylog)
{
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_CLIENT);
    if (!cfg) {
        errorf("out of memory");
        return NULL;
    }
    if (add_ca(cfg, o->ca) != 0)
        goto fail;
    const char *name = client_server_name(o);
    int rc = tlsflow_config_set_server_name(cfg, name);
    if (rc != 0) {
        errorf("bad server name '%s': 1 to 255 bytes of printable ASCII without spaces (an "
               "internationalised name as its xn-- A-label) [%s]",
               name, tlsflow_error_name(rc));
        goto fail;
    }
    if (o->alpn && set_alpn(cfg, o->alpn) != 0)
        goto fail;
    for (int i = 0; i < o->n_certs; i++)
        if (add_credential(cfg, o->cert[i], o->key[i]) != 0)
            goto fail;
    uint16_t min = o->min_version ? o->min_version : TLSFLOW_VERSION_TLS12;
    uint16_t max = o->max_version ? o->max_version : TLSFLOW_VERSION_TLS13;
    if (tlsflow_config_set_versions(cfg, min, max) != 0) {
        errorf("--min-version is above --max-version");
        goto fail;
    }
    tlsflow_config_set_trace(cfg, report_trace, NULL);
    if (keylog)
        tlsflow_config_set_keylog(cfg, report_keylog, keylog);
    pins_install(&o->pins, cfg);
    return cfg;
fail:
    tlsflow_config_free(cfg);
    return NULL;
}
