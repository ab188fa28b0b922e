#!/usr/bin/env bash
# Regenerates the seed corpus in corpus/<harness>/ and minimises it.
#
#   corpus/capture.sh              capture everything, then merge into the corpus
#   corpus/capture.sh --minimise   only re-minimise the existing corpus (after ci/fuzz-long)
#
# Seeds come from:
#   - our own engine: tlsflow_fuzz_seeds records whole conversations between our client and
#     our server with the harnesses' fixed random sources and time, so they replay with
#     valid Finished MACs (fuzz/fuzz_seeds.c);
#   - real clients: a listener on 127.0.0.1 keeps the first flight of openssl s_client,
#     curl, gnutls-cli, Python's ssl, NSS tstclnt, Java's JSSE and Chromium (they then
#     fail, as intended);
#   - real servers: openssl s_server and gnutls-serv get our engine's ClientHello and their
#     reply up to ServerHelloDone is kept; it verifies in fuzz_client as far as
#     ServerKeyExchange, since the ClientHello is the one the harness sends;
#   - certificates made here with openssl (chains under the fixture root, EC, wildcards).
# Then each corpus is minimised with libFuzzer's -merge=1 -use_counters=0 (edges, not hit
# counts, so the corpus stays a few hundred files; files named by SHA-1 of their content). Real-peer seeds are kept even when they add no coverage (corpus/SOURCES).
set -euo pipefail
cd "$(dirname "$0")/.."
minimise_only=0
[ "${1:-}" = "--minimise" ] && minimise_only=1
ci/deps
bin=$(ci/fuzz-build build-fuzz)
mapfile -t harnesses < <(ci/fuzz-harnesses)
raw=$(pwd)/build-fuzz/capture
rm -rf "$raw"
mkdir -p "$raw/ours" "$raw/peers" "$raw/tmp"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# capture_client NAME COMMAND...: COMMAND gets the port appended as $PORT in its words.
capture_client() {
    local name=$1
    shift
    local portfile=$raw/tmp/$name.port
    python3 corpus/peers.py listen "$portfile" "$raw/tmp/$name.bin" 10 &
    local listener=$!
    for _ in $(seq 100); do [ -s "$portfile" ] && break; sleep 0.05; done
    local port
    port=$(cat "$portfile")
    local cmd=("${@//\$PORT/$port}")
    timeout 10 "${cmd[@]}" </dev/null >/dev/null 2>&1 || true
    if wait "$listener" && [ -s "$raw/tmp/$name.bin" ]; then
        python3 corpus/peers.py seeds client "$name" "$raw/tmp/$name.bin" "$raw/peers"
        echo "capture: $name: $(wc -c <"$raw/tmp/$name.bin") bytes"
    else
        echo "capture: $name: nothing captured (skipped)"
    fi
}

# capture_server NAME COMMAND...: the server listens on $PORT; we send our ClientHello.
capture_server() {
    local name=$1
    shift
    local port
    port=$(free_port)
    local cmd=("${@//\$PORT/$port}")
    # A stdin that never ends: openssl s_server quits at EOF on its standard input.
    "${cmd[@]}" <"$raw/tmp/stdin" >"$raw/tmp/$name.log" 2>&1 &
    local server=$!
    pids+=("$server")
    if python3 corpus/peers.py talk "$port" "$raw/ours/peer/client_hello.rec" \
        "$raw/tmp/$name.bin" 10 && [ -s "$raw/tmp/$name.bin" ]; then
        python3 corpus/peers.py seeds server "$name" "$raw/tmp/$name.bin" "$raw/peers"
        echo "capture: $name: $(wc -c <"$raw/tmp/$name.bin") bytes"
    else
        echo "capture: $name: nothing captured (skipped)"
    fi
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
}

