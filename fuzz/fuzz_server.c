/* fuzz_server: the server role as a whole, fed a byte stream from a "client".
 *
 * Byte 0: bits 0-2 server configuration (TFF_SERVER_*), bits 3-7 driver options
 * (tff_drive_opts_from_bits: chunk size, EOF, echo and close).
 * The rest is what the client sent. Randomness and time are fixed per input, so a
 * recorded client transcript (corpus/capture.sh) replays to the end: the client's
 * Finished verifies, and application data and close_notify are reached. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    if (size < 1)
        return 0;
    tlsflow_conn *c = tlsflow_conn_new(tff_server_config(data[0] & 7));
    TFF_CHECK(c != NULL);
    tff_drive_opts o;
    tff_drive_opts_from_bits(data[0] >> 3, &o);
    tff_drive(c, data + 1, size - 1, &o);
    tlsflow_conn_free(c);
    return 0;
}
