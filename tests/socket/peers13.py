"""Independent TLS stacks as socket peers (issues 11 and 13): OpenSSL's s_server, GnuTLS's
gnutls-serv, NSS's selfserv/tstclnt and Java's JSSE (tests/socket/java/TlsPeer.java), with
their key stores made from our own PEM files in a temporary directory.

Every peer is our own child process on a loopback port (kernel-chosen where the program
allows it, else a free port probed first and retried), stopped by its PID; every wait
has a deadline. selfserv and gnutls-serv have no option to bind one address: they listen
on every interface, only for the seconds a case lasts, and are reached on 127.0.0.1."""
import os
import re
import shutil
import subprocess
import tempfile

from tfclient import SServer
from tfsock import check, failures, finish, free_port, run, text, wait_port, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "fixtures"))
JAVA_SOURCES = os.path.join(HERE, "java")
STORE_PASS = "changeit"  # TlsPeer.java's PKCS#12 password

TMP = tempfile.mkdtemp(prefix="tfpeers13-")


def fixture(name):
    """A file of tests/fixtures by name; an absolute path (a file made in TMP) as it is."""
    return name if os.path.isabs(name) else os.path.join(FIXTURES, name)


def tmp_path(name):
    return os.path.join(TMP, name)


def cleanup():
    shutil.rmtree(TMP, ignore_errors=True)


# ---- engine bugs: checks that fail today because of core/ (not ours to fix) ----------------

bugs = []


def engine_bug(cond, what, bug, detail=""):
    """A check that the engine fails today. While it fails it prints as BUG (visible, listed
    at the end, not a test failure); once it passes it is a FAIL that asks for the marker
    to go, so a fix cannot slip by unnoticed and the check becomes an ordinary one."""
    if cond:
        return check(False, f"{what}: passes now, so {bug!r} looks fixed: make this an "
                            "ordinary check (peers13.engine_bug -> check)")
    print(f"BUG  {what}\n     engine bug: {bug}", flush=True)
    if detail:
        print("     " + str(detail)[-1500:].replace("\n", "\n     "), flush=True)
    bugs.append(f"{what}: {bug}")
    return False


def run_groups(groups):
    """Each (name, programs it needs, function): a missing program or a peer that does not
    start fails that group, not the whole file; then the verdict and exit status."""
    for name, tools, cases in groups:
        print(f"== {name}", flush=True)
        if not have(*tools):
            check(False, f"{name}: {', '.join(tools)} installed (ci/deps)")
            continue
        try:
            cases()
        except Exception as e:
            check(False, f"{name}: peers started", repr(e))
    finish_all()


def finish_all():
    cleanup()
    if bugs:
        print(f"{len(bugs)} check(s) fail because of engine bugs (core/, reported, not fixed "
              "here):", *bugs, sep="\n  BUG ")
    finish()


# ---- peer processes ----------------------------------------------------------------------

class Peer(SServer):
    """A peer program in the background, its stdout and stderr in files, killed by PID
    (output, wait_for, stop and the with-block as tfclient.SServer).
    cmd may contain PORT, replaced by a free port (retried if the port gets taken meanwhile)
    that is then waited for; a program that picks its own ports instead passes
    started(output), true once it has printed that it listens."""

    def __init__(self, name, cmd, started=None, timeout=15):
        self.name = name
        self.out_path = tmp_path(f"{name}.out")
        self.err_path = tmp_path(f"{name}.err")
        for _ in range(1 if started else 5):
            self.port = None if started else free_port()
            args = [a.replace("PORT", str(self.port)) for a in cmd]
            self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                         stdout=open(self.out_path, "w"),
                                         stderr=open(self.err_path, "w"))
            if started:
                up = wait_until(lambda: started(self.output()) or self.proc.poll() is not None,
                                timeout=timeout) and started(self.output())
            else:
                up = wait_port(self.port, timeout)
            if up and self.proc.poll() is None:
                return
            self.stop()
        raise RuntimeError(f"{name} did not start: {' '.join(cmd)}\n{self.output()[-1500:]}")


def s_server(name, *args, cert="server.pem", key="server.key"):
    return Peer(name, ["openssl", "s_server", "-accept", "127.0.0.1:PORT", "-cert",
                       fixture(cert), "-key", fixture(key), *args])


def gnutls_serv(name, priority, *args, cert="server.pem", key="server.key"):
    return Peer(name, ["gnutls-serv", "--port", "PORT", "--x509certfile", fixture(cert),
                       "--x509keyfile", fixture(key), "--priority", priority, *args])


