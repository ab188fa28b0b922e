#!/usr/bin/env bash
# The install test: cmake --install of this build tree into a temporary prefix, then the
# consumer program (consumer/) built against that prefix only, four ways: pkg-config and
# find_package(tlsflow), each with the shared and with the static library. Each program
# runs a handshake between a client and a server configuration made from the fixtures and
# exchanges a message each way; ldd shows which libtlsflow it really loaded.
#
#   install_test.sh BUILD_DIR LIBDIR FIXTURES CC VERSION SOVERSION WITH_PROGRAMS [CFLAGS]
#
# CFLAGS are added to every consumer compile and link: a sanitized build installs
# sanitized libraries, and its consumers must link the sanitizer runtimes the same way.
set -euo pipefail
[ $# -ge 7 ] || { echo "usage: $0 BUILD LIBDIR FIXTURES CC VERSION SOVERSION WITH_PROGRAMS [CFLAGS]" >&2; exit 2; }
build=$1 libdir=$2 fixtures=$3 cc=$4 version=$5 soversion=$6 with_programs=$7
read -r -a extra <<<"${8:-}"
here=$(cd "$(dirname "$0")" && pwd)
cmake=${CMAKE_COMMAND:-cmake}

work=$(mktemp -d "${TMPDIR:-/tmp}/tlsflow-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
lib=$prefix/$libdir
fail() { echo "install_test: FAIL: $*" >&2; exit 1; }
note() { echo "install_test: $*"; }

# ---- 1. install ------------------------------------------------------------------------
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" || {
    cat "$work/install.log" >&2; fail "cmake --install"; }
expect=("$lib/libtlsflow.a" "$lib/libtlsflow.so" "$lib/libtlsflow.so.$soversion"
        "$lib/libtlsflow.so.$version" "$prefix/include/tlsflow/tlsflow.h"
        "$lib/pkgconfig/tlsflow.pc" "$lib/cmake/tlsflow/tlsflowConfig.cmake"
        "$lib/cmake/tlsflow/tlsflowConfigVersion.cmake" "$lib/cmake/tlsflow/tlsflowTargets.cmake")
[ "$with_programs" = 1 ] && expect+=("$prefix/bin/tlsflow-server" "$prefix/bin/tlsflow-client")
for f in "${expect[@]}"; do
    [ -e "$f" ] || fail "not installed: ${f#"$prefix"/}"
done
[ "$(readlink "$lib/libtlsflow.so")" = "libtlsflow.so.$soversion" ] || fail "libtlsflow.so link"
[ "$(readlink "$lib/libtlsflow.so.$soversion")" = "libtlsflow.so.$version" ] ||
    fail "libtlsflow.so.$soversion link"
soname=$(readelf -d "$lib/libtlsflow.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libtlsflow.so.$soversion" ] || fail "SONAME is '$soname'"
if [ "$with_programs" = 1 ]; then
    "$prefix/bin/tlsflow-server" --help >/dev/null 2>&1 || fail "installed tlsflow-server --help"
    "$prefix/bin/tlsflow-client" --help >/dev/null 2>&1 || fail "installed tlsflow-client --help"
fi
note "installed $(find "$prefix" -type f -o -type l | wc -l) files; SONAME $soname"

# run NAME KIND EXE: runs the consumer and checks which libtlsflow it loaded.
run() {
    local name=$1 kind=$2 exe=$3 out deps syms
    out=$("$exe" "$fixtures" rsa) || fail "$name: consumer (rsa) failed"
    "$exe" "$fixtures" ec >/dev/null || fail "$name: consumer (ec) failed"
    deps=$(ldd "$exe")
    if [ "$kind" = shared ]; then
        grep -q "libtlsflow.so.$soversion => $lib/libtlsflow.so.$soversion " <<<"$deps" ||
            { echo "$deps" >&2; fail "$name: does not load $lib/libtlsflow.so.$soversion"; }
    else
        ! grep -q libtlsflow <<<"$deps" || { echo "$deps" >&2; fail "$name: loads a libtlsflow.so"; }
        syms=$(nm "$exe")  # (not nm | grep -q: with pipefail, grep's early exit fails nm)
        grep -q " T tlsflow_poll$" <<<"$syms" || fail "$name: tlsflow_poll not linked in"
    fi
    note "$name: $out"
}

# ---- 2. pkg-config ------------------------------------------------------------------------
export PKG_CONFIG_PATH=$lib/pkgconfig
[ "$(pkg-config --modversion tlsflow)" = "$version" ] || fail "pkg-config --modversion tlsflow"
pkg-config --print-requires-private tlsflow >"$work/requires.txt"
note "tlsflow.pc: Requires.private: $(tr '\n' ' ' <"$work/requires.txt")"
read -r -a pc_cflags <<<"$(pkg-config --cflags tlsflow)"
read -r -a pc_libs <<<"$(pkg-config --libs tlsflow)"
# Static: the archive by name, and what it needs (--static adds Requires.private and
# Libs.private).
read -r -a pc_static <<<"$(pkg-config --static --libs tlsflow | sed 's/-ltlsflow\b/-l:libtlsflow.a/')"
src=$here/consumer/consumer.c
"$cc" -std=c11 -Wall -Wextra -Werror "${extra[@]}" "${pc_cflags[@]}" "$src" -o "$work/pc-shared" \
    "${pc_libs[@]}" "-Wl,-rpath,$lib" || fail "pkg-config shared: compile"
"$cc" -std=c11 -Wall -Wextra -Werror "${extra[@]}" "${pc_cflags[@]}" "$src" -o "$work/pc-static" \
    "${pc_static[@]}" || fail "pkg-config static: compile"
run "pkg-config, shared" shared "$work/pc-shared"
run "pkg-config, static" static "$work/pc-static"
unset PKG_CONFIG_PATH

# ---- 3. find_package(tlsflow) ---------------------------------------------------------------
for kind in shared static; do
    bdir=$work/cmake-$kind
    static=OFF
    [ "$kind" = static ] && static=ON
    "$cmake" -S "$here/consumer" -B "$bdir" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_C_FLAGS="${extra[*]:-}" -DCMAKE_EXE_LINKER_FLAGS="${extra[*]:-}" \
        -DTLSFLOW_STATIC=$static >"$bdir.log" 2>&1 || { cat "$bdir.log" >&2; fail "cmake $kind: configure"; }
    grep -q "tlsflow $version from $lib/cmake/tlsflow" "$bdir.log" ||
        { cat "$bdir.log" >&2; fail "cmake $kind: find_package did not use $lib/cmake/tlsflow"; }
    "$cmake" --build "$bdir" >>"$bdir.log" 2>&1 || { cat "$bdir.log" >&2; fail "cmake $kind: build"; }
    run "find_package, $kind" "$kind" "$bdir/consumer"
done
note "ok"
