/* RFC 8448 §3, "Simple 1-RTT Handshake": the published trace of a whole TLS 1.3 handshake
 * (x25519, TLS_AES_128_GCM_SHA256, an RSA-PSS CertificateVerify), reproduced by our code.
 *
 * - the key schedule's pure functions (keys13.c over crypto_kdf.c) give every secret, key,
 *   IV, finished key and verify_data the RFC lists, from its x25519 keys and messages;
 * - tf_ecdhe_shared gives the shared secret from either side's private key;
 * - our client, handed the RFC's ClientHello and private key, takes the RFC's ServerHello
 *   and encrypted server flight through its state machine and writes the RFC's client
 *   records byte for byte (Finished, application data, close_notify), reading the ticket,
 *   data and alert records of the server; its key log shows the connection's secrets;
 * - the record layer in TLS 1.3 mode, keyed with tf13_install, writes the RFC's server
 *   records byte for byte, and every protected record of the trace opens under the
 *   RFC 8446 §5.2/§5.3 rules (nonce = iv XOR sequence number, the header as AAD).
 *
 * The hex below is transcribed from the RFC, one constant per value it prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hello_info.h"
#include "internal.h"
#include "keys.h"
#include "keys13.h"
#include "msg.h"
#include "record.h"
#include "tf_test.h"

#define SHA256 TF_HASH_SHA256

/* ---- RFC 8448 §3: inputs and intermediate values ------------------------------------- */

/* {client} create an ephemeral x25519 key pair */
static const char CLIENT_PRIVATE[] = "49 af 42 ba 7f 79 94 85 2d 71 3e f2 78 4b cb ca"
                                     "a7 91 1d e2 6a dc 56 42 cb 63 45 40 e7 ea 50 05";
static const char CLIENT_PUBLIC[] = "99 38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe"
                                    "b3 c0 6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c";
/* {server} create an ephemeral x25519 key pair */
static const char SERVER_PRIVATE[] = "b1 58 0e ea df 6d d5 89 b8 ef 4f 2d 56 52 57 8c"
                                     "c8 10 e9 98 01 91 ec 8d 05 83 08 ce a2 16 a2 1e";
static const char SERVER_PUBLIC[] = "c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6 72 e1"
                                    "56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f";
/* {server} extract secret "early" */
static const char EARLY_SECRET[] = "33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2"
                                   "10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a";
/* {server} derive secret for handshake "tls13 derived" */
static const char DERIVED_EARLY[] = "6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba b6 97"
                                    "16 c0 76 18 9c 48 25 0c eb ea c3 57 6c 36 11 ba";
/* {server} extract secret "handshake": IKM (the x25519 shared secret) and the secret */
static const char SHARED_SECRET[] = "8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d"
                                    "35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d";
static const char HANDSHAKE_SECRET[] = "1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01"
                                       "04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac";
/* {server} derive secret "tls13 c hs traffic" / "tls13 s hs traffic": hash, and the secrets */
static const char HELLO_HASH[] = "86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed"
                                 "d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8";
static const char C_HS_TRAFFIC[] = "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f"
                                   "3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21";
static const char S_HS_TRAFFIC[] = "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4"
                                   "e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38";
/* {server} derive secret for master "tls13 derived" */
static const char DERIVED_HANDSHAKE[] = "43 de 77 e0 c7 77 13 85 9a 94 4d b9 db 25 90 b5"
                                        "31 90 a6 5b 3e e2 e4 f1 2d d7 a0 bb 7c e2 54 b4";
/* {server} extract secret "master" */
static const char MASTER_SECRET[] = "18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47"
                                    "80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19";
/* {server} derive write traffic keys for handshake data */
static const char S_HS_KEY[] = "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc";
static const char S_HS_IV[] = "5d 31 3e b2 67 12 76 ee 13 00 0b 30";
/* {server} calculate finished "tls13 finished" */
static const char S_FINISHED_KEY[] = "00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f"
                                     "c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8";
/* {server} derive secret "tls13 c ap traffic" / "s ap traffic" / "exp master": hash, and the
 * secrets */
static const char FINISHED_HASH[] = "96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a"
                                    "00 0e aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13";
static const char C_AP_TRAFFIC[] = "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52"
                                   "87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5";
static const char S_AP_TRAFFIC[] = "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32"
                                   "82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43";
static const char EXPORTER_MASTER[] = "fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5"
                                      "0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50";
/* {server} derive write traffic keys for application data */
static const char S_AP_KEY[] = "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56";
static const char S_AP_IV[] = "cf 78 2b 88 dd 83 54 9a ad f1 e9 84";
/* {client} derive write traffic keys for handshake data */
static const char C_HS_KEY[] = "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01";
static const char C_HS_IV[] = "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f";
/* {client} calculate finished "tls13 finished" */
static const char C_FINISHED_KEY[] = "b8 0a d0 10 15 fb 2f 0b d6 5f f7 d4 da 5d 6b f8"
                                     "3f 84 82 1d 1f 87 fd c7 d3 c7 5b 5a 7b 42 d9 c4";
/* {client} construct a Finished handshake message */
static const char CLIENT_FINISHED[] = "14 00 00 20 a8 ec 43 6d 67 76 34 ae 52 5a c1 fc"
                                      "eb e1 1a 03 9e c1 76 94 fa c6 e9 85 27 b6 42 f2"
                                      "ed d5 ce 61";
/* {client} derive write traffic keys for application data */
static const char C_AP_KEY[] = "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51";
static const char C_AP_IV[] = "5b 78 92 3d ee 08 57 90 33 e5 23 d9";
/* {client} derive secret "tls13 res master": hash, and the secret */
static const char RES_HASH[] = "20 91 45 a9 6e e8 e2 a1 22 ff 81 00 47 cc 95 26"
                               "84 65 8d 60 49 e8 64 29 42 6d b8 7c 54 ad 14 3d";
static const char RES_MASTER[] = "7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf"
                                 "da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c";
/* {server} generate resumption secret "tls13 resumption" */
static const char RESUMPTION[] = "4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5"
                                 "85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3";

/* ---- RFC 8448 §3: the handshake messages and the records on the wire ------------------- */

