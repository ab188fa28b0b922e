"""A real browser: headless Chromium trusting the local CA through a private NSS
database (no flag that ignores certificate errors) loads the page with RSA key
transport and, from an ECDHE-only server, with ECDHE; refuses a scenario endpoint; and
saves a screenshot (tlsflow-browser.png in the test's working directory).
Skipped (exit 77) where chromium or certutil (libnss3-tools) is not installed."""
import os
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


with Server() as s:
    dom = dump(f"https://localhost:{s.port}/")
    check("Your TLS 1.2 handshake, step by step" in dom and "<svg" in dom,
          "chromium loads the page with the diagram", dom[:300])
    check("TLS_RSA_WITH_AES_" in dom and "ClientKeyExchange" in dom,
          "chromium negotiated RSA key transport")
    dom = dump(f"https://expired.localhost:{s.port}/")
    check("Your TLS 1.2 handshake" not in dom, "chromium refuses expired.localhost")
    shot = os.path.abspath("tlsflow-browser.png")
    if os.path.exists(shot):
        os.remove(shot)
    browse(f"https://localhost:{s.port}/", f"--screenshot={shot}", "--window-size=1200,1600")
    check(os.path.exists(shot) and os.path.getsize(shot) > 10000,
          "chromium saved a screenshot of the page", shot)

with Server("--suites", "ecdhe") as s:
    dom = dump(f"https://localhost:{s.port}/")
    check("Your TLS 1.2 handshake, step by step" in dom and "TLS_ECDHE_" in dom,
          "chromium completes an ECDHE handshake and shows the page", dom[:300])
finish()
