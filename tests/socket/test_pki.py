"""The embedded default: the first start creates the local PKI, later starts reuse it.
Runs first (a ctest fixture) so the other tests share one PKI directory."""
import os
import shutil
import stat

from tfsock import PKI, Server, check, finish, run, text

shutil.rmtree(PKI, ignore_errors=True)
with Server() as s:
    check("created now" in s.stdout(), "first start says the CA was created")
    check(f"curl --cacert {PKI}/ca.pem https://localhost:{s.port}/" in s.stdout(),
          "banner prints the curl line")
    check(f"openssl s_client -connect localhost:{s.port} -CAfile {PKI}/ca.pem -tls1_2"
          in s.stdout(), "banner prints the openssl line")
for f in ["ca.pem", "ca.key", "server.pem", "server.key"]:
    check(os.path.exists(os.path.join(PKI, f)), f"{f} exists")
for f in ["ca.key", "server.key", "scenarios/leaf.key"]:
    mode = stat.S_IMODE(os.stat(os.path.join(PKI, f)).st_mode)
    check(mode == 0o600, f"{f} is private (mode {oct(mode)})")
before = open(os.path.join(PKI, "ca.pem")).read()

with Server() as s:
    check("reused" in s.stdout(), "second start reuses the CA")
check(open(os.path.join(PKI, "ca.pem")).read() == before, "ca.pem unchanged by a restart")

server_pem = open(os.path.join(PKI, "server.pem")).read()
check(server_pem.count("BEGIN CERTIFICATE") == 2, "server.pem holds leaf and CA")
r = run(["openssl", "verify", "-CAfile", f"{PKI}/ca.pem", f"{PKI}/server.pem"])
check(r.returncode == 0, "openssl verifies server.pem against ca.pem", text(r.stderr))
r = run(["openssl", "x509", "-in", f"{PKI}/server.pem", "-noout", "-ext", "subjectAltName"])
san = text(r.stdout)
for want in ["DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1"]:
    check(want in san, f"server certificate names {want}", san)
finish()
