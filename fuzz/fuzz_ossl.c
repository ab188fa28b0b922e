#include "fuzz_ossl.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "fuzz_common.h"

void tffo_init(void)
{
    static int done;
    if (!done) {
        TFF_CHECK(OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) == 1);
        done = 1;
    }
}

X509 *tffo_pem_cert(const uint8_t *pem, size_t len)
{
    tffo_init();
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    TFF_CHECK(bio != NULL);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    TFF_CHECK(x != NULL);
    return x;
}

EVP_PKEY *tffo_pem_key(const uint8_t *pem, size_t len)
{
    tffo_init();
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    TFF_CHECK(bio != NULL);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    TFF_CHECK(k != NULL);
    return k;
}

X509 *tffo_der_cert(const uint8_t *der, size_t len)
{
    if (der == NULL || len == 0 || len > 0x7fffffff)
        return NULL;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p != der + len) {
        X509_free(x);
        x = NULL;
    }
    ERR_clear_error();
    return x;
}

int tffo_same_key(const EVP_PKEY *a, const EVP_PKEY *b)
{
    if (a == NULL || b == NULL)
        return 0;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    return EVP_PKEY_eq(a, b) == 1;
#else
    return EVP_PKEY_cmp(a, b) == 1;
#endif
}

static int print_line(const char *str, size_t len, void *u)
{
    fprintf(stderr, "%s%.*s", (const char *)u, (int)len, str);
    return 1;
}

void tffo_print_errors(const char *prefix)
{
    ERR_print_errors_cb(print_line, (void *)prefix);
}
