# cmake --install rules of the library (included by the top-level CMakeLists.txt):
#   lib/libtlsflow.a, lib/libtlsflow.so.<ABI> (+ .so.<version>, .so), include/tlsflow/*.h,
#   lib/pkgconfig/tlsflow.pc, lib/cmake/tlsflow/ (config, version, exported targets).
# Components: "runtime" (the versioned .so, the programs), "development" (everything else).
# The programs' own rules are in server/CMakeLists.txt.
include(CMakePackageConfigHelpers)

set(TLSFLOW_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/tlsflow
    CACHE STRING "Where the CMake package of tlsflow is installed (under the prefix)")

set(_tf_install_targets tlsflow)
if(TARGET tlsflow_shared)
  list(APPEND _tf_install_targets tlsflow_shared)
endif()
install(TARGETS ${_tf_install_targets} EXPORT tlsflowTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime
                NAMELINK_COMPONENT development)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT development FILES_MATCHING PATTERN "*.h")

# How a consumer gets wolfSSL, which the static library needs at link time (the shared
# one links it itself). Debian's package: through pkg-config, in the .pc file as
# Requires.private and in the CMake package as a pkg-config lookup. The fast static
# wolfSSL of ci/wolfssl-fast (TLSFLOW_FAST_WOLFCRYPT): it is linked into libtlsflow.so
# (its symbols stay local, cmake/tlsflow.map); a static consumer links that same
# libwolfssl.a from where ci/wolfssl-fast built it, never the system's.
if(TLSFLOW_FAST_WOLFCRYPT)
  get_target_property(_tf_wolfssl_a PkgConfig::WOLFSSL IMPORTED_LOCATION)
  set(TLSFLOW_PC_REQUIRES_PRIVATE "")
  set(TLSFLOW_PC_LIBS_PRIVATE "${_tf_wolfssl_a} -lm -pthread")
  set(TLSFLOW_CONFIG_WOLFSSL_A "${_tf_wolfssl_a}")
else()
  set(TLSFLOW_PC_REQUIRES_PRIVATE "wolfssl")
  # libtlsflow.a needs nothing beyond wolfSSL and libc (nm -u shows only wc_*/wolfSSL_*
  # and C library functions), so no Libs.private of its own.
  set(TLSFLOW_PC_LIBS_PRIVATE "")
  set(TLSFLOW_CONFIG_WOLFSSL_A "")
endif()

# tlsflow.pc is written at install time, so that its paths are those of the prefix given
# then (cmake --install <build> --prefix <dir>), not of CMAKE_INSTALL_PREFIX at configure.
install(CODE "set(TF_PC_IN [[${PROJECT_SOURCE_DIR}/cmake/tlsflow.pc.in]])
set(TF_PC_OUT [[${CMAKE_CURRENT_BINARY_DIR}/pkgconfig/tlsflow.pc]])
set(TF_LIBDIR [[${CMAKE_INSTALL_LIBDIR}]])
set(TF_INCLUDEDIR [[${CMAKE_INSTALL_INCLUDEDIR}]])
set(TF_VERSION [[${PROJECT_VERSION}]])
set(TF_REQUIRES_PRIVATE [[${TLSFLOW_PC_REQUIRES_PRIVATE}]])
set(TF_LIBS_PRIVATE [[${TLSFLOW_PC_LIBS_PRIVATE}]])
include([[${PROJECT_SOURCE_DIR}/cmake/TlsflowPkgConfig.cmake]])"
        COMPONENT development)

# The CMake package: find_package(tlsflow) -> tlsflow::tlsflow (see tlsflowConfig.cmake.in).
install(EXPORT tlsflowTargets NAMESPACE tlsflow:: DESTINATION ${TLSFLOW_INSTALL_CMAKEDIR}
        COMPONENT development)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tlsflowConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/tlsflowConfig.cmake
                              INSTALL_DESTINATION ${TLSFLOW_INSTALL_CMAKEDIR})
# 0.x releases share ABI version 0 (libtlsflow.so.0): any 0.y satisfies a request for 0.x
# with y >= x; the SONAME and this rule change together.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tlsflowConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tlsflowConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/tlsflowConfigVersion.cmake
        DESTINATION ${TLSFLOW_INSTALL_CMAKEDIR} COMPONENT development)
