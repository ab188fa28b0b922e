/* fuzz_finished: tf_finished_parse and its inverse, and tf_empty_parse (ServerHelloDone,
 * HelloRequest) on the same bytes. */
#include <string.h>

#include "fuzz_common.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    const char *why = NULL;
    int empty = tf_empty_parse(data, size, &why);
    TFF_CHECK((empty == TLSFLOW_OK) == (size == 0));
    tf_view v;
    if (tf_finished_parse(data, size, &v, &why) != TLSFLOW_OK) {
        TFF_CHECK(size != 12 && why != NULL);
        return 0;
    }
    TFF_CHECK(size == 12 && v.p == data && v.len == 12);
    uint8_t buf[12];
    tf_writer w = tf_writer_init(buf, sizeof(buf));
    TFF_CHECK(tf_finished_write(&w, v.p, v.len) == 0);
    TFF_CHECK(w.len == 12 && memcmp(buf, data, 12) == 0);
    tf_writer small = tf_writer_init(buf, 11);
    TFF_CHECK(tf_finished_write(&small, v.p, v.len) != 0);
    return 0;
}
