#!/usr/bin/env python3
"""scripts/lib/bench-sshd.py WORK ENV_FILE: the "second host" of
scripts/bench-copy's methods over SSH. Starts the tests' private sshd
(tests/integration/kvmr_sshd.py: its own network namespace with loopback
only, its own host key, key login as root; sshd runs in a copy of this
machine's mount namespace, so a filesystem mounted under WORK before it
starts is the remote's too), then writes ENV_FILE (under a temporary name,
renamed when complete) for bash to source:

    SSHD_PORT=...          sshd listens on 127.0.0.1:PORT in the namespace only
    SSHD_NSPID=...         a process of that namespace: nsenter -n -t PID
    SSHD_FINGERPRINT=...   SHA256:... of its host key
    SSHD_KEY=...           the client's private key
    SSHD_KNOWN_HOSTS=...   a known_hosts file naming the host key
    SSHD_OPTS=(...)        -F none -o ... for ssh, scp and rsync -e (no
                           control master: each client makes its own connection)

and waits. SIGTERM, SIGINT or SIGHUP end it: the sshd, every process left
in the namespace, and the namespace itself; then it checks that nothing is
left (exit 1 and why when something is). Exits 77 (SKIP: why) where this
machine cannot run the sshd.
"""
import os
import shlex
import signal
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import kvmr_sshd  # noqa: E402


def env_text(s):
    q = shlex.quote
    opts = " ".join(q(o) for o in s.client_options(control=False))
    return "".join([
        f"SSHD_PORT={s.port}\n",
        f"SSHD_NSPID={s.holder.pid}\n",
        f"SSHD_FINGERPRINT={q(s.host_key_fingerprint())}\n",
        f"SSHD_KEY={q(s.path('client_ed25519_key'))}\n",
        f"SSHD_KNOWN_HOSTS={q(s.path('known_hosts'))}\n",
        f"SSHD_OPTS=({opts})\n",
    ])


def write_env(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.rename(tmp, path)


def on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: bench-sshd.py WORK ENV_FILE")
    work, env_file = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGINT, on_signal)
    try:
        with kvmr_sshd.Sshd(work) as s:
            write_env(env_file, env_text(s))
            try:
                while True:
                    signal.pause()
            except KeyboardInterrupt:
                pass  # a normal exit: Sshd checks that nothing is left
    except KeyboardInterrupt:
        sys.exit(130)  # while starting: Sshd ended what it had started
    except AssertionError as e:
        sys.exit(f"bench-sshd: {e}")


if __name__ == "__main__":
    main()
