#!/bin/bash -eu
# ClusterFuzzLite (and OSS-Fuzz) build of every harness in fuzz/, from the environment:
#   $CC, $CFLAGS          the compiler and the sanitizer/coverage flags the runner chose
#   $LIB_FUZZING_ENGINE   how to link the fuzzing engine (libFuzzer: -fsanitize=fuzzer)
#   $OUT                  where fuzz_<name>, its .dict and its _seed_corpus.zip go
#   $SRC, $WORK           sources (wolfSSL is taken from $SRC/wolfssl if present) and scratch
# Locally, for example (the system's wolfSSL; SRC=DIR with DIR/wolfssl unpacked from
# Debian's source package, as the Dockerfile does, builds that one):
#   CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
#   OUT=/tmp/cflout SRC=/work/main .clusterfuzzlite/build.sh
# Every harness of fuzz/CMakeLists.txt (ci/fuzz-harnesses) must land in $OUT: the script
# fails otherwise. The differential harnesses link OpenSSL statically (libssl-dev's .a).
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${WORK:-$(mktemp -d)}
mkdir -p "$OUT"
jobs=$(nproc)

# wolfSSL from source when the image fetched it: static, and instrumented like the engine,
# so coverage and sanitizers reach into certificate parsing; configured as Debian builds
# its package (debian/rules: --enable-distro --enable-pkcs11), the feature set the
# engine is tested with. Otherwise the system's.
if [ -d "${SRC:-/nonexistent}/wolfssl" ]; then
    prefix=$work/wolfssl-install
    (
        cd "$SRC/wolfssl"
        ./autogen.sh
        ./configure --prefix="$prefix" --enable-static --disable-shared --enable-distro \
            --enable-pkcs11 --disable-examples --disable-crypttests --disable-benchmark \
            CC="$CC" CFLAGS="$CFLAGS"
        make -j"$jobs"
        make install
    )
    # --enable-distro turns shared libraries back on; the runner has none of $WORK, so
    # only the static library may be linked.
    rm -f "$prefix"/lib/libwolfssl.so* "$prefix"/lib/libwolfssl.la
    # Its OpenSSL compatibility layer defines a few functions under OpenSSL's own names
    # (stubs such as SSL_SESSION_set1_id): linked statically beside libssl.a they clash.
    # Nothing in the engine calls them, so wolfSSL's copies are made local.
    ossl_syms() { nm -g --defined-only "$@" 2>/dev/null | awk 'NF == 3 && $2 ~ /[A-Z]/ {print $3}' | sort -u; }
    ossl_a=$("$CC" -print-file-name=libssl.a)
    crypto_a=$("$CC" -print-file-name=libcrypto.a)
    comm -12 <(ossl_syms "$prefix/lib/libwolfssl.a") <(ossl_syms "$ossl_a" "$crypto_a") \
        >"$work/wolfssl-clash.syms"
    if [ -s "$work/wolfssl-clash.syms" ]; then
        echo "build.sh: wolfSSL symbols made local: $(tr '\n' ' ' <"$work/wolfssl-clash.syms")"
        objcopy --localize-symbols="$work/wolfssl-clash.syms" "$prefix/lib/libwolfssl.a"
    fi
    export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
fi

# $CFLAGS already carries the instrumentation, so the project adds none of its own;
# warnings are not errors under flags we do not choose.
cmake -S "$repo" -B "$work/tlsflow" -DCMAKE_BUILD_TYPE= \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" \
    -DCMAKE_C_STANDARD_LIBRARIES="-lm -lpthread -ldl" -DOPENSSL_USE_STATIC_LIBS=TRUE \
    -DTLSFLOW_FUZZ=ON -DTLSFLOW_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
    -DTLSFLOW_FUZZ_INSTRUMENT= -DTLSFLOW_FUZZ_RUNTIME= -DTLSFLOW_WERROR=OFF \
    -DTLSFLOW_BUILD_TESTS=OFF -DTLSFLOW_BUILD_SERVER=OFF
cmake --build "$work/tlsflow" -j"$jobs"

for exe in "$work"/tlsflow/fuzz/fuzz_*; do
    [ -f "$exe" ] && [ -x "$exe" ] || continue
    name=$(basename "$exe")
    h=${name#fuzz_}
    cp "$exe" "$OUT/"
    cp "$repo/fuzz/tls.dict" "$OUT/$name.dict"
    if [ -d "$repo/corpus/$h" ] && [ -n "$(ls -A "$repo/corpus/$h")" ]; then
        rm -f "$OUT/${name}_seed_corpus.zip"
        (cd "$repo/corpus/$h" && zip -q -r "$OUT/${name}_seed_corpus.zip" .)
    fi
done
missing=()
for h in $("$repo/ci/fuzz-harnesses"); do
    [ -x "$OUT/fuzz_$h" ] || missing+=("fuzz_$h")
    # Nothing built here may be needed at run time (the runner only has $OUT).
    if ldd "$OUT/fuzz_$h" 2>/dev/null | grep -q "$work"; then
        missing+=("fuzz_$h (links a library of $work)")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "build.sh: not built: ${missing[*]}" >&2
    exit 1
fi
echo "build.sh: $(ls "$OUT"/fuzz_* | grep -cv '\.') fuzz targets in $OUT"
