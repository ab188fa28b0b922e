"""A real browser: headless Chromium trusting the local CA through a private NSS
database (no flag that ignores certificate errors) loads the page over TLS 1.3 (the
default) and, on classic.localhost, over TLS 1.2 with RSA key transport, both drawn
from the same message table; from an ECDHE-only TLS 1.2 server with ECDHE; refuses a
scenario endpoint; and saves a screenshot of each of the two pages in the test's
temporary directory (printed). Chromium resolves *.localhost to loopback itself.
Skipped (exit 77) where chromium or certutil (libnss3-tools) is not installed."""
import os
import re
import shutil
import sys
import tempfile

from tfsock import CA, Server, check, finish, run, text

chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium or not shutil.which("certutil"):
    print("skip: needs chromium and certutil (libnss3-tools)")
    sys.exit(77)

home = tempfile.mkdtemp(prefix="tfbrowser-")
nssdb = os.path.join(home, ".pki", "nssdb")
os.makedirs(nssdb)
env = dict(os.environ, HOME=home)
run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], env=env)
run(["certutil", "-A", "-d", f"sql:{nssdb}", "-n", "tlsflow-test-ca", "-t", "C,,", "-i", CA],
    env=env)


def browse(url, *what):
    r = run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={os.path.join(home, 'profile')}",
             *what, url], env=env, timeout=60)
    return text(r.stdout)


def dump(url):
    return browse(url, "--dump-dom")


def shoot(url, name):
    shot = os.path.join(home, name)
    browse(url, f"--screenshot={shot}", "--window-size=1200,2400")
    ok = os.path.exists(shot) and os.path.getsize(shot) > 10000
    check(ok, f"chromium saved a screenshot of {url}: {shot}", shot)
    return shot


def rows(dom):
    """The message labels of the diagram, in order (the bold text of each row)."""
    svg = dom[dom.find("<svg"):dom.find("</svg>")]
    return re.findall(r'font-weight="600" font-size="14">([^<]*)</text>', svg)


with Server() as s:
    dom = dump(f"https://localhost:{s.port}/")
    check("Your TLS 1.3 handshake, step by step" in dom and "<svg" in dom,
          "chromium loads the page with the diagram over TLS 1.3", dom[:300])
    check("TLS_AES_" in dom and "ClientHello + key_share" in dom and
          "ServerHello + key_share" in dom and "CertificateVerify" in dom,
          "the TLS 1.3 page shows both key shares and CertificateVerify")
    check('class="encrypted"' in dom and "encrypted from here on" in dom,
          "the diagram marks the encrypted part of the handshake")
    check(f'href="https://classic.localhost:{s.port}/"' in dom,
          "the TLS 1.3 page links to the classic flow")
    r13 = rows(dom)
    shots = [shoot(f"https://localhost:{s.port}/", "tlsflow-browser-tls13.png")]

    dom = dump(f"https://classic.localhost:{s.port}/")
    check("Your TLS 1.2 handshake, step by step" in dom and "TLS_RSA_WITH_AES_" in dom and
          "ClientKeyExchange" in dom and "decrypt with the private key" in dom,
          "chromium gets the classic flow on classic.localhost: TLS 1.2, RSA key transport",
          dom[:300])
    r12 = rows(dom)
    # One table, two flows: the shared rows appear in both, in the same order.
    shared = [x for x in r13 if x in r12]
    check(shared == [x for x in r12 if x in r13] and
          {"Certificate", "application data"} <= set(shared) and
          "ServerHelloDone" in r12 and "ServerHelloDone" not in r13 and
          "EncryptedExtensions" in r13 and "EncryptedExtensions" not in r12,
          "both diagrams come from one table: shared rows in order, the differences apart",
          (r13, r12))
    check(f'href="https://localhost:{s.port}/"' in dom, "the classic page links back")
    shots.append(shoot(f"https://classic.localhost:{s.port}/", "tlsflow-browser-classic.png"))

    dom = dump(f"https://expired.localhost:{s.port}/")
    check("handshake, step by step" not in dom, "chromium refuses expired.localhost")

with Server("--suites", "ecdhe", "--max-version", "1.2") as s:
    dom = dump(f"https://localhost:{s.port}/")
    check("Your TLS 1.2 handshake, step by step" in dom and "TLS_ECDHE_" in dom,
          "chromium completes a TLS 1.2 ECDHE handshake and shows the page", dom[:300])
print("screenshots:", *shots)
finish()