if [ $minimise_only -eq 0 ]; then
    cmake --build "$(dirname "$bin")" --target tlsflow_fuzz_seeds >/dev/null
    "$bin/tlsflow_fuzz_seeds" "$raw/ours"

    fx=tests/fixtures
    mkfifo "$raw/tmp/stdin"
    exec 3<>"$raw/tmp/stdin"
    capture_client openssl-s_client openssl s_client -connect '127.0.0.1:$PORT' -servername localhost
    capture_client openssl-s_client-tls12-alpn openssl s_client -connect '127.0.0.1:$PORT' \
        -servername localhost -tls1_2 -alpn h2,http/1.1
    capture_client curl curl -sk --max-time 5 --resolve 'localhost:$PORT:127.0.0.1' \
        'https://localhost:$PORT/'
    capture_client curl-tls12 curl -sk --max-time 5 --tls-max 1.2 \
        --resolve 'localhost:$PORT:127.0.0.1' 'https://localhost:$PORT/'
    capture_client gnutls-cli gnutls-cli --insecure --sni-hostname=localhost -p '$PORT' 127.0.0.1
    capture_client gnutls-cli-tls12 gnutls-cli --insecure --sni-hostname=localhost \
        --priority NORMAL:-VERS-TLS1.3 -p '$PORT' 127.0.0.1
    capture_client python-ssl python3 -c '
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["http/1.1"])
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
ctx.wrap_socket(s, server_hostname="localhost")' '$PORT'

    # NSS, Java's JSSE and Chromium: independent stacks of their own.
    if command -v tstclnt >/dev/null && command -v certutil >/dev/null; then
        mkdir -p "$raw/tmp/nssdb"
        certutil -N -d "sql:$raw/tmp/nssdb" --empty-password >/dev/null 2>&1 || true
        capture_client nss-tstclnt tstclnt -d "sql:$raw/tmp/nssdb" -h 127.0.0.1 -p '$PORT' \
            -a localhost -o
        capture_client nss-tstclnt-tls12 tstclnt -d "sql:$raw/tmp/nssdb" -h 127.0.0.1 \
            -p '$PORT' -a localhost -o -V tls1.2:tls1.2
    fi
    if command -v javac >/dev/null && command -v keytool >/dev/null; then
        mkdir -p "$raw/tmp/java"
        javac -d "$raw/tmp/java" tests/socket/java/TlsPeer.java
        rm -f "$raw/tmp/java/trust.p12"
        keytool -importcert -noprompt -alias ca -file $fx/ca.pem -storetype PKCS12 \
            -keystore "$raw/tmp/java/trust.p12" -storepass changeit >/dev/null 2>&1
        capture_client java-jsse java -cp "$raw/tmp/java" TlsPeer client --port '$PORT' \
            --servername localhost --truststore "$raw/tmp/java/trust.p12"
    fi
    command -v chromium >/dev/null && capture_client chromium chromium --headless --no-sandbox \
        --disable-gpu --user-data-dir="$raw/tmp/chromium" 'https://localhost:$PORT/'

    capture_server openssl-s_server-rsa openssl s_server -accept '127.0.0.1:$PORT' -naccept 1 \
        -tls1_2 -cipher AES128-GCM-SHA256 -cert $fx/server.pem -key $fx/server.key
    capture_server openssl-s_server-ecdhe openssl s_server -accept '127.0.0.1:$PORT' -naccept 1 \
        -tls1_2 -cert $fx/server.pem -key $fx/server.key
    [ -f $fx/server-ec.pem ] && capture_server openssl-s_server-ecdsa openssl s_server \
        -accept '127.0.0.1:$PORT' -naccept 1 -tls1_2 -cert $fx/server-ec.pem -key $fx/server-ec.key
    capture_server gnutls-serv-rsa gnutls-serv --x509certfile $fx/server.pem \
        --x509keyfile $fx/server.key -p '$PORT' --priority NORMAL:-KX-ALL:+RSA \
        --disable-client-cert
    capture_server gnutls-serv gnutls-serv --x509certfile $fx/server.pem \
        --x509keyfile $fx/server.key -p '$PORT' --priority NORMAL:-VERS-TLS1.3 \
        --disable-client-cert
    # gnutls-serv's default asks for a client certificate (CertificateRequest).
    capture_server gnutls-serv-certreq gnutls-serv --x509certfile $fx/server.pem \
        --x509keyfile $fx/server.key -p '$PORT' --priority NORMAL:-VERS-TLS1.3

    exec 3>&-

    # Certificates beyond the fixtures: a chain through an intermediate under the fixture
    # root, an EC leaf, wildcard and IP names, no SAN, a self-signed one.
    c=$raw/tmp/certs
    mkdir -p "$c"
    (
        cd "$c"
        exec >/dev/null 2>&1
        printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
        printf 'subjectAltName=DNS:*.example.com,DNS:localhost,IP:10.0.0.1\nbasicConstraints=CA:FALSE\n' >leaf.ext
        printf 'basicConstraints=CA:FALSE\n' >nosan.ext
        openssl req -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj "/CN=tlsflow intermediate"
        openssl x509 -req -in int.csr -CA "$OLDPWD/$fx/ca.pem" -CAkey "$OLDPWD/$fx/ca.key" \
            -set_serial 100 -days 3650 -extfile ca.ext -out int.pem
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout leaf.key \
            -out leaf.csr -subj "/CN=www.example.com"
        openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -set_serial 101 -days 3650 \
            -extfile leaf.ext -out leaf.pem
        openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -set_serial 102 -days 3650 \
            -extfile nosan.ext -out nosan.pem
        openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 3650 \
            -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost"
        for f in int leaf nosan self; do openssl x509 -in $f.pem -outform der -out $f.der; done
        openssl x509 -in "$OLDPWD/$fx/ca.pem" -outform der -out root.der
    ) || echo "capture: certificate generation failed (skipped)"
    if [ -f "$c/self.der" ]; then
        python3 corpus/peers.py chain "$raw/peers" chain www.example.com "$c/leaf.der" "$c/int.der"
        python3 corpus/peers.py chain "$raw/peers" chain-root 10.0.0.1 "$c/leaf.der" "$c/int.der" \
            "$c/root.der"
        python3 corpus/peers.py chain "$raw/peers" no-san localhost "$c/nosan.der" "$c/int.der"
        python3 corpus/peers.py chain "$raw/peers" self-signed localhost "$c/self.der"
        python3 corpus/peers.py chain "$raw/peers" wrong-order www.example.com "$c/int.der" \
            "$c/leaf.der"
    fi