/* {client} construct a ClientHello handshake message */
static const char CLIENT_HELLO[] = "01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38"
                                   "c6 da cb 19 6a 6d ff a2 1a 8d 99 12 ec 18 a2 ef"
                                   "62 83 02 4d ec e7 00 00 06 13 01 13 03 13 02 01"
                                   "00 00 91 00 00 00 0b 00 09 00 00 06 73 65 72 76"
                                   "65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00"
                                   "17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00"
                                   "23 00 00 00 33 00 26 00 24 00 1d 00 20 99 38 1d"
                                   "e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0 6e"
                                   "51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c 00 2b 00"
                                   "03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03"
                                   "02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01"
                                   "04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c"
                                   "00 02 40 01";
/* {server} construct a ServerHello handshake message */
static const char SERVER_HELLO[] = "02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e"
                                   "60 24 9c d3 4c 95 93 0c 8a c5 cb 14 34 da c1 55"
                                   "77 2e d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24"
                                   "00 1d 00 20 c9 82 88 76 11 20 95 fe 66 76 2b db"
                                   "f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0"
                                   "4e 75 1f 0f 00 2b 00 02 03 04";
/* {server} construct an EncryptedExtensions handshake message */
static const char ENCRYPTED_EXTENSIONS[] = "08 00 00 24 00 22 00 0a 00 14 00 12 00 1d 00 17"
                                           "00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 1c"
                                           "00 02 40 01 00 00 00 00";
/* {server} construct a Certificate handshake message */
static const char CERTIFICATE[] = "0b 00 01 b9 00 00 01 b5 00 01 b0 30 82 01 ac 30"
                                  "82 01 15 a0 03 02 01 02 02 01 02 30 0d 06 09 2a"
                                  "86 48 86 f7 0d 01 01 0b 05 00 30 0e 31 0c 30 0a"
                                  "06 03 55 04 03 13 03 72 73 61 30 1e 17 0d 31 36"
                                  "30 37 33 30 30 31 32 33 35 39 5a 17 0d 32 36 30"
                                  "37 33 30 30 31 32 33 35 39 5a 30 0e 31 0c 30 0a"
                                  "06 03 55 04 03 13 03 72 73 61 30 81 9f 30 0d 06"
                                  "09 2a 86 48 86 f7 0d 01 01 01 05 00 03 81 8d 00"
                                  "30 81 89 02 81 81 00 b4 bb 49 8f 82 79 30 3d 98"
                                  "08 36 39 9b 36 c6 98 8c 0c 68 de 55 e1 bd b8 26"
                                  "d3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a"
                                  "95 13 7a ce 6c 1a f1 9e aa 6a f9 8c 7c ed 43 12"
                                  "09 98 e1 87 a8 0e e0 cc b0 52 4b 1b 01 8c 3e 0b"
                                  "63 26 4d 44 9a 6d 38 e2 2a 5f da 43 08 46 74 80"
                                  "30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0"
                                  "3e 2b d1 93 ef f0 ab 9a 80 02 c4 74 28 a6 d3 5a"
                                  "8d 88 d7 9f 7f 1e 3f 02 03 01 00 01 a3 1a 30 18"
                                  "30 09 06 03 55 1d 13 04 02 30 00 30 0b 06 03 55"
                                  "1d 0f 04 04 03 02 05 a0 30 0d 06 09 2a 86 48 86"
                                  "f7 0d 01 01 0b 05 00 03 81 81 00 85 aa d2 a0 e5"
                                  "b9 27 6b 90 8c 65 f7 3a 72 67 17 06 18 a5 4c 5f"
                                  "8a 7b 33 7d 2d f7 a5 94 36 54 17 f2 ea e8 f8 a5"
                                  "8c 8f 81 72 f9 31 9c f3 6b 7f d6 c5 5b 80 f2 1a"
                                  "03 01 51 56 72 60 96 fd 33 5e 5e 67 f2 db f1 02"
                                  "70 2e 60 8c ca e6 be c1 fc 63 a4 2a 99 be 5c 3e"
                                  "b7 10 7c 3c 54 e9 b9 eb 2b d5 20 3b 1c 3b 84 e0"
                                  "a8 b2 f7 59 40 9b a3 ea c9 d9 1d 40 2d cc 0c c8"
                                  "f8 96 12 29 ac 91 87 b4 2b 4d e1 00 00";
/* {server} construct a CertificateVerify handshake message */
static const char CERTIFICATE_VERIFY[] = "0f 00 00 84 08 04 00 80 5a 74 7c 5d 88 fa 9b d2"
                                         "e5 5a b0 85 a6 10 15 b7 21 1f 82 4c d4 84 14 5a"
                                         "b3 ff 52 f1 fd a8 47 7b 0b 7a bc 90 db 78 e2 d3"
                                         "3a 5c 14 1a 07 86 53 fa 6b ef 78 0c 5e a2 48 ee"
                                         "aa a7 85 c4 f3 94 ca b6 d3 0b be 8d 48 59 ee 51"
                                         "1f 60 29 57 b1 54 11 ac 02 76 71 45 9e 46 44 5c"
                                         "9e a5 8c 18 1e 81 8e 95 b8 c3 fb 0b f3 27 84 09"
                                         "d3 be 15 2a 3d a5 04 3e 06 3d da 65 cd f5 ae a2"
                                         "0d 53 df ac d4 2f 74 f3";
/* {server} construct a Finished handshake message */
static const char SERVER_FINISHED[] = "14 00 00 20 9b 9b 14 1d 90 63 37 fb d2 cb dc e7"
                                      "1d f4 de da 4a b4 2c 30 95 72 cb 7f ff ee 54 54"
                                      "b7 8f 07 18";
/* {server} construct a NewSessionTicket handshake message */
static const char NEW_SESSION_TICKET[] = "04 00 00 c9 00 00 00 1e fa d6 aa c5 02 00 00 00"
                                         "b2 2c 03 5d 82 93 59 ee 5f f7 af 4e c9 00 00 00"
                                         "00 26 2a 64 94 dc 48 6d 2c 8a 34 cb 33 fa 90 bf"
                                         "1b 00 70 ad 3c 49 88 83 c9 36 7c 09 a2 be 78 5a"
                                         "bc 55 cd 22 60 97 a3 a9 82 11 72 83 f8 2a 03 a1"
                                         "43 ef d3 ff 5d d3 6d 64 e8 61 be 7f d6 1d 28 27"
                                         "db 27 9c ce 14 50 77 d4 54 a3 66 4d 4e 6d a4 d2"
                                         "9e e0 37 25 a6 a4 da fc d0 fc 67 d2 ae a7 05 29"
                                         "51 3e 3d a2 67 7f a5 90 6c 5b 3f 7d 8f 92 f2 28"
                                         "bd a4 0d da 72 14 70 f9 fb f2 97 b5 ae a6 17 64"
                                         "6f ac 5c 03 27 2e 97 07 27 c6 21 a7 91 41 ef 5f"
                                         "7d e6 50 5e 5b fb c3 88 e9 33 43 69 40 93 93 4a"
                                         "e4 d3 57 00 08 00 2a 00 04 00 00 04 00";
