/* fuzz_certificate: tf_certificate_parse and its exact inverse: a Certificate body that
 * parses is written back from the parsed list byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    tf_certificate cert;
    const char *why = NULL;
    int err = tf_certificate_parse(data, size, &cert, &why);
    if (err != TLSFLOW_OK) {
        TFF_CHECK(why != NULL);
        TFF_CHECK(err == TLSFLOW_E_DECODE || err == TLSFLOW_E_CERT_BAD);
        return 0;
    }
    TFF_CHECK(cert.n_certs <= TF_CERT_LIST_MAX);
    const uint8_t *ders[TF_CERT_LIST_MAX];
    size_t lens[TF_CERT_LIST_MAX], total = 3;
    for (size_t i = 0; i < cert.n_certs; i++) {
        TFF_CHECK(cert.certs[i].len > 0);
        TFF_CHECK(cert.certs[i].p >= data && cert.certs[i].p + cert.certs[i].len <= data + size);
        ders[i] = cert.certs[i].p;
        lens[i] = cert.certs[i].len;
        total += 3 + lens[i];
    }
    TFF_CHECK(total == size);

    uint8_t *buf = malloc(size);
    TFF_CHECK(buf != NULL);
    tf_writer w = tf_writer_init(buf, size);
    TFF_CHECK(tf_certificate_write(&w, ders, lens, cert.n_certs) == 0);
    TFF_CHECK(w.len == size && memcmp(buf, data, size) == 0);
    /* One byte short and the writer must refuse, not overrun. */
    tf_writer small = tf_writer_init(buf, size - 1);
    TFF_CHECK(tf_certificate_write(&small, ders, lens, cert.n_certs) != 0);
    free(buf);
    return 0;
}
