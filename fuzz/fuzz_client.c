/* fuzz_client: the client role as a whole, fed a byte stream from a "server".
 *
 * Byte 0: bits 0-2 client configuration (TFF_CLIENT_*), bits 3-7 driver options
 * (tff_drive_opts_from_bits: chunk size, EOF, echo and close). The rest is what the server sent.
 * With the random source reset per input, the client's ClientHello and key exchange are the same as
 * when the seed transcripts were recorded, so the recorded server Finished verifies and the run
 * goes on into application data. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    if (size < 1)
        return 0;
    tlsflow_conn *c = tlsflow_conn_new(tff_client_config(data[0] & 7));
    TFF_CHECK(c != NULL);
    tff_drive_opts o;
    tff_drive_opts_from_bits(data[0] >> 3, &o);
    tff_drive(c, data + 1, size - 1, &o);
    tlsflow_conn_free(c);
    return 0;
}
