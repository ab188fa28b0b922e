"""Helpers for the tlsflow-client tests: openssl s_server as a peer (on a free loopback
port with stdin held open, its stdout and stderr in files, killed by its own PID), pins
computed by openssl, and the checks of command lines the client must refuse."""
import os
import re
import subprocess
import tempfile

from tfsock import CLIENT, check, free_port, run, text, wait_port, wait_until

FIXTURES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "fixtures"))


def fixture(name):
    return os.path.join(FIXTURES, name)


class SServer:
    """openssl s_server -accept 127.0.0.1:PORT plus args; retries if the port was taken."""

    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="tfsserver-")
        self.out_path = os.path.join(self.dir, "stdout")
        self.err_path = os.path.join(self.dir, "stderr")
        for _ in range(5):
            self.port = free_port()
            self.proc = subprocess.Popen(
                ["openssl", "s_server", "-accept", f"127.0.0.1:{self.port}", *args],
                stdin=subprocess.PIPE, stdout=open(self.out_path, "w"),
                stderr=open(self.err_path, "w"))
            if wait_port(self.port, timeout=10):
                return
            self.stop()
        raise RuntimeError("openssl s_server did not start: " + " ".join(args))

    def output(self):
        """What it printed so far, stdout then stderr."""
        with open(self.out_path) as o, open(self.err_path) as e:
            return o.read() + e.read()

    def wait_for(self, pattern, timeout=10):
        """Wait until its output matches the regular expression (s_server stays in its
        accept loop); returns the match or None."""
        wait_until(lambda: re.search(pattern, self.output()), timeout=timeout)
        return re.search(pattern, self.output())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()  # our own child, by its PID
        self.proc.wait(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def spki_pin(cert_pem):
    """curl's pin for a certificate, computed by openssl: sha256// + base64 of the SHA-256
    of its SubjectPublicKeyInfo (DER)."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_pem, "-pubkey", "-noout"],
                         capture_output=True, check=True, timeout=20).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         capture_output=True, check=True, timeout=20).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der,
                            capture_output=True, check=True, timeout=20).stdout
    b64 = subprocess.run(["base64"], input=digest, capture_output=True, check=True,
                         timeout=20).stdout
    return "sha256//" + b64.decode().strip()


def usage_errors(cases, ca):
    """Each (args, message): the client refuses it before connecting, exit 2."""
    for args, want in cases:
        r = run([CLIENT, "localhost:1", "--ca", ca, *args])
        check(r.returncode == 2 and want in text(r.stderr), f"{' '.join(args)} -> {want!r}",
              text(r.stderr))


def help_documents(*options):
    r = run([CLIENT, "--help"])
    check(r.returncode == 0 and all(o in text(r.stdout) for o in options),
          f"--help documents {', '.join(options)}")
