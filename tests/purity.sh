#!/bin/sh
# Fails if the engine library references any I/O, clock, stdio or thread symbol.
lib="$1"
[ -f "$lib" ] || { echo "purity: no library at '$lib'"; exit 2; }
forbidden="socket connect accept bind listen send recv sendto recvfrom read write open fopen
close time gettimeofday clock_gettime getrandom printf fprintf puts perror pthread_create
sleep usleep getenv secure_getenv"
undef=$(nm -u "$lib" | awk '{print $NF}' | sed 's/@.*//' | sort -u)
[ -n "$undef" ] || { echo "purity: nm -u printed nothing for $lib"; exit 2; }
bad=0
for sym in $forbidden; do
    if printf '%s\n' "$undef" | grep -qx "$sym"; then
        echo "purity: $lib references forbidden symbol '$sym'"
        bad=1
    fi
done
[ $bad -eq 0 ] && echo "purity: $(printf '%s\n' "$undef" | wc -l) undefined symbols, none forbidden"
exit $bad