/* {server} send handshake record (EncryptedExtensions..Finished, under the server handshake keys)
 */
static const char REC_SERVER_FLIGHT[] = "17 03 03 02 a2 d1 ff 33 4a 56 f5 bf f6 59 4a 07"
                                        "cc 87 b5 80 23 3f 50 0f 45 e4 89 e7 f3 3a f3 5e"
                                        "df 78 69 fc f4 0a a4 0a a2 b8 ea 73 f8 48 a7 ca"
                                        "07 61 2e f9 f9 45 cb 96 0b 40 68 90 51 23 ea 78"
                                        "b1 11 b4 29 ba 91 91 cd 05 d2 a3 89 28 0f 52 61"
                                        "34 aa dc 7f c7 8c 4b 72 9d f8 28 b5 ec f7 b1 3b"
                                        "d9 ae fb 0e 57 f2 71 58 5b 8e a9 bb 35 5c 7c 79"
                                        "02 07 16 cf b9 b1 18 3e f3 ab 20 e3 7d 57 a6 b9"
                                        "d7 47 76 09 ae e6 e1 22 a4 cf 51 42 73 25 25 0c"
                                        "7d 0e 50 92 89 44 4c 9b 3a 64 8f 1d 71 03 5d 2e"
                                        "d6 5b 0e 3c dd 0c ba e8 bf 2d 0b 22 78 12 cb b3"
                                        "60 98 72 55 cc 74 41 10 c4 53 ba a4 fc d6 10 92"
                                        "8d 80 98 10 e4 b7 ed 1a 8f d9 91 f0 6a a6 24 82"
                                        "04 79 7e 36 a6 a7 3b 70 a2 55 9c 09 ea d6 86 94"
                                        "5b a2 46 ab 66 e5 ed d8 04 4b 4c 6d e3 fc f2 a8"
                                        "94 41 ac 66 27 2f d8 fb 33 0e f8 19 05 79 b3 68"
                                        "45 96 c9 60 bd 59 6e ea 52 0a 56 a8 d6 50 f5 63"
                                        "aa d2 74 09 96 0d ca 63 d3 e6 88 61 1e a5 e2 2f"
                                        "44 15 cf 95 38 d5 1a 20 0c 27 03 42 72 96 8a 26"
                                        "4e d6 54 0c 84 83 8d 89 f7 2c 24 46 1a ad 6d 26"
                                        "f5 9e ca ba 9a cb bb 31 7b 66 d9 02 f4 f2 92 a3"
                                        "6a c1 b6 39 c6 37 ce 34 31 17 b6 59 62 22 45 31"
                                        "7b 49 ee da 0c 62 58 f1 00 d7 d9 61 ff b1 38 64"
                                        "7e 92 ea 33 0f ae ea 6d fa 31 c7 a8 4d c3 bd 7e"
                                        "1b 7a 6c 71 78 af 36 87 90 18 e3 f2 52 10 7f 24"
                                        "3d 24 3d c7 33 9d 56 84 c8 b0 37 8b f3 02 44 da"
                                        "8c 87 c8 43 f5 e5 6e b4 c5 e8 28 0a 2b 48 05 2c"
                                        "f9 3b 16 49 9a 66 db 7c ca 71 e4 59 94 26 f7 d4"
                                        "61 e6 6f 99 88 2b d8 9f c5 08 00 be cc a6 2d 6c"
                                        "74 11 6d bd 29 72 fd a1 fa 80 f8 5d f8 81 ed be"
                                        "5a 37 66 89 36 b3 35 58 3b 59 91 86 dc 5c 69 18"
                                        "a3 96 fa 48 a1 81 d6 b6 fa 4f 9d 62 d5 13 af bb"
                                        "99 2f 2b 99 2f 67 f8 af e6 7f 76 91 3f a3 88 cb"
                                        "56 30 c8 ca 01 e0 c6 5d 11 c6 6a 1e 2a c4 c8 59"
                                        "77 b7 c7 a6 99 9b bf 10 dc 35 ae 69 f5 51 56 14"
                                        "63 6c 0b 9b 68 c1 9e d2 e3 1c 0b 3b 66 76 30 38"
                                        "eb ba 42 f3 b3 8e dc 03 99 f3 a9 f2 3f aa 63 97"
                                        "8c 31 7f c9 fa 66 a7 3f 60 f0 50 4d e9 3b 5b 84"
                                        "5e 27 55 92 c1 23 35 ee 34 0b bc 4f dd d5 02 78"
                                        "40 16 e4 b3 be 7e f0 4d da 49 f4 b4 40 a3 0c b5"
                                        "d2 af 93 98 28 fd 4a e3 79 4e 44 f9 4d f5 a6 31"
                                        "ed e4 2c 17 19 bf da bf 02 53 fe 51 75 be 89 8e"
                                        "75 0e dc 53 37 0d 2b";
/* {client} send handshake record (Finished, under the client handshake keys) */
static const char REC_CLIENT_FINISHED[] = "17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44"
                                          "a7 1e 21 9c 56 cc 77 b0 51 7f e9 b9 3c 7a 4b fc"
                                          "44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c"
                                          "ae ac ab 68 67 d7 26 c4 05 46";
