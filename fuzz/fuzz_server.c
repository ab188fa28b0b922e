/* fuzz_server: the server role as a whole, fed a byte stream from a "client".
 *
 * Byte 0: bits 0-2 server configuration (TFF_SERVER_*), bits 3-7 driver options
 * (tff_drive_opts_from_bits: chunk size, EOF, echo and close). Then, optionally, the
 * extended header (tff_extended: TFF_EXTENDED, any configuration, the caller's answers:
 * bits 0-2 the verification hook's verdict, bits 3-7 k: when not 0, one more byte b
 * follows and the engine's n-th wolfCrypt call or allocation fails, n = (k - 1) * 256 + b
 * + 1, TFF_FAULT_CRYPTO). The rest is what the client sent.
 * Randomness and time are fixed per input, so a recorded client transcript
 * (corpus/capture.sh, fuzz_seeds.c) replays to the end: the client's Finished verifies, and
 * application data and close_notify are reached; a recorded resumption replays too, since
 * the server opens the ticket with its fixed keys. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    if (size < 1)
        return 0;
    int variant = data[0] & 7;
    unsigned answers = 0;
    size_t ext = tff_extended(data + 1, size - 1, &variant, &answers);
    tff_set_verdict(answers & 7);
    if ((answers >> 3) && size > 1 + ext) {
        tff_set_fault(TFF_FAULT_CRYPTO, ((answers >> 3) - 1) * 256 + data[1 + ext] + 1);
        ext++;
    }
    tlsflow_conn *c = tff_server_new(variant);
    if (!c) { /* its transcript hash could not start */
        TFF_CHECK(tff_crypto_fault_fired());
        return 0;
    }
    tff_drive_opts o;
    tff_drive_opts_from_bits(data[0] >> 3, &o);
    tff_drive(c, data + 1 + ext, size - 1 - ext, &o);
    tlsflow_conn_free(c);
    return 0;
}
