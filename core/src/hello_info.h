/* Recording a ClientHello into tlsflow_info. */
#ifndef TLSFLOW_HELLO_INFO_H
#define TLSFLOW_HELLO_INFO_H

#include "internal.h"
#include "msg.h"

/* Copy the hello's SNI into c->info and its lists (cut at TLSFLOW_INFO_LIST_MAX) into the
 * summary info.client_hello shows. */
void tf_hello_info_record(tlsflow_conn *c, const tf_client_hello *ch);

#endif