/* {server} send handshake record (NewSessionTicket, under the server application keys) */
static const char REC_TICKET[] = "17 03 03 00 de 3a 6b 8f 90 41 4a 97 d6 95 9c 34"
                                 "87 68 0d e5 13 4a 2b 24 0e 6c ff ac 11 6e 95 d4"
                                 "1d 6a f8 f6 b5 80 dc f3 d1 1d 63 c7 58 db 28 9a"
                                 "01 59 40 25 2f 55 71 3e 06 1d c1 3e 07 88 91 a3"
                                 "8e fb cf 57 53 ad 8e f1 70 ad 3c 73 53 d1 6d 9d"
                                 "a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3 d0 3f 75 e0"
                                 "9c 30 ba 1e 62 97 2a c4 6f 75 f7 b9 81 be 63 43"
                                 "9b 29 99 ce 13 06 46 15 13 98 91 d5 e4 c5 b4 06"
                                 "f1 6e 3f c1 81 a7 7c a4 75 84 00 25 db 2f 0a 77"
                                 "f8 1b 5a b0 5b 94 c0 13 46 75 5f 69 23 2c 86 51"
                                 "9d 86 cb ee ac 87 aa c3 47 d1 43 f9 60 5d 64 f6"
                                 "50 db 4d 02 3e 70 e9 52 ca 49 fe 51 37 12 1c 74"
                                 "bc 26 97 68 7e 24 87 46 d6 df 35 30 05 f3 bc e1"
                                 "86 96 12 9c 81 53 55 6b 3b 6c 67 79 b3 7b f1 59"
                                 "85 68 4f";
/* {client} send application_data record */
static const char REC_CLIENT_DATA[] = "17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe"
                                      "82 28 ba 55 cb ef ac ea 42 f9 14 aa 66 bc ab 3f"
                                      "2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b"
                                      "62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6"
                                      "3a ee bb 21 69 49 15 e4";
/* {server} send application_data record */
static const char REC_SERVER_DATA[] = "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad"
                                      "36 00 5f c4 a4 69 32 fc 32 25 d0 5f 82 aa 1b 36"
                                      "e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8"
                                      "fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54"
                                      "0d d0 32 e1 67 c2 95 5d";
/* {client} send alert record (close_notify) */
static const char REC_CLIENT_ALERT[] = "17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1"
                                       "15 3e fd 6d b6 d0 b0 e3";
/* {server} send alert record (close_notify) */
static const char REC_SERVER_ALERT[] = "17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20"
                                       "cf be 7e fa 7a 88 64 a9";

/* The application data both sides send (RFC 8448 §3: the 50 bytes 00..31). */
static void app_payload(uint8_t out[50])
{
    for (int i = 0; i < 50; i++)
        out[i] = (uint8_t)i;
}

/* ---- hex and comparison ---------------------------------------------------------------- */

typedef struct {
    uint8_t b[1100];
    size_t n;
} bytes;

