"""CA constraints end to end: openssl s_server presents chains that OpenSSL itself made
and refuses (a CA below a pathLenConstraint of 0; a leaf outside its issuer's
nameConstraints), and our client must refuse them too, naming the reason; the chain
that keeps inside the constraints must pass. openssl s_client judges the same chains."""
import os
import subprocess
import tempfile

from tfsock import CLIENT, check, finish, free_port, run, text, wait_port

tmp = tempfile.mkdtemp(prefix="tfconstraints-")
CA_EXT = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
LEAF_EXT = ("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\n")


def path(name, ext):
    return os.path.join(tmp, f"{name}.{ext}")


def issue(name, issuer, serial, ext):
    """A P-256 key and a certificate for it, signed by issuer (None: self-signed)."""
    run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
         path(name, "key")])
    with open(path(name, "ext"), "w") as f:
        f.write(ext)
    run(["openssl", "req", "-new", "-key", path(name, "key"), "-subj", f"/CN=constraints {name}",
         "-out", path(name, "csr")])
    sign = (["-signkey", path(name, "key")] if issuer is None else
            ["-CA", path(issuer, "pem"), "-CAkey", path(issuer, "key")])
    r = run(["openssl", "x509", "-req", "-in", path(name, "csr"), *sign, "-set_serial",
             str(serial), "-days", "30", "-extfile", path(name, "ext"), "-out", path(name, "pem")])
    check(r.returncode == 0, f"openssl issued {name}", text(r.stderr)[-300:])


def chain_file(name, parts):
    with open(path(name, "pem"), "w") as f:
        for p in parts:
            f.write(open(path(p, "pem")).read())
    return path(name, "pem")


issue("root", None, 1, CA_EXT)
issue("i0", "root", 2, "basicConstraints=critical,CA:TRUE,pathlen:0\n"
      "keyUsage=critical,keyCertSign\n")
issue("i1", "i0", 3, CA_EXT)
issue("deep", "i1", 4, LEAF_EXT + "subjectAltName=DNS:www.example.com\n")
issue("nc", "root", 5, CA_EXT + "nameConstraints=critical,permitted;DNS:.example.com\n")
issue("nc-in", "nc", 6, LEAF_EXT + "subjectAltName=DNS:www.example.com\n")
issue("nc-out", "nc", 7, LEAF_EXT + "subjectAltName=DNS:www.example.com,DNS:www.other.test\n")
issue("ncip", "root", 8, CA_EXT + "nameConstraints=critical,permitted;IP:10.0.0.0/255.0.0.0\n")
issue("ncip-out", "ncip", 9, LEAF_EXT + "subjectAltName=IP:192.168.1.1\n")

DNS = "www.example.com"
CASES = [
    # (leaf, chain sent after it, host, our expected failure or None, what it shows)
    ("deep", ["i1", "i0"], DNS, "pathLenConstraint", "a CA below pathlen:0"),
    ("nc-out", ["nc"], DNS, "nameConstraints", "a name outside the permitted subtree"),
    ("nc-in", ["nc"], DNS, None, "names inside the permitted subtree"),
    ("ncip-out", ["ncip"], "192.168.1.1", "iPAddress", "an address outside the permitted range"),
]

for leaf, parts, host, reason, what in CASES:
    chain = chain_file(f"{leaf}-chain", parts)
    for _ in range(5):
        port = free_port()
        p = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-tls1_2",
                              "-cert", path(leaf, "pem"), "-key", path(leaf, "key"),
                              "-cert_chain", chain, "-www"],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        if wait_port(port, timeout=10):
            break
        p.kill()
        p.wait(timeout=5)
    try:
        r = run([CLIENT, f"127.0.0.1:{port}", "--ca", path("root", "pem"), "--servername",
                 host, "--get", "/"])
        err = text(r.stderr)
        if reason is None:
            check(r.returncode == 0 and "handshake done" in err, f"client accepts {what}",
                  err[-500:])
        else:
            check(r.returncode == 1 and "TLSFLOW_E_CERT_BAD" in err and reason in err,
                  f"client refuses {what}, naming {reason}", err[-500:])
        name = (["-servername", host, "-verify_hostname", host] if host == DNS else
                ["-verify_ip", host])
        o = run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2", *name,
                 "-CAfile", path("root", "pem"), "-verify_return_error"], input=b"")
        check((o.returncode == 0) == (reason is None),
              f"openssl s_client agrees on {what}", text(o.stdout)[-300:] + text(o.stderr)[-300:])
    finally:
        p.kill()  # our own child, by its PID
        p.wait(timeout=5)
finish()
