/*
 * Force-included (-include) into every core source of the shared library, which is
 * compiled with -fvisibility=hidden. The public header is read first, between these
 * pragmas, so each function it declares keeps default visibility and is exported; every
 * other function (the internal tf_* modules) is hidden. Later #includes of tlsflow.h
 * are no-ops (include guard), so the header itself carries no visibility macro.
 * cmake/tlsflow.map then lets only tlsflow_* into the dynamic symbol table.
 */
#pragma GCC visibility push(default)
#include <tlsflow/tlsflow.h>
#pragma GCC visibility pop