static int nibble(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* RFC-style hex ("01 00 00 c0 ..."; spaces anywhere) to bytes. */
static bytes hx(const char *s)
{
    bytes out = {{0}, 0};
    int hi = -1;
    for (; *s; s++) {
        if (*s == ' ')
            continue;
        int v = nibble(*s);
        assert_true(v >= 0);
        if (hi < 0) {
            hi = v;
            continue;
        }
        assert_true(out.n < sizeof(out.b));
        out.b[out.n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    assert_true(hi < 0);
    return out;
}

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
    print_error("  %s (%zu octets):", label, n);
    for (size_t i = 0; i < n; i++)
        print_error("%s%02x", i % 16 ? " " : "\n    ", p[i]);
    print_error("\n");
}

static void expect_same(const char *what, const uint8_t *got, const uint8_t *want, size_t len)
{
    if (memcmp(got, want, len) == 0)
        return;
    print_error("%s differs from RFC 8448 §3\n", what);
    print_hex("ours", got, len);
    print_hex("RFC 8448", want, len);
    fail_msg("%s differs from RFC 8448", what);
}

/* One RFC value: got must be exactly `want`; the failure names the value. */
static void expect_rfc(const char *what, const uint8_t *got, size_t len, const char *want)
{
    bytes w = hx(want);
    if (len != w.n) {
        print_hex("ours", got, len);
        fail_msg("%s: %zu octets, RFC 8448 has %zu", what, len, w.n);
    }
    expect_same(what, got, w.b, len);
}

/* The concatenation of RFC messages (NULL ends the list). */
static bytes cat(const char *first, ...)
{
    bytes out = {{0}, 0};
    va_list ap;
    va_start(ap, first);
    for (const char *m = first; m; m = va_arg(ap, const char *)) {
        bytes b = hx(m);
        assert_true(out.n + b.n <= sizeof(out.b));
        memcpy(out.b + out.n, b.b, b.n);
        out.n += b.n;
    }
    va_end(ap);
    return out;
}

/* Transcript-Hash of a concatenation of messages. */
static bytes hash_of(bytes m)
{
    bytes out = {{0}, 0};
    out.n = tf_hash_digest(SHA256, m.b, m.n, out.b);
    assert_int_equal(out.n, 32);
    return out;
}

/* A random source that hands out fixed bytes (the RFC's private keys), then fails. */
typedef struct {
    const uint8_t *p;
    size_t len;
} script;

static int scripted(void *ctx, uint8_t *out, size_t len)
{
    script *s = ctx;
    if (len > s->len)
        return -1;
    memcpy(out, s->p, len);
    s->p += len;
    s->len -= len;
    return 0;
}

/* ---- x25519 ---------------------------------------------------------------------------- */

/* Each side's private key gives its public value (as sent in the hellos) and, with the
 * other side's public value, the shared secret. */
static void test_x25519(void **state)
{
    (void)state;
    bytes cpriv = hx(CLIENT_PRIVATE), spriv = hx(SERVER_PRIVATE);
    bytes cpub = hx(CLIENT_PUBLIC), spub = hx(SERVER_PUBLIC);
    bytes ch = hx(CLIENT_HELLO), sh = hx(SERVER_HELLO);
    uint8_t pub[TF_MAX_KX_PUBLIC], shared[TF_MAX_KX_SECRET];
    size_t pub_len, shared_len;

    /* The shares the hellos carry: ClientHello's key_share entry, ServerHello's (its last
     * extension but supported_versions). */
    static const uint8_t ks_head[] = {0x00, 0x1d, 0x00, 0x20};
    size_t at = 0;
    while (at + 36 <= ch.n && memcmp(ch.b + at, ks_head, 4) != 0)
        at++;
    assert_true(at + 36 <= ch.n);
    expect_rfc("ClientHello's x25519 key_share", ch.b + at + 4, 32, CLIENT_PUBLIC);
    expect_rfc("ServerHello's x25519 key_share", sh.b + sh.n - 6 - 32, 32, SERVER_PUBLIC);

    /* crypto.h: the private key is what tf_ecdhe_keygen made from the random bytes, here
     * the RFC's private key (for X25519 the RFC 7748 string, clamped as §5 decodes it). */
    uint8_t cscalar[TF_MAX_KX_SECRET], sscalar[TF_MAX_KX_SECRET];
    size_t clen, slen;
    script s = {cpriv.b, cpriv.n};
    assert_int_equal(
        tf_ecdhe_keygen(TLSFLOW_GROUP_X25519, scripted, &s, cscalar, &clen, pub, &pub_len, NULL),
        0);
    expect_rfc("client x25519 public key", pub, pub_len, CLIENT_PUBLIC);
    s = (script){spriv.b, spriv.n};
    assert_int_equal(
        tf_ecdhe_keygen(TLSFLOW_GROUP_X25519, scripted, &s, sscalar, &slen, pub, &pub_len, NULL),
        0);
    expect_rfc("server x25519 public key", pub, pub_len, SERVER_PUBLIC);

    assert_int_equal(tf_ecdhe_shared(TLSFLOW_GROUP_X25519, cscalar, clen, spub.b, spub.n, shared,
                                     &shared_len, NULL),
                     0);
    expect_rfc("shared secret (client: its private key, the server's share)", shared, shared_len,
               SHARED_SECRET);
    assert_int_equal(tf_ecdhe_shared(TLSFLOW_GROUP_X25519, sscalar, slen, cpub.b, cpub.n, shared,
                                     &shared_len, NULL),
                     0);
    expect_rfc("shared secret (server: its private key, the client's share)", shared, shared_len,
               SHARED_SECRET);
}

/* ---- the key schedule ------------------------------------------------------------------ */

static void test_key_schedule(void **state)
{
    (void)state;
    bytes shared = hx(SHARED_SECRET);
    uint8_t early[32], derived[32], hs[32], chs[32], shs[32], master[32], cap[32], sap[32];
    uint8_t exp[32], out[32], key[16], iv[12], res[32];

    assert_int_equal(tf13_early_secret(SHA256, NULL, 0, early), 0);
    expect_rfc("early secret", early, 32, EARLY_SECRET);
    assert_int_equal(tf13_derive_secret(SHA256, early, "derived", NULL, derived), 0);
    expect_rfc("derived secret (for the handshake secret)", derived, 32, DERIVED_EARLY);
    assert_int_equal(tf13_next_secret(SHA256, early, shared.b, shared.n, hs), 0);
    expect_rfc("handshake secret", hs, 32, HANDSHAKE_SECRET);

    bytes h = hash_of(cat(CLIENT_HELLO, SERVER_HELLO, NULL));
    expect_rfc("transcript hash ClientHello..ServerHello", h.b, h.n, HELLO_HASH);
    assert_int_equal(tf13_derive_secret(SHA256, hs, "c hs traffic", h.b, chs), 0);
    expect_rfc("client handshake traffic secret", chs, 32, C_HS_TRAFFIC);
    assert_int_equal(tf13_derive_secret(SHA256, hs, "s hs traffic", h.b, shs), 0);
    expect_rfc("server handshake traffic secret", shs, 32, S_HS_TRAFFIC);

    assert_int_equal(tf13_traffic_key(SHA256, shs, key, 16, iv), 0);
    expect_rfc("server handshake write key", key, 16, S_HS_KEY);
    expect_rfc("server handshake write iv", iv, 12, S_HS_IV);
    assert_int_equal(tf13_traffic_key(SHA256, chs, key, 16, iv), 0);
    expect_rfc("client handshake write key", key, 16, C_HS_KEY);
    expect_rfc("client handshake write iv", iv, 12, C_HS_IV);

    assert_int_equal(tf_hkdf_expand_label(SHA256, shs, "finished", NULL, 0, out, 32), 0);
    expect_rfc("server finished key", out, 32, S_FINISHED_KEY);
    assert_int_equal(tf_hkdf_expand_label(SHA256, chs, "finished", NULL, 0, out, 32), 0);
    expect_rfc("client finished key", out, 32, C_FINISHED_KEY);

    /* The server's Finished covers the transcript through CertificateVerify. */
    h = hash_of(cat(CLIENT_HELLO, SERVER_HELLO, ENCRYPTED_EXTENSIONS, CERTIFICATE,
                    CERTIFICATE_VERIFY, NULL));
    assert_int_equal(tf13_finished(SHA256, shs, h.b, out), 0);
    bytes fin = hx(SERVER_FINISHED);
    assert_int_equal(fin.n, 4 + 32);
    expect_same("server Finished verify_data", out, fin.b + 4, 32);

    assert_int_equal(tf13_derive_secret(SHA256, hs, "derived", NULL, derived), 0);
    expect_rfc("derived secret (for the master secret)", derived, 32, DERIVED_HANDSHAKE);
    assert_int_equal(tf13_next_secret(SHA256, hs, NULL, 0, master), 0);
    expect_rfc("master secret", master, 32, MASTER_SECRET);

    h = hash_of(cat(CLIENT_HELLO, SERVER_HELLO, ENCRYPTED_EXTENSIONS, CERTIFICATE,
                    CERTIFICATE_VERIFY, SERVER_FINISHED, NULL));
    expect_rfc("transcript hash ClientHello..server Finished", h.b, h.n, FINISHED_HASH);
    assert_int_equal(tf13_derive_secret(SHA256, master, "c ap traffic", h.b, cap), 0);
    expect_rfc("client application traffic secret 0", cap, 32, C_AP_TRAFFIC);
    assert_int_equal(tf13_derive_secret(SHA256, master, "s ap traffic", h.b, sap), 0);
    expect_rfc("server application traffic secret 0", sap, 32, S_AP_TRAFFIC);
    assert_int_equal(tf13_derive_secret(SHA256, master, "exp master", h.b, exp), 0);
    expect_rfc("exporter master secret", exp, 32, EXPORTER_MASTER);

    assert_int_equal(tf13_traffic_key(SHA256, sap, key, 16, iv), 0);
    expect_rfc("server application write key", key, 16, S_AP_KEY);
    expect_rfc("server application write iv", iv, 12, S_AP_IV);
    assert_int_equal(tf13_traffic_key(SHA256, cap, key, 16, iv), 0);
    expect_rfc("client application write key", key, 16, C_AP_KEY);
    expect_rfc("client application write iv", iv, 12, C_AP_IV);

    /* The client's Finished covers the transcript through the server's Finished. */
    assert_int_equal(tf13_finished(SHA256, chs, h.b, out), 0);
    fin = hx(CLIENT_FINISHED);
    expect_same("client Finished verify_data", out, fin.b + 4, 32);

    h = hash_of(cat(CLIENT_HELLO, SERVER_HELLO, ENCRYPTED_EXTENSIONS, CERTIFICATE,
                    CERTIFICATE_VERIFY, SERVER_FINISHED, CLIENT_FINISHED, NULL));
    expect_rfc("transcript hash ClientHello..client Finished", h.b, h.n, RES_HASH);
    assert_int_equal(tf13_derive_secret(SHA256, master, "res master", h.b, res), 0);
    expect_rfc("resumption master secret", res, 32, RES_MASTER);

    /* The ticket's PSK: HKDF-Expand-Label(resumption master secret, "resumption",
     * ticket_nonce) with the nonce of the RFC's NewSessionTicket (RFC 8446 §4.6.1). */
    bytes nst = hx(NEW_SESSION_TICKET);
    tf_new_session_ticket t;
    const char *why = NULL;
    assert_int_equal(tf_new_session_ticket_parse(nst.b + 4, nst.n - 4, &t, &why), 0);
    assert_int_equal(t.nonce.len, 2);
    assert_int_equal(
        tf_hkdf_expand_label(SHA256, res, "resumption", t.nonce.p, t.nonce.len, out, 32), 0);
    expect_rfc("resumption secret (PSK of the ticket)", out, 32, RESUMPTION);
}

/* ---- the records, opened by the RFC 8446 §5.2/§5.3 rules -------------------------------- */

/* Open one protected record of the trace with a traffic secret at a sequence number:
 * nonce = iv XOR the sequence number (left-padded), AAD = the 5-byte record header; the
 * plaintext is content || inner type (no padding in the trace). A changed header byte must
 * make it fail: the header is authenticated. */
static void open_record(const char *what, const char *record, const char *secret, uint64_t seq,
                        uint8_t type, bytes content)
{
    bytes rec = hx(record), sec = hx(secret);
    uint8_t key[16], iv[12], nonce[12], plain[1100];
    assert_int_equal(tf13_traffic_key(SHA256, sec.b, key, 16, iv), 0);
    assert_true(rec.n > 5 + 16 + 1);
    assert_int_equal(rec.b[0], TF_CT_APPDATA); /* every protected record is "application data" */
    assert_int_equal(rec.b[1], 3);
    assert_int_equal(rec.b[2], 3);
    assert_int_equal(((size_t)rec.b[3] << 8) | rec.b[4], rec.n - 5);
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
    size_t n = rec.n - 5 - 16;
    tf_aead a;
    memset(&a, 0, sizeof(a));
    assert_int_equal(tf_aead_setup(&a, TF_AEAD_AES_GCM, key, 16), 0);
    if (tf_aead_open(&a, nonce, rec.b, 5, rec.b + 5, n, rec.b + 5 + n, plain) != 0)
        fail_msg("%s does not open with its RFC 8448 keys at sequence number %llu", what,
                 (unsigned long long)seq);
    if (plain[n - 1] != type)
        fail_msg("%s: inner content type %u, expected %u", what, plain[n - 1], type);
    if (n - 1 != content.n)
        fail_msg("%s: %zu content octets, expected %zu", what, n - 1, content.n);
    expect_same(what, plain, content.b, content.n);
    rec.b[2] ^= 1; /* the header is the AAD */
    assert_int_not_equal(tf_aead_open(&a, nonce, rec.b, 5, rec.b + 5, n, rec.b + 5 + n, plain), 0);
    tf_aead_free(&a);
}

static void test_records_open(void **state)
{
    (void)state;
    uint8_t app[50];
    app_payload(app);
    bytes data = {{0}, 50}, alert = {{1, 0}, 2}; /* close_notify, level warning */
    memcpy(data.b, app, 50);
    open_record("server handshake record (EncryptedExtensions..Finished)", REC_SERVER_FLIGHT,
                S_HS_TRAFFIC, 0, TF_CT_HANDSHAKE,
                cat(ENCRYPTED_EXTENSIONS, CERTIFICATE, CERTIFICATE_VERIFY, SERVER_FINISHED, NULL));
    open_record("client handshake record (Finished)", REC_CLIENT_FINISHED, C_HS_TRAFFIC, 0,
                TF_CT_HANDSHAKE, cat(CLIENT_FINISHED, NULL));
    open_record("server NewSessionTicket record", REC_TICKET, S_AP_TRAFFIC, 0, TF_CT_HANDSHAKE,
                cat(NEW_SESSION_TICKET, NULL));
    open_record("client application data record", REC_CLIENT_DATA, C_AP_TRAFFIC, 0, TF_CT_APPDATA,
                data);
    open_record("server application data record", REC_SERVER_DATA, S_AP_TRAFFIC, 1, TF_CT_APPDATA,
                data);
    open_record("client alert record", REC_CLIENT_ALERT, C_AP_TRAFFIC, 1, TF_CT_ALERT, alert);
    open_record("server alert record", REC_SERVER_ALERT, S_AP_TRAFFIC, 2, TF_CT_ALERT, alert);
}

/* ---- the record layer writes the server's records -------------------------------------- */

/* Input: one record as it came off the wire. */
static void feed(tlsflow_conn *c, bytes rec)
{
    size_t room;
    uint8_t *in = tlsflow_in_buf(c, &room);
    assert_non_null(in);
    assert_true(rec.n <= room);
    memcpy(in, rec.b, rec.n);
    tlsflow_in_ack(c, rec.n);
}

/* A plaintext record around a message of the trace. */
static bytes plain_record(uint8_t type, const char *msg)
{
    bytes m = hx(msg), out = {{type, 3, 3, (uint8_t)(m.n >> 8), (uint8_t)m.n}, 5 + m.n};
    memcpy(out.b + 5, m.b, m.n);
    return out;
}

/* What the connection holds for the wire must be exactly this record; then it is taken. */
static void expect_queued(tlsflow_conn *c, const char *what, const char *record)
{
    size_t n;
    const uint8_t *p = tlsflow_out_buf(c, &n);
    assert_non_null(p);
    expect_rfc(what, p, n, record);
    tlsflow_out_ack(c, n);
}

/* Keyed with tf13_install, the record layer writes the trace's server records: the flight
 * under the handshake traffic secret, then ticket, data and close_notify under the
 * application traffic secret (sequence numbers 0, 1, 2). The read side, keyed with the
 * client's application secret, takes the client's data and close_notify. */
static void test_server_records(void **state)
{
    (void)state;
    tft_rng rng = {5};
    tlsflow_config *cfg = tft_server_config(&rng);
    tlsflow_conn *c = tlsflow_conn_new(cfg);
    assert_non_null(c);
    c->suite = tf_suite_find(TLSFLOW_AES_128_GCM_SHA256);
    assert_non_null(c->suite);
    bytes shs = hx(S_HS_TRAFFIC), sap = hx(S_AP_TRAFFIC), cap = hx(C_AP_TRAFFIC);
    bytes flight =
        cat(ENCRYPTED_EXTENSIONS, CERTIFICATE, CERTIFICATE_VERIFY, SERVER_FINISHED, NULL);
    bytes nst = hx(NEW_SESSION_TICKET);
    uint8_t app[50];
    static const uint8_t close_notify[2] = {1, 0};
    app_payload(app);

    assert_int_equal(tf13_install(c, 1, shs.b), 0);
    assert_int_equal(tf_record_write(c, TF_CT_HANDSHAKE, flight.b, flight.n), 0);
    expect_queued(c, "server handshake record (EncryptedExtensions..Finished)", REC_SERVER_FLIGHT);
    assert_int_equal(tf13_install(c, 1, sap.b), 0);
    assert_int_equal(tf_record_write(c, TF_CT_HANDSHAKE, nst.b, nst.n), 0);
    expect_queued(c, "server NewSessionTicket record", REC_TICKET);
    assert_int_equal(tf_record_write(c, TF_CT_APPDATA, app, sizeof(app)), 0);
    expect_queued(c, "server application data record", REC_SERVER_DATA);
    assert_int_equal(tf_record_write(c, TF_CT_ALERT, close_notify, 2), 0);
    expect_queued(c, "server alert record (close_notify)", REC_SERVER_ALERT);

    /* The read side, as it is once the handshake is done. */
    assert_int_equal(tf13_install(c, 0, cap.b), 0);
    c->version = TF_TLS13;
    c->version_fixed = 1;
    c->established = 1;
    feed(c, hx(REC_CLIENT_DATA));
    assert_int_equal(tf_record_process(c), 1);
    size_t n;
    const uint8_t *got = tlsflow_app_peek(c, &n);
    assert_int_equal(n, sizeof(app));
    expect_same("client application data, decrypted by our record layer", got, app, n);
    tlsflow_app_consume(c, n);
    feed(c, hx(REC_CLIENT_ALERT));
    assert_int_equal(tf_record_process(c), 1);
    assert_int_equal(tlsflow_last_error(c), 0);
    assert_true(c->close_received);
    assert_int_equal(tlsflow_peer_alert(c), TLSFLOW_ALERT_CLOSE_NOTIFY);
    tlsflow_conn_free(c);
    tlsflow_config_free(cfg);
}

/* ---- our client replays the handshake -------------------------------------------------- */

typedef struct {
    char lines[8][256];
    int n;
    uint8_t ticket[512];
    size_t ticket_len;
    int tickets;
    int verify_calls;
    int verdict;
} observed;

static void on_keylog(void *ctx, const char *line)
{
    observed *o = ctx;
    assert_true(o->n < 8);
    snprintf(o->lines[o->n++], sizeof(o->lines[0]), "%s", line);
}

static void on_ticket(void *ctx, tlsflow_conn *conn, const uint8_t *ticket, size_t len)
{
    observed *o = ctx;
    (void)conn;
    assert_true(len <= sizeof(o->ticket));
    memcpy(o->ticket, ticket, len);
    o->ticket_len = len;
    o->tickets++;
}

/* The RFC's certificate (CN "rsa", no subjectAltName, RSA-1024) is no certificate for
 * "server": the engine's verdict is noted and overruled, as an embedder's pinning hook
 * would. */
static int on_verify(void *ctx, tlsflow_conn *conn, int verdict)
{
    observed *o = ctx;
    (void)conn;
    o->verify_calls++;
    o->verdict = verdict;
    return 0;
}

/* 2017-07-14, inside the trace certificate's validity (2016-07-30 to 2026-07-30). */
static int64_t trace_time(void *ctx)
{
    (void)ctx;
    return 1500000000;
}

/* The key log must hold `label client_random secret` with the RFC's values. */
static void expect_keylog(const observed *o, const char *label, const char *secret)
{
    bytes ch = hx(CLIENT_HELLO), s = hx(secret);
    char want[256];
    int k = snprintf(want, sizeof(want), "%s ", label);
    for (size_t i = 0; i < 32; i++)
        k += snprintf(want + k, sizeof(want) - (size_t)k, "%02x", ch.b[6 + i]); /* the random */
    k += snprintf(want + k, sizeof(want) - (size_t)k, " ");
    for (size_t i = 0; i < s.n; i++)
        k += snprintf(want + k, sizeof(want) - (size_t)k, "%02x", s.b[i]);
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->lines[i], want) == 0)
            return;
    for (int i = 0; i < o->n; i++)
        print_error("  key log: %s\n", o->lines[i]);
    fail_msg("no key log line \"%s\" with the RFC 8448 secret", label);
}

