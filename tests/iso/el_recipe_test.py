#!/usr/bin/env python3
"""The EL recipe of the rescue medium (iso/el), checked without EL repositories.

The ISO itself cannot be built here (no EL repositories, no lorax), so this
checks what can be checked and what would break the medium:

- pykickstart's ksvalidator on iso/el/kvm-rescue-live.ks with -v RHEL9
  (-e: the first error or deprecation fails) when KVMR_KSVALIDATOR names it
  (Debian has no package); else a SKIP line for that check.
- `rpmspec -P` parses iso/el/kvm-rescue.spec (Debian's rpm package) when
  rpmspec is installed; else a SKIP line for that check.
- Static checks neither tool makes: every library CMake looks for
  (pkg_check_modules / find_package / the doctest header) has a
  BuildRequires; the spec's Version is CMake's project VERSION and it ships
  the binary where CMake installs it, builds the unit tests %check runs
  (defined in tests/CMakeLists.txt), lists %doc files that exist under
  distinct names; every program kvm-rescue runs is
  provided by a package in the spec's Requires or the kickstart's
  %packages (and is not excluded there), and no new program appeared in
  rescue/ without joining the list; the kickstart has the repositories;
  its %post creates and enables the wizard units for tty1 and ttyS0 (with
  the kvm-rescue.shell condition, the getty conflicts, the tty) and the
  shell units, and `systemd-analyze verify` loads all four without a
  complaint; the LVM edit of %post, run against this machine's lvm.conf
  (lvm2 2.03 writes the same file on EL 9), leaves event activation off
  and an empty auto-activation list as lvmconfig reads it; the LVM and md
  udev rules are masked; the kernel command line (bootloader --append)
  has the serial console and the no-autoassembly options and is the same
  as the README's --extra-boot-args; every %pre/%post section and every
  script written from one passes `bash -n`.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import kvmr_testlib as t  # noqa: E402

# The programs kvm-rescue runs through CommandRunner, found by
#   grep -rnE 'argv\{"|run\(\{"|with_env\(\{"|return \{"[a-z_.]+", "-' rescue/
# (rescue/finish, rescue/guestfs, rescue/target, rescue/volume,
# rescue/disk), with the EL 9 package providing each. lvs is not run by
# kvm-rescue (it reads LVM metadata itself) but the issue wants it on the
# medium for the person at the console.
RUNTIME_COMMANDS = {
    "qemu-img": "qemu-img",             # info, check, rebase
    "xfs_repair": "xfsprogs",           # fs_check: -n
    "mkfs.xfs": "xfsprogs",             # target/mkfs
    "e2fsck": "e2fsprogs",              # fs_check: -n
    "mkfs.ext4": "e2fsprogs",           # target/mkfs
    "mkfs.vfat": "dosfstools",          # target/mkfs (the OEMDRV volume)
    "mcopy": "mtools",                  # target/oemdrv
    "mdel": "mtools",
    "mren": "mtools",
    "smartctl": "smartmontools",        # disk/smart
    "virt-xml-validate": "libvirt-client",  # finish/xml_validate
    "env": "coreutils",                 # target/oemdrv (MTOOLS_* variables)
    "lvs": "lvm2",                      # the issue: on the medium
    "ip": "iproute",                    # net: ports, link up, static address
    "dhclient": "dhcp-client",          # net/dhcp: the DHCP client on the medium
    # net/dhcp's fallback where dhclient is missing (EL 10, Fedora); the EL 9
    # medium has dhcp-client's dhclient, which is tried first
    "dhcpcd": "dhcp-client",
    # remote: the network target (an OpenSSH control master, the host key
    # scanned and fingerprinted, the remote directory mounted with sshfs)
    "ssh": "openssh-clients",
    "ssh-keyscan": "openssh-clients",
    "ssh-keygen": "openssh-clients",
    "sshfs": "fuse-sshfs",
}
# How a command is spelled where it starts an argv in rescue/.
# (`return {"x", "-...` is fs_check's argv; other braced returns are pairs.)
ARGV_START = re.compile(r'(?:argv\{|run\(\{|with_env\(\{)"([A-Za-z][\w.+-]*)"'
                        r'|return \{"([A-Za-z][\w.+-]*)", "-')

# CMake's find_package / pkg_check_modules names -> the BuildRequires that
# satisfy them (any one). Optional ones name why they need none.
LIBRARIES = {
    "blkid": {"libblkid-devel", "pkgconfig(blkid)"},
    "fdisk": {"libfdisk-devel", "pkgconfig(fdisk)"},
    "ncursesw": {"ncurses-devel", "pkgconfig(ncursesw)"},
    "libguestfs": {"libguestfs-devel", "pkgconfig(libguestfs)"},
    "libxml-2.0": {"libxml2-devel", "pkgconfig(libxml-2.0)"},
    "libxxhash": {"xxhash-devel", "pkgconfig(libxxhash)"},
    "fmt": {"fmt-devel"},
    "OpenSSL": {"openssl-devel"},
    "nlohmann_json": {"json-devel"},
    "CLI11": {"cli11-devel"},
    "doctest": {"doctest-devel"},
    "PkgConfig": {"pkgconf-pkg-config", "pkgconfig"},
}
OPTIONAL_LIBRARIES = {
    "Threads": "glibc",
    "fuse3": "tests/integration's test-only FUSE server, optional (not REQUIRED)",
}
EXCLUDED_DIRS = {"build", ".git", "fuzz"}

UNITS = ("kvm-rescue-wizard@tty1.service", "kvm-rescue-wizard@ttyS0.service",
         "kvm-rescue-shell@tty1.service", "kvm-rescue-shell@ttyS0.service")
BOOT_WORDS = ("console=tty0", "console=ttyS0,115200", "raid=noautodetect", "rd.lvm=0", "rd.md=0")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def ks_sections(text):
    """(commands text, [(header, body)]) of a kickstart file."""
    commands, sections, cur = [], [], None
    for line in text.splitlines():
        if cur is None and re.match(r"^%(packages|pre|pre-install|post|onerror|traceback)\b", line):
            cur = (line, [])
        elif cur is not None and line.strip() == "%end":
            sections.append((cur[0], "\n".join(cur[1]) + "\n"))
            cur = None
        elif cur is not None:
            cur[1].append(line)
        else:
            commands.append(line)
    return "\n".join(commands), sections


def heredocs(script):
    """{path: body} of every `cat > PATH <<'TAG'` in a shell script."""
    out = {}
    for m in re.finditer(r"^cat > (\S+) <<'(\w+)'\n(.*?)\n\2$", script, re.S | re.M):
        out[m.group(1)] = m.group(3) + "\n"
    return out


def spec_tags(text, tag):
    """Every value of TAG: lines, split into package names (no versions)."""
    names = []
    for m in re.finditer(rf"^{tag}:\s*(.+)$", text, re.M):
        value = re.sub(r"\s*[<>=]+\s*\S+", "", m.group(1))
        names += [n for n in re.split(r"[\s,]+", value) if n]
    return set(names)


def cmake_libraries(src):
    """Names CMake looks for: pkg_check_modules modules (REQUIRED or not),
    find_package names, the doctest header."""
    found = {}
    for root, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d not in EXCLUDED_DIRS and not d.startswith("build")]
        if "CMakeLists.txt" not in files:
            continue
        path = os.path.join(root, "CMakeLists.txt")
        text = re.sub(r"#.*", "", read(path))
        rel = os.path.relpath(path, src)
        for m in re.finditer(r"pkg_check_modules\s*\(([^)]*)\)", text):
            words = m.group(1).split()[1:]
            for w in words:
                if w not in ("REQUIRED", "QUIET", "IMPORTED_TARGET", "GLOBAL", "NO_CMAKE_PATH",
                             "NO_CMAKE_ENVIRONMENT_PATH"):
                    found.setdefault(re.split(r"[<>=]", w)[0], rel)
        for m in re.finditer(r"find_package\s*\(\s*(\w+)", text):
            found.setdefault(m.group(1), rel)
        if re.search(r"find_path\s*\([^)]*doctest/doctest\.h", text):
            found.setdefault("doctest", rel)
    return found


def check_ksvalidator(c, ks):
    validator = os.environ.get("KVMR_KSVALIDATOR", "")
    if not validator:
        print("SKIP: ksvalidator: pykickstart is not installed (Debian has no package); set "
              "KVMR_KSVALIDATOR to run it")
        return
    p = t.run([validator, "-e", "-v", "RHEL9", ks])
    out = p.stdout + p.stderr
    said = re.sub(r"^Checking kickstart file .*$", "", out, flags=re.M)  # the path may say anything
    c.eq("ksvalidator -e -v RHEL9 kvm-rescue-live.ks", (p.returncode, out[-600:]), (0, out[-600:]))
    c.true("ksvalidator: no deprecation or error",
           not re.search(r"deprecat|error|problem", said, re.I), said[-600:])


def check_rpmspec(c, spec):
    """The expanded spec when rpmspec parses it, else None."""
    if not shutil.which("rpmspec"):
        print("SKIP: rpmspec -P: rpmspec is not installed (Debian package rpm; scripts/setup)")
        return None
    p = t.run(["rpmspec", "-P", spec])
    c.eq("rpmspec -P kvm-rescue.spec", (p.returncode, p.stderr[-600:]), (0, p.stderr[-600:]))
    c.true("rpmspec -P: no error on stderr", "error" not in p.stderr.lower(), p.stderr[-600:])
    return p.stdout if p.returncode == 0 else None


def check_build_requires(c, src, spec_text):
    brs = spec_tags(spec_text, "BuildRequires")
    libs = cmake_libraries(src)
    c.true("CMake looks for libraries (parser sanity)", {"blkid", "fmt", "doctest"} <= set(libs),
           sorted(libs))
    for name, where in sorted(libs.items()):
        if name in OPTIONAL_LIBRARIES:
            continue
        if name not in LIBRARIES:
            c.true(f"{where}: {name} has an EL 9 package in el_recipe_test.LIBRARIES", False)
            continue
        c.true(f"{where}: {name} has a BuildRequires", bool(LIBRARIES[name] & brs),
               f"(one of {sorted(LIBRARIES[name])}; spec has {sorted(brs)})")


def check_version_and_files(c, src, spec_text):
    cm = re.search(r"project\(\s*kvm-rescue\s+VERSION\s+([\d.]+)", read(os.path.join(src, "CMakeLists.txt")))
    sv = re.search(r"^Version:\s*(\S+)", spec_text, re.M)
    c.eq("spec Version = CMake project VERSION", sv and sv.group(1), cm and cm.group(1))
    inst = re.search(r"install\(TARGETS kvm-rescue RUNTIME DESTINATION (\S+)\)",
                     read(os.path.join(src, "rescue", "CMakeLists.txt")))
    c.eq("CMake installs kvm-rescue into sbin", inst and inst.group(1), "sbin")
    files = re.search(r"^%files\n(.*?)(?:^%changelog|\Z)", spec_text, re.S | re.M)
    c.true("spec %files has the binary in %{_sbindir} (or /usr/sbin)",
           files is not None and re.search(r"^(%\{_sbindir\}|/usr/sbin)/kvm-rescue$",
                                           files.group(1), re.M) is not None)
    docs = [w for m in re.finditer(r"^%doc\s+(.*)$", spec_text, re.M) for w in m.group(1).split()]
    names = [os.path.basename(w.rstrip("/")) for w in docs]
    c.true("spec %doc files exist in the tree", all(os.path.exists(os.path.join(src, w)) for w in docs),
           docs)
    c.eq("spec %doc base names are unique (they share one directory)",
         sorted(n for n in set(names) if names.count(n) > 1), [])
    c.true("spec builds Release without sanitizers",
           "-DCMAKE_BUILD_TYPE=Release" in spec_text and "-DKVMR_SANITIZE=OFF" in spec_text)
    c.true("spec keeps the project's libraries static", "-DBUILD_SHARED_LIBS=OFF" in spec_text)
    # %check runs unit tests that %build built and tests/CMakeLists.txt defines.
    ct = re.search(r"^%ctest -R '\^test_\(([\w|]+)\)\$'", spec_text, re.M)
    built = re.search(r"^%cmake_build --target kvm-rescue %\{\?with_check:([^}]*)\}", spec_text, re.M)
    checked = {f"test_{n}" for n in ct.group(1).split("|")} if ct else set()
    c.true("spec %check runs some unit tests (%ctest -R '^test_(...)$')", bool(checked))
    c.eq("spec %build builds the unit tests %check runs",
         set(built.group(1).split()) if built else set(), checked)
    defined = set(re.findall(r"^kvmr_unit_test\((\w+)", read(os.path.join(src, "tests", "CMakeLists.txt")),
                             re.M))
    c.true("the unit tests %check runs are defined in tests/CMakeLists.txt", checked <= defined,
           sorted(checked - defined))


def check_runtime_commands(c, src, spec_text, packages):
    seen = set()
    for root, dirs, files in os.walk(os.path.join(src, "rescue")):
        for f in files:
            if f.endswith((".cpp", ".hpp")):
                for m in ARGV_START.finditer(read(os.path.join(root, f))):
                    seen.add(m.group(1) or m.group(2))
    c.true("rescue/ runs programs (parser sanity)", {"qemu-img", "smartctl"} <= seen, sorted(seen))
    for cmd in sorted(seen - set(RUNTIME_COMMANDS)):
        c.true(f"rescue/ runs {cmd}: add it and its EL 9 package to RUNTIME_COMMANDS", False)
    requires = spec_tags(spec_text, "Requires")
    wanted = {p for p in packages if not p.startswith("-")}
    excluded = {p[1:] for p in packages if p.startswith("-")}
    for cmd, pkg in sorted(RUNTIME_COMMANDS.items()):
        c.true(f"{cmd}: {pkg} in the spec's Requires or the kickstart's %packages",
               pkg in requires or pkg in wanted)
        c.true(f"{cmd}: {pkg} not excluded from %packages", pkg not in excluded)
    c.true("kvm-rescue in %packages", "kvm-rescue" in wanted)
    for pkg in ("kernel", "dracut-live", "grub2-efi-x64-cdboot", "shim-x64", "syslinux"):
        c.true(f"{pkg} in %packages (lorax's live boot: dmsquash-live, UEFI, BIOS)", pkg in wanted)


def check_repos(c, commands, readme):
    c.true("kickstart: url (BaseOS)", re.search(r"^url .*BaseOS", commands, re.M) is not None)
    for name in ("appstream", "crb", "epel", "kvm-rescue"):
        c.true(f"kickstart: repo {name}", re.search(rf"^repo --name={name}\b", commands, re.M) is not None)
    m = re.search(r'^repo --name=kvm-rescue --baseurl="?file://(/\S+?)"?$', commands, re.M)
    c.true("kickstart: the local repository is a file:// path", m is not None)
    if m:
        c.true(f"README makes the local repository at {m.group(1)} (createrepo_c)",
               re.search(rf"createrepo_c\s+\S*{re.escape(m.group(1))}", readme) is not None)


def check_units(c, post):
    files = heredocs(post)
    unit = files.get("/etc/systemd/system/kvm-rescue-wizard@.service", "")
    c.true("%post writes kvm-rescue-wizard@.service", bool(unit))
    for line in ("ConditionKernelCommandLine=!kvm-rescue.shell", "TTYPath=/dev/%I",
                 "StandardInput=tty", "WantedBy=multi-user.target"):
        c.true(f"wizard unit: {line}", re.search(rf"^{re.escape(line)}$", unit, re.M) is not None)
    conflicts = re.search(r"^Conflicts=(.*)$", unit, re.M)
    c.true("wizard unit: Conflicts=getty@%i.service serial-getty@%i.service",
           conflicts is not None and {"getty@%i.service", "serial-getty@%i.service"}
           <= set(conflicts.group(1).split()))
    start = re.search(r"^ExecStart=(\S+)", unit, re.M)
    script = start.group(1) if start else ""
    c.true(f"wizard unit's ExecStart {script} is written by %post", script in files, sorted(files))
    c.true("the wizard script runs /usr/sbin/kvm-rescue wizard (where the RPM puts it)",
           re.search(r"^\s*(exec\s+)?/usr/sbin/kvm-rescue wizard\b", files.get(script, ""), re.M)
           is not None)
    other = re.sub(r"/usr/sbin/kvm-rescue\b", "", files.get(script, ""))
    c.true("the wizard script names no other kvm-rescue binary",
           re.search(r"/(usr/)?(local/)?s?bin/kvm-rescue\b", other) is None)
    shell = files.get("/etc/systemd/system/kvm-rescue-shell@.service", "")
    c.true("%post writes kvm-rescue-shell@.service with ConditionKernelCommandLine=kvm-rescue.shell",
           re.search(r"^ConditionKernelCommandLine=kvm-rescue\.shell$", shell, re.M) is not None)
    joined = re.sub(r"\\\n", " ", post)
    enabled = set()
    for m in re.finditer(r"^systemctl enable (.*)$", joined, re.M):
        enabled |= set(m.group(1).split())
    for u in UNITS:
        c.true(f"%post enables {u}", u in enabled, sorted(enabled))
    masked = set()
    for m in re.finditer(r"^systemctl mask (.*)$", joined, re.M):
        masked |= set(m.group(1).split())
    for u in ("getty@tty1.service", "serial-getty@ttyS0.service"):
        c.true(f"%post masks {u} (no login prompt beside the wizard)", u in masked)
    c.true("%post makes multi-user.target the default (no GUI)",
           re.search(r"^systemctl set-default multi-user\.target$", post, re.M) is not None)


def check_units_verify(c, post, workdir):
    """systemd-analyze verify on the four unit instances as %post writes them
    (the console script's path moved into WORKDIR so it exists)."""
    if not shutil.which("systemd-analyze"):
        print("SKIP: systemd-analyze verify of the console units: systemd is not installed")
        return
    files = heredocs(post)
    units = os.path.join(workdir, "units")
    script = "/usr/libexec/kvm-rescue/console-wizard"
    moved = os.path.join(workdir, "console-wizard")
    for path, text in files.items():
        if path.startswith("/etc/systemd/system/"):
            dest = os.path.join(units, path[len("/etc/systemd/system/"):])
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w", encoding="utf-8") as f:
                f.write(text.replace(script, moved))
        elif path == script:
            with open(moved, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(moved, 0o755)
    if not os.path.isdir(units):
        c.true("%post writes unit files under /etc/systemd/system", False)
        return
    p = t.run(["systemd-analyze", "verify", "--man=no", *[f"./{u}" for u in UNITS]], cwd=units)
    c.eq("systemd-analyze verify: the console units load cleanly",
         (p.returncode, p.stderr.strip()), (0, ""))


def lvm_block(post):
    m = re.search(r"^lvmconf=/etc/lvm/lvm\.conf\n(.*?)\n\n", post + "\n\n", re.S | re.M)
    return m.group(1) if m else None


def check_lvm(c, post, workdir):
    joined = re.sub(r"\\\n", " ", post)
    for rule in ("69-dm-lvm.rules", "65-md-incremental.rules"):
        c.true(f"%post masks the udev rule {rule}",
               re.search(rf"^ln -sf /dev/null /etc/udev/rules\.d/{re.escape(rule)}$", joined, re.M)
               is not None)
    c.true("%post: mdadm AUTO -all", "AUTO -all" in post)
    block = lvm_block(post)
    c.true("%post has the lvm.conf block (lvmconf=/etc/lvm/lvm.conf ... blank line)", block is not None)
    if block is None:
        return
    if not shutil.which("lvmconfig") or not os.path.exists("/etc/lvm/lvm.conf"):
        print("SKIP: the lvm.conf edit against a real lvm.conf: lvm2 is not installed")
        return
    conf_dir = os.path.join(workdir, "lvm")
    os.mkdir(conf_dir)
    shutil.copy("/etc/lvm/lvm.conf", conf_dir)
    script = f"set -euo pipefail\nexport LVM_SYSTEM_DIR={shlex.quote(conf_dir)}\n" \
             f"lvmconf={shlex.quote(os.path.join(conf_dir, 'lvm.conf'))}\n{block}\n"
    env = dict(os.environ, LVM_SUPPRESS_FD_WARNINGS="1", LVM_SYSTEM_DIR=conf_dir)
    p = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)
    c.eq("%post's lvm.conf edit runs (and its own lvmconfig checks pass)",
         (p.returncode, p.stderr[-400:]), (0, p.stderr[-400:]))
    ev = t.run(["lvmconfig", "--typeconfig", "full", "global/event_activation"], env=env)
    c.eq("lvmconfig after the edit: event_activation", ev.stdout.strip(), "event_activation=0")
    aa = t.run(["lvmconfig", "activation/auto_activation_volume_list"], env=env)
    c.eq("lvmconfig after the edit: auto_activation_volume_list", aa.stdout.strip(),
         "auto_activation_volume_list=[]")


def check_kernel_line(c, commands, readme):
    m = re.search(r'^bootloader .*--append="([^"]*)"', commands, re.M)
    words = m.group(1).split() if m else []
    for w in BOOT_WORDS:
        c.true(f"bootloader --append has {w}", w in words, words)
    c.true("console=ttyS0 is the last console (it becomes /dev/console)",
           [w for w in words if w.startswith("console=")][-1:] == ["console=ttyS0,115200"], words)
    r = re.search(r'--extra-boot-args[= ]"([^"]*)"', readme)
    c.eq("README's livemedia-creator --extra-boot-args = the kickstart's bootloader --append",
         r.group(1).split() if r else None, words)


def check_fetch_plan(c, src, spec_text, post):
    """kvm-rescue.plan=: the shared fetch-plan script is packaged and used."""
    script = os.path.join(src, "iso/fetch-plan")
    c.true("iso/fetch-plan exists", os.path.isfile(script))
    p = t.run(["bash", "-n", script])
    c.eq("bash -n iso/fetch-plan", (p.returncode, p.stderr), (0, ""))
    c.true("spec installs iso/fetch-plan into %{_libexecdir}/kvm-rescue",
           re.search(r"^install .*iso/fetch-plan .*%\{_libexecdir\}/kvm-rescue/fetch-plan$",
                     spec_text, re.M) is not None)
    c.true("spec %files lists fetch-plan",
           re.search(r"^%\{_libexecdir\}/kvm-rescue/fetch-plan$", spec_text, re.M) is not None)
    wizard = heredocs(post).get("/usr/libexec/kvm-rescue/console-wizard", "")
    c.true("the console script fetches kvm-rescue.plan= with the packaged fetch-plan",
           "opt plan" in wizard and "/usr/libexec/kvm-rescue/fetch-plan" in wizard)
    c.true("the console script replays it with kvm-rescue.confirm-wipe= passed on",
           re.search(r"wizard --replay .*\n?.*--confirm-wipe", wizard) is not None, wizard[:400])


def check_bash(c, sections, workdir):
    n = 0
    for header, body in sections:
        if not re.match(r"^%(pre|pre-install|post)\b", header):
            continue
        interp = re.search(r"--interpreter[= ](\S+)", header)
        if interp and not interp.group(1).endswith(("bash", "/sh")):
            continue
        n += 1
        path = os.path.join(workdir, f"section{n}.sh")
        with open(path, "w", encoding="utf-8") as f:
            f.write(body)
        p = t.run(["bash", "-n", path])
        c.eq(f"bash -n {header}", (p.returncode, p.stderr), (0, ""))
        for name, text in heredocs(body).items():
            if not text.startswith("#!/bin/bash") and not text.startswith("#!/bin/sh"):
                continue
            inner = os.path.join(workdir, f"section{n}-{os.path.basename(name)}")
            with open(inner, "w", encoding="utf-8") as f:
                f.write(text)
            p = t.run(["bash", "-n", inner])
            c.eq(f"bash -n {name} (written by {header})", (p.returncode, p.stderr), (0, ""))
    c.true("the kickstart has a %post section", n > 0)


def main():
    src = t.env_path("KVMR_SOURCE_DIR")
    ks = os.path.join(src, "iso", "el", "kvm-rescue-live.ks")
    spec = os.path.join(src, "iso", "el", "kvm-rescue.spec")
    readme_path = os.path.join(src, "iso", "el", "README.md")
    for f in (ks, spec, readme_path):
        if not os.path.exists(f):
            print(f"FAIL: {f} missing")
            print("0 passed, 1 failed")
            sys.exit(1)
    c = t.Checker()
    ks_text, spec_text, readme = read(ks), read(spec), read(readme_path)
    commands, sections = ks_sections(ks_text)
    packages = []
    for header, body in sections:
        if header.startswith("%packages"):
            packages += [ln.split()[0] for ln in body.splitlines()
                         if ln.strip() and not ln.lstrip().startswith("#")]
    post = "".join(body for header, body in sections if header.startswith("%post"))

    check_ksvalidator(c, ks)
    expanded = check_rpmspec(c, spec)
    # The static checks read the expanded spec when rpmspec gave one.
    spec_for_checks = expanded if expanded is not None else spec_text
    with tempfile.TemporaryDirectory(prefix="el-recipe-") as workdir:
        check_build_requires(c, src, spec_for_checks)
        check_version_and_files(c, src, spec_text)
        check_runtime_commands(c, src, spec_for_checks, packages)
        check_repos(c, commands, readme)
        check_units(c, post)
        check_units_verify(c, post, workdir)
        check_lvm(c, post, workdir)
        check_kernel_line(c, commands, readme)
        check_bash(c, sections, workdir)
        check_fetch_plan(c, src, spec_text, post)
    c.finish()


if __name__ == "__main__":
    main()
