/* fuzz_server_async: the server role with its private-key operations handed to the caller
 * (tlsflow_config_set_key_offload), answered now, later (while more input arrives), with a
 * failure, with garbage, or never (the connection is closed instead).
 *
 * Byte 0: bits 0-2 server configuration (TFF_SERVER_*), bits 3-7 driver options as in
 * fuzz_server. Byte 1: bits 0-2 how key operations are answered (TFF_KEY_*, modulo the
 * number of modes), bits 3-7 how many input chunks arrive before a "later" answer.
 * Then, optionally, the extended header (tff_extended: TFF_EXTENDED, any configuration,
 * the caller's answers: bits 0-2 the verification hook's verdict, bit 3 credentials whose
 * keys stay with the caller, tlsflow_config_add_credential_key_handle, instead of key
 * offload). The rest is what the client sent: fuzz_server's corpus works here behind one
 * more byte. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    if (size < 2)
        return 0;
    int variant = data[0] & 7;
    unsigned answers = 0;
    size_t ext = tff_extended(data + 2, size - 2, &variant, &answers);
    tff_set_verdict(answers & 7);
    tlsflow_conn *c = tlsflow_conn_new(tff_server_config_offload(variant, (answers >> 3) & 1));
    TFF_CHECK(c != NULL);
    tff_drive_opts o;
    tff_drive_opts_from_bits(data[0] >> 3, &o);
    o.key_op = (data[1] & 7) % TFF_KEY_MODES;
    o.key_op_delay = data[1] >> 3;
    tff_drive(c, data + 2 + ext, size - 2 - ext, &o);
    tlsflow_conn_free(c);
    return 0;
}