/* Our client, with the RFC's ClientHello as the one it sent (its random, its x25519 key,
 * no middlebox compatibility mode), reads the RFC's ServerHello and encrypted flight
 * through its state machine: the handshake keys, EncryptedExtensions, the certificate, the
 * RSA-PSS signature over the transcript and the server's Finished must all check out, and
 * what it writes (Finished, 50 bytes of data, close_notify) must be the RFC's records. */
static void test_client_replay(void **state)
{
    (void)state;
    observed o;
    memset(&o, 0, sizeof(o));
    tft_rng rng = {3};
    bytes cert = hx(CERTIFICATE);
    size_t cert_len = ((size_t)cert.b[8] << 16) | ((size_t)cert.b[9] << 8) | cert.b[10];
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_CLIENT);
    assert_non_null(cfg);
    assert_int_equal(tlsflow_config_add_trust_anchors(cfg, cert.b + 11, cert_len), 0);
    assert_int_equal(tlsflow_config_set_server_name(cfg, "server"), 0);
    assert_int_equal(tlsflow_config_set_versions(cfg, TLSFLOW_VERSION_TLS13, TLSFLOW_VERSION_TLS13),
                     0);
    assert_int_equal(tlsflow_config_set_record_size_limit(cfg, 16384), 0); /* sent as 0x4001 */
    tlsflow_config_set_time(cfg, trace_time, NULL);
    tlsflow_config_set_random(cfg, tft_random, &rng);
    tlsflow_config_set_keylog(cfg, on_keylog, &o);
    tlsflow_config_set_ticket_callback(cfg, on_ticket, &o);
    tlsflow_config_set_verify(cfg, on_verify, &o);
    tlsflow_conn *c = tlsflow_conn_new(cfg);
    assert_non_null(c);

    /* The ClientHello that went out is the RFC's. */
    tf_handshake *hs = c->hs;
    bytes ch = hx(CLIENT_HELLO), priv = hx(CLIENT_PRIVATE);
    tf_client_hello sent;
    const char *why = NULL;
    assert_int_equal(tf_client_hello_parse(ch.b + 4, ch.n - 4, &sent, &why), 0);
    tf_hello_info_record(c, &sent);
    assert_int_equal(tf_transcript_add(c, ch.b, ch.n), 0);
    memcpy(hs->client_random, sent.random, 32);
    assert_int_equal(sent.session_id.len, 0);
    hs->session_id_len = 0;
    hs->ccs_sent = 1; /* no compatibility mode: no dummy ChangeCipherSpec before Finished */
    hs->group = TLSFLOW_GROUP_X25519;
    script key = {priv.b, priv.n}; /* our share, made as tf13_client_offer makes it */
    assert_int_equal(tf_ecdhe_keygen(hs->group, scripted, &key, hs->kx_priv, &hs->kx_priv_len,
                                     hs->kx_pub, &hs->kx_pub_len, NULL),
                     0);
    expect_rfc("our key share", hs->kx_pub, hs->kx_pub_len, CLIENT_PUBLIC);
    hs->step = 1; /* the ServerHello is next */
    c->started = 1;

    feed(c, plain_record(TF_CT_HANDSHAKE, SERVER_HELLO));
    assert_int_equal(tlsflow_poll(c), TLSFLOW_NEED_INPUT);
    assert_int_equal(tlsflow_last_error(c), 0);
    expect_keylog(&o, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", C_HS_TRAFFIC);
    expect_keylog(&o, "SERVER_HANDSHAKE_TRAFFIC_SECRET", S_HS_TRAFFIC);

    feed(c, hx(REC_SERVER_FLIGHT));
    tlsflow_event ev = tlsflow_poll(c);
    if (ev != TLSFLOW_OUTPUT_READY || tlsflow_last_error(c) != 0)
        fail_msg("the RFC's server flight: event %d, error %s: %s", ev,
                 tlsflow_error_name(tlsflow_last_error(c)), tlsflow_last_error_text(c));
    expect_queued(c, "client handshake record (Finished)", REC_CLIENT_FINISHED);
    assert_int_equal(tlsflow_poll(c), TLSFLOW_HANDSHAKE_DONE);
    assert_int_equal(o.verify_calls, 1);
    print_message("engine verdict on the RFC's certificate for \"server\": %s (overruled)\n",
                  tlsflow_error_name(o.verdict));
    expect_keylog(&o, "CLIENT_TRAFFIC_SECRET_0", C_AP_TRAFFIC);
    expect_keylog(&o, "SERVER_TRAFFIC_SECRET_0", S_AP_TRAFFIC);
    expect_keylog(&o, "EXPORTER_SECRET", EXPORTER_MASTER);
    assert_int_equal(o.n, 5);
    const tlsflow_info *info = tlsflow_get_info(c);
    assert_int_equal(info->version, TLSFLOW_VERSION_TLS13);
    assert_int_equal(info->cipher_suite, TLSFLOW_AES_128_GCM_SHA256);
    assert_int_equal(info->group, TLSFLOW_GROUP_X25519);
    assert_int_equal(info->signature_scheme, TLSFLOW_SIG_RSA_PSS_RSAE_SHA256);

    /* After the handshake: the ticket, data both ways, close_notify both ways. */
    feed(c, hx(REC_TICKET));
    assert_int_equal(tlsflow_poll(c), TLSFLOW_NEED_INPUT);
    assert_int_equal(o.tickets, 1);
    bytes nst = hx(NEW_SESSION_TICKET);
    assert_int_equal(o.ticket_len, nst.n - 4);
    expect_same("NewSessionTicket body handed to the ticket callback", o.ticket, nst.b + 4,
                o.ticket_len);

    uint8_t app[50];
    app_payload(app);
    assert_int_equal(tlsflow_app_write(c, app, sizeof(app)), sizeof(app));
    assert_int_equal(tlsflow_poll(c), TLSFLOW_OUTPUT_READY);
    expect_queued(c, "client application data record", REC_CLIENT_DATA);

    feed(c, hx(REC_SERVER_DATA));
    assert_int_equal(tlsflow_poll(c), TLSFLOW_APP_DATA);
    size_t n;
    const uint8_t *got = tlsflow_app_peek(c, &n);
    assert_int_equal(n, sizeof(app));
    expect_same("server application data, decrypted by our client", got, app, n);
    tlsflow_app_consume(c, n);

    /* The server's close_notify (the RFC's client sends its own first; once ours is out,
     * the engine reads no more, so the order is turned round): read, and answered with
     * the RFC's client alert record. */
    feed(c, hx(REC_SERVER_ALERT));
    assert_int_equal(tlsflow_poll(c), TLSFLOW_OUTPUT_READY);
    expect_queued(c, "client alert record (close_notify)", REC_CLIENT_ALERT);
    assert_int_equal(tlsflow_poll(c), TLSFLOW_CLOSED);
    assert_int_equal(tlsflow_last_error(c), 0);
    assert_int_equal(tlsflow_peer_alert(c), TLSFLOW_ALERT_CLOSE_NOTIFY);
    tlsflow_conn_free(c);
    tlsflow_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x25519),        cmocka_unit_test(test_key_schedule),
        cmocka_unit_test(test_records_open),  cmocka_unit_test(test_server_records),
        cmocka_unit_test(test_client_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
