# Which RSA private-key path does one run of marvin_timing take? (ci/marvin)
# sp_invmod is the blinding inverse of wolfCrypt's generic RSA path (rsa.c, with
# WC_RSA_BLINDING: rnd, rndi = 1/rnd mod n); sp_RsaPrivate_2048 is the SP code path
# (WOLFSSL_HAVE_SP_RSA), which takes no random number generator.
set pagination off
set confirm off
set breakpoint pending on
set $dec = 0
set $inv = 0
set $sprsa = 0
break wc_RsaPrivateDecrypt
commands
silent
set $dec = $dec + 1
continue
end
break sp_invmod
commands
silent
set $inv = $inv + 1
continue
end
break sp_RsaPrivate_2048
commands
silent
set $sprsa = $sprsa + 1
continue
end
run
printf "rsa-path: wc_RsaPrivateDecrypt=%d sp_invmod=%d sp_RsaPrivate_2048=%d\n", $dec, $inv, $sprsa
quit
