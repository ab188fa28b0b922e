"""The embedded default: the first start creates the local PKI, later starts reuse it:
the CA, the server certificates, one per site (classic.localhost, mtls.localhost), and
a client CA with a client certificate (clientAuth only). Runs first (a ctest fixture)
so the other tests share one PKI directory."""
import os
import shutil
import stat

from tfsock import PKI, Server, check, finish, run, text

shutil.rmtree(PKI, ignore_errors=True)
with Server() as s:
    check("created now" in s.stdout(), "first start says the CA was created")
    check(f"curl --cacert {PKI}/ca.pem https://localhost:{s.port}/" in s.stdout(),
          "banner prints the curl line")
    check(f"openssl s_client -connect localhost:{s.port} -CAfile {PKI}/ca.pem\n"
          in s.stdout(), "banner prints the openssl line (no -tls1_2: TLS 1.3 by default)")
    check(f"curl --cacert {PKI}/ca.pem --resolve classic.localhost:{s.port}:127.0.0.1 "
          f"https://classic.localhost:{s.port}/" in s.stdout(),
          "banner prints the curl line for classic.localhost")
    check(f"curl --cacert {PKI}/ca.pem --cert {PKI}/client.pem --key {PKI}/client.key "
          f"--resolve mtls.localhost:{s.port}:127.0.0.1 https://mtls.localhost:{s.port}/"
          in s.stdout(), "banner prints the curl line for mtls.localhost")
    check(f"openssl s_client -connect 127.0.0.1:{s.port} -servername mtls.localhost -CAfile "
          f"{PKI}/ca.pem -cert {PKI}/client.pem -key {PKI}/client.key" in s.stdout(),
          "banner prints the openssl line for mtls.localhost")
for f in ["ca.pem", "ca.key", "server.pem", "server.key", "classic.pem", "classic.key",
          "mtls.pem", "mtls.key", "client-ca.pem", "client-ca.key", "client.pem", "client.key"]:
    check(os.path.exists(os.path.join(PKI, f)), f"{f} exists")
for f in ["ca.key", "server.key", "scenarios/leaf.key", "classic.key", "mtls.key",
          "client-ca.key", "client.key"]:
    mode = stat.S_IMODE(os.stat(os.path.join(PKI, f)).st_mode)
    check(mode == 0o600, f"{f} is private (mode {oct(mode)})")
before = open(os.path.join(PKI, "ca.pem")).read()
client_before = open(os.path.join(PKI, "client.pem")).read()

with Server() as s:
    check("reused" in s.stdout(), "second start reuses the CA")
check(open(os.path.join(PKI, "ca.pem")).read() == before, "ca.pem unchanged by a restart")
check(open(os.path.join(PKI, "client.pem")).read() == client_before,
      "client.pem unchanged by a restart")

server_pem = open(os.path.join(PKI, "server.pem")).read()
check(server_pem.count("BEGIN CERTIFICATE") == 2, "server.pem holds leaf and CA")
r = run(["openssl", "verify", "-CAfile", f"{PKI}/ca.pem", f"{PKI}/server.pem"])
check(r.returncode == 0, "openssl verifies server.pem against ca.pem", text(r.stderr))
r = run(["openssl", "x509", "-in", f"{PKI}/server.pem", "-noout", "-ext", "subjectAltName"])
san = text(r.stdout)
for want in ["DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1"]:
    check(want in san, f"server certificate names {want}", san)

# Each site's certificate names the site only and chains to the same CA.
for name in ["classic", "mtls"]:
    pem = f"{PKI}/{name}.pem"
    r = run(["openssl", "verify", "-CAfile", f"{PKI}/ca.pem", "-verify_hostname",
             f"{name}.localhost", pem])
    check(r.returncode == 0, f"{name}.pem: verified for {name}.localhost against ca.pem",
          text(r.stdout + r.stderr))
    r = run(["openssl", "x509", "-in", pem, "-noout", "-ext", "subjectAltName"])
    check(text(r.stdout).split("\n")[1].strip() == f"DNS:{name}.localhost",
          f"{name}.pem names DNS:{name}.localhost only", text(r.stdout))

# The client certificate: its own CA, for client authentication only.
client = f"{PKI}/client.pem"
r = run(["openssl", "verify", "-CAfile", f"{PKI}/client-ca.pem", "-purpose", "sslclient", client])
check(r.returncode == 0, "client.pem verifies against client-ca.pem for sslclient",
      text(r.stdout + r.stderr))
r = run(["openssl", "verify", "-CAfile", f"{PKI}/client-ca.pem", "-purpose", "sslserver", client])
check(r.returncode != 0, "client.pem is no server certificate (purpose sslserver refused)",
      text(r.stdout + r.stderr))
r = run(["openssl", "verify", "-CAfile", f"{PKI}/ca.pem", client])
check(r.returncode != 0, "client.pem is not issued by the server CA", text(r.stdout))
r = run(["openssl", "x509", "-in", client, "-noout", "-ext", "extendedKeyUsage,keyUsage"])
ext = text(r.stdout)
check("TLS Web Client Authentication" in ext and "Server Authentication" not in ext and
      "Digital Signature" in ext and "Key Encipherment" not in ext,
      "client.pem: extendedKeyUsage clientAuth only, keyUsage digitalSignature", ext)
check(open(client).read().count("BEGIN CERTIFICATE") == 1, "client.pem holds the leaf alone")
r = run(["openssl", "pkey", "-in", f"{PKI}/client.key", "-pubout"])
r2 = run(["openssl", "x509", "-in", client, "-noout", "-pubkey"])
check(r.returncode == 0 and r.stdout == r2.stdout, "client.key is client.pem's key")
finish()