# ---- NSS ---------------------------------------------------------------------------------

def nss_db(name, trust=("ca.pem",), keys=()):
    """An NSS database in TMP/name: each trust file as a trusted CA, each (nickname, cert,
    key) imported through a PKCS#12 file (openssl pkcs12, then pk12util). Returns the
    "sql:DIR" argument for -d."""
    d = tmp_path(name)
    os.makedirs(d)
    steps = [["certutil", "-N", "-d", f"sql:{d}", "--empty-password"]]
    for i, ca in enumerate(trust):
        steps.append(["certutil", "-A", "-d", f"sql:{d}", "-n", f"ca{i}", "-t", "CT,C,C",
                      "-i", fixture(ca)])
    for nick, cert, key in keys:
        p12 = os.path.join(d, nick + ".p12")
        steps.append(["openssl", "pkcs12", "-export", "-in", fixture(cert), "-inkey",
                      fixture(key), "-name", nick, "-out", p12, "-passout", "pass:"])
        steps.append(["pk12util", "-i", p12, "-d", f"sql:{d}", "-W", ""])
    for cmd in steps:
        r = run(cmd)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: {text(r.stdout)}{text(r.stderr)}")
    return f"sql:{d}"


# ---- Java --------------------------------------------------------------------------------

_classes = None


def java_classes():
    """Compile tests/socket/java/*.java once per test run into TMP/classes."""
    global _classes
    if _classes is None:
        out = tmp_path("classes")
        srcs = sorted(os.path.join(JAVA_SOURCES, f) for f in os.listdir(JAVA_SOURCES)
                      if f.endswith(".java"))
        r = run(["javac", "-d", out, *srcs], timeout=90)
        if r.returncode != 0:
            raise RuntimeError("javac failed:\n" + text(r.stderr))
        _classes = out
    return _classes


def have(*programs):
    return all(shutil.which(p) for p in programs)


def java_keystore(name, cert, key):
    """A PKCS#12 key store (password changeit) with one key entry, made by openssl pkcs12
    from our PEM files and checked by keytool -list."""
    path = tmp_path(name + ".p12")
    for cmd in (["openssl", "pkcs12", "-export", "-in", fixture(cert), "-inkey", fixture(key),
                 "-name", name, "-out", path, "-passout", f"pass:{STORE_PASS}"],
                ["keytool", "-list", "-keystore", path, "-storetype", "PKCS12", "-storepass",
                 STORE_PASS]):
        r = run(cmd)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: {text(r.stdout)}{text(r.stderr)}")
    return path


def java_truststore(name="trust", ca="ca.pem"):
    """A PKCS#12 trust store with our CA, made by keytool -importcert."""
    path = tmp_path(name + ".p12")
    r = run(["keytool", "-importcert", "-noprompt", "-alias", "ca", "-file", fixture(ca),
             "-keystore", path, "-storetype", "PKCS12", "-storepass", STORE_PASS])
    if r.returncode != 0:
        raise RuntimeError("keytool -importcert: " + text(r.stdout) + text(r.stderr))
    return path


def jsse_server(name, keystore, listens, *opts, java_opts=()):
    """TlsPeer server with one listener per (NAME, PROTOCOLS, SUITES); returns the Peer
    and {NAME: port}."""
    cmd = ["java", *java_opts, "-cp", java_classes(), "TlsPeer", "server", "--keystore",
           keystore, *opts]
    for n, protocols, suites in listens:
        cmd += ["--listen", f"{n}:{protocols}:{suites}"]

    p = Peer(name, cmd, started=lambda out: re.search(r"^ready$", out, re.M), timeout=30)
    ports = {m.group(1): int(m.group(2))
             for m in re.finditer(r"^listening (\S+) (\d+)$", p.output(), re.M)}
    return p, ports


def jsse_client(port, truststore, *opts, java_opts=()):
    return run(["java", *java_opts, "-cp", java_classes(), "TlsPeer", "client", "--port",
                str(port), "--truststore", truststore, *opts], timeout=30)


__all__ = ["TMP", "Peer", "bugs", "check", "cleanup", "engine_bug", "failures", "finish_all",
           "fixture", "gnutls_serv", "have", "java_classes", "java_keystore", "java_truststore",
           "jsse_client", "jsse_server", "nss_db", "run", "run_groups", "s_server", "text",
           "tmp_path"]
