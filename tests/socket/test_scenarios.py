"""Each scenario endpoint fails verification in curl and in our client with the
expected reason; the normal endpoint succeeds in both."""
from tfsock import CA, CLIENT, SCENARIOS, Server, check, finish, run, text

with Server() as s:
    r = run(["curl", "-sS", "--cacert", CA, f"https://localhost:{s.port}/"])
    check(r.returncode == 0, "curl: localhost verifies", text(r.stderr))
    r = run([CLIENT, f"localhost:{s.port}", "--ca", CA, "--get", "/"])
    check(r.returncode == 0 and "200 OK" in text(r.stdout), "client: localhost verifies",
          text(r.stderr)[-500:])
    r = run([CLIENT, f"127.0.0.1:{s.port}", "--ca", CA, "--get", "/"])
    check(r.returncode == 0, "client: 127.0.0.1 verifies (IP SAN)", text(r.stderr)[-500:])
    for name, (curl_says, our_error) in SCENARIOS.items():
        r = run(["curl", "-sS", "--cacert", CA, "--resolve", f"{name}:{s.port}:127.0.0.1",
                 f"https://{name}:{s.port}/"])
        check(r.returncode == 60 and curl_says in text(r.stderr), f"curl refuses {name}",
              text(r.stderr))
        r = run([CLIENT, f"{name}:{s.port}", "--ca", CA, "--get", "/"])
        last = text(r.stderr).strip().splitlines()[-1:] or [""]
        check(r.returncode == 1 and our_error in last[0] and
              last[0].startswith("tlsflow-client: "), f"client refuses {name}: {our_error}",
              last[0])
        check(r.stdout == b"", f"client printed no reply for {name}")
finish()
