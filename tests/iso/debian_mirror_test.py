#!/usr/bin/env python3
"""Which Debian mirror iso/build-debian would use, without building anything.

`iso/build-debian --print-mirror` prints the mirror debootstrap would
fetch from and where it came from. Each case here is a made-up apt
configuration (KVMR_ISO_APT_DIR in place of /etc/apt): the first `deb`
entry for bookworm with `main`, one-line (sources.list, *.list, options in
brackets) or deb822 (*.sources), in apt's file order, is taken; other
suites, deb-src, third-party repositories, disabled stanzas, files apt does
not read and URIs debootstrap cannot fetch are passed over;
KVMR_ISO_MIRROR wins; with no usable entry it falls back to
deb.debian.org and says so. Last, this machine's own /etc/apt gives a
mirror that the same rules find. No root, no network.
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.environ.get("KVMR_SOURCE_DIR",
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD_DEBIAN = os.path.join(ROOT, "iso", "build-debian")
FALLBACK = "http://deb.debian.org/debian"

DEBIAN_SOURCES = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""

CASES = [
    # (name, files under the apt dir, environment, expected mirror, expected source)
    ("Debian 12's own debian.sources",
     {"sources.list.d/debian.sources": DEBIAN_SOURCES}, {},
     "http://deb.debian.org/debian", "sources.list.d/debian.sources"),
    ("a local mirror in sources.list, after comments, deb-src and other suites",
     {"sources.list": "# deb http://commented.example/debian bookworm main\n"
                      "deb-src http://src.example/debian bookworm main\n"
                      "deb http://security.example/debian-security bookworm-security main\n"
                      "deb http://updates.example/debian bookworm-updates main\n"
                      "deb [arch=amd64 signed-by=/k.gpg] http://mirror.lan:3142/debian "
                      "bookworm main contrib  # the shop's apt-cacher\n",
      "sources.list.d/debian.sources": DEBIAN_SOURCES}, {},
     "http://mirror.lan:3142/debian", "sources.list"),
    ("options with spaces inside the brackets",
     {"sources.list": "deb [ arch=amd64 trusted=yes ] https://mirror.lan/debian/ bookworm main\n"},
     {}, "https://mirror.lan/debian/", "sources.list"),
    ("a third-party repository for bookworm without main is not Debian",
     {"sources.list": "deb https://download.docker.com/linux/debian bookworm stable\n",
      "sources.list.d/50-local.list": "deb http://local.lan/debian bookworm main\n"}, {},
     "http://local.lan/debian", "sources.list.d/50-local.list"),
    ("sources.list.d in name order, .list and .sources together",
     {"sources.list.d/20-b.list": "deb http://b.lan/debian bookworm main\n",
      "sources.list.d/10-a.sources": "Types: deb\nURIs: http://a.lan/debian\n"
                                     "Suites: bookworm\nComponents: main\n",
      "sources.list.d/05-off.list.disabled": "deb http://off.lan/debian bookworm main\n"}, {},
     "http://a.lan/debian", "sources.list.d/10-a.sources"),
    ("deb822: disabled and deb-src-only stanzas skipped, first fetchable URI of several",
     {"sources.list.d/debian.sources":
      "Types: deb\nURIs: http://disabled.lan/debian\nSuites: bookworm\nComponents: main\n"
      "Enabled: no\n\n"
      "Types: deb-src\nURIs: http://src.lan/debian\nSuites: bookworm\nComponents: main\n\n"
      "Types: deb deb-src\nURIs: cdrom:[Debian 12]/ http://one.lan/debian\n"
      "  http://two.lan/debian\nSuites: bookworm-updates\n bookworm\n"
      "Components: contrib main\n"}, {},
     "http://one.lan/debian", "sources.list.d/debian.sources"),
    ("KVMR_ISO_MIRROR overrides the sources",
     {"sources.list.d/debian.sources": DEBIAN_SOURCES},
     {"KVMR_ISO_MIRROR": "http://override.lan/debian"},
     "http://override.lan/debian", "KVMR_ISO_MIRROR"),
    ("no bookworm main entry: deb.debian.org, said so",
     {"sources.list": "deb http://old.lan/debian bullseye main\n"}, {},
     FALLBACK, "default (no bookworm main entry in"),
    ("no apt sources at all",
     {}, {}, FALLBACK, "default (no bookworm main entry in"),
]


def print_mirror(apt_dir, extra_env):
    env = {k: v for k, v in os.environ.items() if k != "KVMR_ISO_MIRROR"}
    if apt_dir is not None:
        env["KVMR_ISO_APT_DIR"] = apt_dir
    env.update(extra_env)
    r = subprocess.run([BUILD_DEBIAN, "--print-mirror"], env=env, capture_output=True,
                       text=True, check=False, timeout=60)
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def run_case(name, files, extra_env, want_mirror, want_source):
    with tempfile.TemporaryDirectory(prefix="kvmr-apt-") as apt:
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(apt, rel)), exist_ok=True)
            with open(os.path.join(apt, rel), "w", encoding="utf-8") as f:
                f.write(text)
        rc, out, err = print_mirror(apt, extra_env)
        mirror, _, source = out.partition(" ")
        source = source.strip("()").replace(apt + "/", "")
        ok = rc == 0 and mirror == want_mirror and source.startswith(want_source)
    print(f"{'ok' if ok else 'FAILED'}: {name}: {out!r}")
    if not ok:
        print(f"  want {want_mirror} ({want_source}...), exit {rc}, stderr: {err}")
    return ok


def own_machine():
    """This machine's /etc/apt: whatever it names, it is the same mirror the
    rules above find in it (or the fallback when it has no bookworm entry)."""
    rc, out, err = print_mirror(None, {})
    mirror = out.partition(" ")[0]
    ok = rc == 0 and mirror.split(":")[0] in ("http", "https", "ftp", "file")
    print(f"{'ok' if ok else 'FAILED'}: this machine's apt sources: {out!r}"
          + ("" if ok else f" (exit {rc}, {err})"))
    return ok


def main():
    results = [run_case(*c) for c in CASES] + [own_machine()]
    failed = results.count(False)
    print(f"{len(results) - failed}/{len(results)} mirror cases passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