fi

# Minimise: the existing corpus plus the new seeds, merged into a fresh directory.
# corpus/SOURCES lists files kept whatever their coverage, as "harness/sha1 label": real
# peers' seeds (label peer-* or cert-*, replaced by a new capture) and reproducers of fixed
# findings (any other label, e.g. "regression-<commit>": kept for good; add them by hand).
sources=corpus/SOURCES
[ -f $sources ] || : >$sources
: >"$raw/SOURCES"
total=0
for h in "${harnesses[@]}"; do
    fresh=$raw/merged/$h
    mkdir -p "$fresh" "corpus/$h"
    inputs=("corpus/$h")
    for d in "$raw/ours/$h" "$raw/peers/$h"; do [ -d "$d" ] && inputs+=("$d"); done
    "$bin/fuzz_$h" -merge=1 -use_counters=0 -timeout=20 -rss_limit_mb=2560 "$fresh" "${inputs[@]}" \
        >"$raw/merge-$h.log" 2>&1 || { echo "capture: merge of $h failed, see $raw/merge-$h.log"; exit 1; }
    while read -r key what; do
        f=corpus/$key
        [ "${key%%/*}" = "$h" ] && [ -f "$f" ] || continue
        case $what in
        peer-* | cert-*) [ $minimise_only -eq 1 ] || continue ;;
        esac
        cp "$f" "$fresh/"
        echo "$key $what" >>"$raw/SOURCES"
    done <$sources
    if [ $minimise_only -eq 0 ] && [ -d "$raw/peers/$h" ]; then
        for f in "$raw/peers/$h"/*; do
            sha=$(sha1sum "$f" | cut -c1-40)
            cp "$f" "$fresh/$sha"
            echo "$h/$sha $(basename "$f")" >>"$raw/SOURCES"
        done
    fi
    rm -rf "corpus/$h"
    mkdir -p "corpus/$h"
    # Name every file by the SHA-1 of its content.
    for f in "$fresh"/*; do
        [ -f "$f" ] && cp "$f" "corpus/$h/$(sha1sum "$f" | cut -c1-40)"
    done
    n=$(find "corpus/$h" -type f | wc -l)
    total=$((total + n))
    printf 'capture: %-22s %4d files\n' "$h" "$n"
done
sort -u "$raw/SOURCES" >$sources
echo "capture: $total files in corpus/ ($(wc -l <$sources) kept regardless of coverage, listed in $sources)"
