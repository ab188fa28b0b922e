# TLSFLOW_FAST_WOLFCRYPT=ON: build (once) and use the fast wolfSSL of ci/wolfssl-fast,
# Debian's own 5.5.4 source with the x86-64 assembly paths, as the target the rest of
# the build links, PkgConfig::WOLFSSL. It is a static library with its own headers; the
# system's libwolfssl.so.35 has a different struct layout, so the two must never mix:
# nothing here adds the system include or library directory.
set(TLSFLOW_WOLFSSL_FAST_DIR "${PROJECT_SOURCE_DIR}/build-wolfssl-fast"
    CACHE PATH "Where ci/wolfssl-fast builds the fast wolfSSL (shared by build trees)")
set(_wf_prefix "${TLSFLOW_WOLFSSL_FAST_DIR}/prefix")

execute_process(COMMAND "${PROJECT_SOURCE_DIR}/ci/wolfssl-fast" "${TLSFLOW_WOLFSSL_FAST_DIR}"
                RESULT_VARIABLE _wf_rc)
if(NOT _wf_rc EQUAL 0 OR NOT EXISTS "${_wf_prefix}/lib/libwolfssl.a"
   OR NOT EXISTS "${_wf_prefix}/include/wolfssl/options.h")
  message(FATAL_ERROR "ci/wolfssl-fast failed (${_wf_rc}); see ${TLSFLOW_WOLFSSL_FAST_DIR}/*.log")
endif()

# What libwolfssl.a itself needs at link time (wolfssl.pc's Libs.private, if any).
set(_wf_private m)
file(STRINGS "${_wf_prefix}/lib/pkgconfig/wolfssl.pc" _wf_pc REGEX "^Libs.private:")
if(_wf_pc)
  string(REGEX REPLACE "^Libs.private:[ ]*" "" _wf_pc "${_wf_pc}")
  separate_arguments(_wf_pc UNIX_COMMAND "${_wf_pc}")
  foreach(_l IN LISTS _wf_pc)
    string(REGEX REPLACE "^-l" "" _l "${_l}")
    list(APPEND _wf_private "${_l}")
  endforeach()
endif()
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)

add_library(PkgConfig::WOLFSSL STATIC IMPORTED GLOBAL)
set_target_properties(PkgConfig::WOLFSSL PROPERTIES
  IMPORTED_LOCATION "${_wf_prefix}/lib/libwolfssl.a"
  INTERFACE_INCLUDE_DIRECTORIES "${_wf_prefix}/include"
  INTERFACE_LINK_LIBRARIES "${_wf_private};Threads::Threads")
# libwolfssl.a defines a few OpenSSL-named symbols (SSL_COMP_get_compression_methods,
# SSL_SESSION_set1_id...). Keep them out of the executable's dynamic symbol table, or
# they would interpose on libssl's own calls in programs that link OpenSSL too (the
# interop tests, the benchmarks).
set_property(TARGET PkgConfig::WOLFSSL APPEND PROPERTY
  INTERFACE_LINK_OPTIONS "LINKER:--exclude-libs,libwolfssl.a")
message(STATUS "wolfSSL: fast static build in ${_wf_prefix}")
