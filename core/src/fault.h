/* Fault injection, for fuzzing builds only (-DTLSFLOW_FAULT_INJECTION): TF_WC(call) is
 * the wolfCrypt call, or MEMORY_E without making it when the countdown a harness armed
 * reaches zero; TF_ALLOC(call) the same for an allocation (NULL). The engine's answer to
 * a failing primitive or a missing byte of memory is then exercised like any other input.
 * In every other build both are the call itself. */
#ifndef TLSFLOW_FAULT_H
#define TLSFLOW_FAULT_H

#ifdef TLSFLOW_FAULT_INJECTION
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

/* Calls to go until one fails (0: none fails); set by the harness, one thread only. */
extern unsigned long tf_fault_countdown;
/* Set once the armed failure happened. */
extern int tf_fault_fired;
/* Counts this call; 1 when it is the one to fail. */
int tf_fault_now(void);

#define TF_WC(call)    (tf_fault_now() ? MEMORY_E : (call))
#define TF_ALLOC(call) (tf_fault_now() ? NULL : (call))
#else
#define TF_WC(call)    (call)
#define TF_ALLOC(call) (call)
#endif

#endif
