#!/bin/bash -eu
# ClusterFuzzLite (and OSS-Fuzz) build of every harness in fuzz/, from the environment:
#   $CC, $CFLAGS          the compiler and the sanitizer/coverage flags the runner chose
#   $LIB_FUZZING_ENGINE   how to link the fuzzing engine (libFuzzer: -fsanitize=fuzzer)
#   $OUT                  where fuzz_<name>, its .dict and its _seed_corpus.zip go
#   $SRC, $WORK           sources (wolfSSL is taken from $SRC/wolfssl if present) and scratch
# Locally, for example:
#   CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
#   OUT=/tmp/cflout SRC=/work/main .clusterfuzzlite/build.sh
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${WORK:-$(mktemp -d)}
mkdir -p "$OUT"
jobs=$(nproc)

# wolfSSL from source when the image fetched it: static, and instrumented like the engine,
# so coverage and sanitizers reach into certificate parsing. Otherwise the system's.
if [ -d "${SRC:-/nonexistent}/wolfssl" ]; then
    prefix=$work/wolfssl-install
    (
        cd "$SRC/wolfssl"
        ./autogen.sh
        ./configure --prefix="$prefix" --enable-static --disable-shared --enable-all \
            --disable-examples --disable-crypttests --disable-benchmark CC="$CC" CFLAGS="$CFLAGS"
        make -j"$jobs"
        make install
    )
    export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
fi

# $CFLAGS already carries the instrumentation, so the project adds none of its own;
# warnings are not errors under flags we do not choose.
cmake -S "$repo" -B "$work/tlsflow" -DCMAKE_BUILD_TYPE= \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" \
    -DCMAKE_C_STANDARD_LIBRARIES="-lm -lpthread" \
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
echo "build.sh: $(ls "$OUT"/fuzz_* | grep -cv '\.') fuzz targets in $OUT"
