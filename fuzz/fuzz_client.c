/* fuzz_client: the client role as a whole, fed a byte stream from a "server".
 *
 * Byte 0: bits 0-2 client configuration (TFF_CLIENT_*), bits 3-7 driver options
 * (tff_drive_opts_from_bits: chunk size, EOF, echo and close). Then, optionally, the
 * extended header (tff_extended: TFF_EXTENDED, any configuration, the caller's answers:
 * bits 0-2 the verification hook's verdict, bits 3-5 how a key operation of the client's
 * is answered, bits 6-7 input chunks before a later answer). TFF_CLIENT_IMPORT: then a
 * session to import, [u16 length][bytes]. The rest is what the server sent. With the random source
 * reset per input, the client's ClientHello and key exchange are the same as when the seed
 * transcripts were recorded (a resuming client offers the same session), so the recorded server
 * Finished verifies and the run goes on into application data. */
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
    const uint8_t *stream = data + 1 + ext;
    size_t len = size - 1 - ext;
    tlsflow_conn *c;
    if ((variant % TFF_CLIENT_VARIANTS) == TFF_CLIENT_IMPORT) {
        /* The session comes first: [u16 length][bytes], any bytes. */
        tff_input in = {stream, len};
        const uint8_t *session;
        size_t n = tff_take(&in, tff_u16(&in), &session);
        c = tlsflow_conn_new(tff_client_config(variant));
        TFF_CHECK(c != NULL);
        int r = tlsflow_session_import(c, session, n);
        TFF_CHECK(r == 1 || r == 0 || r == TLSFLOW_E_USAGE);
        TFF_CHECK(tlsflow_session_import(c, session, n) == r); /* nothing started yet */
        stream = in.p;
        len = in.len;
    } else {
        c = tff_client_new(variant);
    }
    TFF_CHECK(c != NULL);
    tff_drive_opts o;
    tff_drive_opts_from_bits(data[0] >> 3, &o);
    o.key_op = ((answers >> 3) & 7) % TFF_KEY_MODES;
    o.key_op_delay = answers >> 6;
    tff_drive(c, stream, len, &o);
    tlsflow_conn_free(c);
    return 0;
}
