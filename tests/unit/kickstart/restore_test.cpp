// The first-boot restore script, run for real by bash against a stand-in
// virsh that records its arguments: order, quoting of hostile names,
// idempotence and the done mark.
#include "kickstart/restore.hpp"

#include "kickstart/render.hpp"
#include "kickstart/shell_quote.hpp"
#include "unit/kickstart/ks_test_util.hpp"

#include <doctest/doctest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace kvmr::kickstart; // NOLINT(google-build-using-namespace)
namespace fs = std::filesystem;

namespace {

const std::string kHostile = "shop \"test\" $(touch /tmp/pwned) ウェブ";

RestoreSpec spec() {
  RestoreSpec s;
  const std::string pl = "/p";
  s.secrets.push_back({"8f2b", pl + "/etc/libvirt/secrets/8f2b.xml", ""});
  s.pools.push_back({"default", pl + "/etc/libvirt/storage/default.xml", true});
  s.networks.push_back({"default", pl + "/etc/libvirt/qemu/networks/default.xml", true});
  s.domains.push_back({"web01", pl + "/etc/libvirt/qemu/web01.xml", true});
  s.domains.push_back({kHostile, pl + "/etc/libvirt/qemu/" + kHostile + ".xml", false});
  s.snapshots.push_back({"web01", "before-update", pl + "/snap/web01/before-update.xml", ""});
  return s;
}

std::string slurp(const fs::path &p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Sandbox {
  fs::path dir = fs::absolute("restore-sandbox");
  Sandbox() {
    fs::remove_all(dir);
    fs::create_directories(dir / "bin");
    // A virsh that answers `uri`, says nothing is active, answers
    // capabilities and domcapabilities from the files caps and domcaps
    // (when a test writes them), shows a host with nothing defined (the
    // queries of restore_live.sh) and records each other call's
    // arguments, one per line.
    std::ofstream(dir / "bin" / "virsh")
        << "#!/bin/bash\n"
           "shift 2\n"
           "case $1 in uri) exit 0;; *-info) exit 1;;\n"
           "  *list | *dumpxml | secret-get-value | domstate | help) exit 0;;\n"
           "  capabilities) cat caps 2>/dev/null; exit 0;;\n"
           "  domcapabilities) cat domcaps 2>/dev/null; exit 0;; esac\n"
           "printf '%s\\n' \"$@\" >> " +
               shell_quote((dir / "calls").string()) +
               "\n"
               "echo --- >> " +
               shell_quote((dir / "calls").string()) + "\n";
    fs::permissions(dir / "bin" / "virsh", fs::perms::owner_all);
  }
  Sandbox(const Sandbox &) = delete;
  Sandbox &operator=(const Sandbox &) = delete;
  Sandbox(Sandbox &&) = delete;
  Sandbox &operator=(Sandbox &&) = delete;
  ~Sandbox() { fs::remove_all(dir); }
  [[nodiscard]] test::Ran run(const std::string &script, const std::string &args = "") const {
    std::ofstream(dir / "restore.sh") << script;
    return test::sh("umask 022 && cd " + shell_quote(dir.string()) +
                    " && PATH=" + shell_quote((dir / "bin").string()) +
                    ":$PATH KVMR_RESTORE_LOG=" + shell_quote((dir / "log").string()) +
                    " KVMR_RESTORE_DONE=" + shell_quote((dir / "done").string()) +
                    " KVMR_RESTORE_XML=" + shell_quote((dir / "xml").string()) +
                    " KVMR_RESTORE_REPORT=" + shell_quote((dir / "report").string()) +
                    " KVMR_RESTORE_ROOT=" + shell_quote((dir / "root").string()) +
                    " KVMR_RESTORE_NVRAM_DIR=" + shell_quote((dir / "nv").string()) +
                    " bash restore.sh " + args);
  }
};

} // namespace

TEST_CASE("the restore script defines everything in order, names intact") {
  const Sandbox box;
  const auto r = box.run(render_restore_script(spec()));
  INFO(slurp(box.dir / "log"));
  CHECK(r.status == 0);
  CHECK_FALSE(fs::exists("/tmp/pwned"));
  const std::string calls = slurp(box.dir / "calls");
  const auto at = [&](const std::string &s) { return calls.find(s); };
  CHECK(at("secret-define\n/p/etc/libvirt/secrets/8f2b.xml\n") < at("pool-define\n"));
  CHECK(at("pool-define\n") < at("net-define\n"));
  CHECK(at("net-define\n") < at("define\n/p/etc/libvirt/qemu/web01.xml\n"));
  CHECK(at("define\n/p/etc/libvirt/qemu/" + kHostile + ".xml\n") != std::string::npos);
  CHECK(at("autostart\nweb01\n") != std::string::npos);
  CHECK(at("autostart\n" + kHostile) == std::string::npos);
  CHECK(at("snapshot-create\nweb01\n/p/snap/web01/before-update.xml\n--redefine\n") >
        at("define\n/p/etc/libvirt/qemu/web01.xml\n"));
  CHECK(fs::exists(box.dir / "done"));
  // Done once: a second run does nothing.
  fs::remove(box.dir / "calls");
  CHECK(box.run(render_restore_script(spec())).status == 0);
  CHECK_FALSE(fs::exists(box.dir / "calls"));
}

namespace {

// Every file below DIR that others may read and that holds NEEDLE.
std::vector<std::string> readable_files_with(const fs::path &dir, const std::string &needle) {
  std::vector<std::string> out;
  for (const auto &e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) {
      continue;
    }
    const auto perms = e.status().permissions();
    const bool others_read =
        (perms & (fs::perms::group_read | fs::perms::others_read)) != fs::perms::none;
    if (others_read && slurp(e.path()).find(needle) != std::string::npos) {
      out.push_back(e.path().string());
    }
  }
  return out;
}

// A virsh whose `help secret-set-value` lists --file (libvirt 9) or not
// (EL7's libvirt 4.5); it records every other call like the sandbox's.
void virsh_with_file_option(const fs::path &bin, bool has_file, const fs::path &calls) {
  std::ofstream(bin / "virsh") << "#!/bin/bash\nshift 2\n"
                                  "case $1 in uri) exit 0;; *-info) exit 1;;\n"
                                  "  help) echo '    --secret <string>  secret UUID'; "
                               << (has_file ? "echo '    --file <string>  read from file'; " : "")
                               << "echo '    --base64 <string>'; exit 0;; esac\n"
                                  "printf '%s\\n' \"$@\" >> "
                               << shell_quote(calls.string()) << "\n";
  fs::permissions(bin / "virsh", fs::perms::owner_all);
}

} // namespace

TEST_CASE("a secret's value reaches no file others can read, nor a dry-run line") {
  const std::string value = "S3cr3t-Passw0rd-for-ceph";
  const std::string b64 = "UzNjcjN0LVBhc3N3MHJkLWZvci1jZXBo";
  for (const bool has_file : {true, false}) {
    CAPTURE(has_file);
    const Sandbox box;
    virsh_with_file_option(box.dir / "bin", has_file, box.dir / "calls");
    fs::create_directories(box.dir / "payload");
    std::ofstream(box.dir / "payload" / "8f2b.base64") << b64 << "\n";
    fs::permissions(box.dir / "payload" / "8f2b.base64",
                    fs::perms::owner_read | fs::perms::owner_write);
    auto s = spec();
    s.secrets[0].value_file = (box.dir / "payload" / "8f2b.base64").string();
    const std::string script = render_restore_script(s);

    const auto dry = box.run(script, "--dry-run");
    CHECK(dry.out.find(b64) == std::string::npos);
    CHECK(dry.out.find("secret-set-value --secret 8f2b") != std::string::npos);

    const auto r = box.run(script);
    CHECK(r.status == 0);
    const std::string calls = slurp(box.dir / "calls");
    // The value was set: by file, or (EL7) as the --base64 argument.
    CHECK(calls.find(has_file ? "--file\n" + s.secrets[0].value_file : "--base64\n" + b64) !=
          std::string::npos);
    CHECK(slurp(box.dir / "log").find(b64) == std::string::npos);
    CHECK(readable_files_with(box.dir, b64).empty());
    CHECK(readable_files_with(box.dir, value).empty());
    const auto log_perms = fs::status(box.dir / "log").permissions();
    CHECK((log_perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
  }
}

TEST_CASE("an older, readable log is made the owner's alone") {
  const Sandbox box;
  std::ofstream(box.dir / "log") << "an earlier run\n";
  fs::permissions(box.dir / "log", fs::perms::owner_read | fs::perms::owner_write |
                                       fs::perms::group_read | fs::perms::others_read);
  CHECK(box.run(render_restore_script(spec())).status == 0);
  const auto perms = fs::status(box.dir / "log").permissions();
  CHECK((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
  CHECK(render_restore_unit(spec()).find("UMask=0077") != std::string::npos);
}

TEST_CASE("a UEFI variable store is installed only right in the NVRAM directory") {
  const Sandbox box;
  fs::create_directories(box.dir / "nv");
  std::ofstream(box.dir / "VARS.fd") << "vars";
  auto s = spec();
  const std::string nv = (box.dir / "nv").string();
  s.nvram.push_back({(box.dir / "VARS.fd").string(), nv + "/good_VARS.fd"});
  s.nvram.push_back({(box.dir / "VARS.fd").string(), nv + "/../escaped_VARS.fd"});
  s.nvram.push_back({(box.dir / "VARS.fd").string(), (box.dir / "elsewhere.fd").string()});
  fs::create_symlink(box.dir / "victim", box.dir / "nv" / "link_VARS.fd");
  s.nvram.push_back({(box.dir / "VARS.fd").string(), nv + "/link_VARS.fd"});
  const auto ran = box.run(render_restore_script(s));
  const std::string log = slurp(box.dir / "log");
  INFO(log);
  CHECK(ran.status == 1); // three refused stores are failures to look at
  CHECK(fs::exists(box.dir / "nv" / "good_VARS.fd"));
  CHECK_FALSE(fs::exists(box.dir / "escaped_VARS.fd"));
  CHECK_FALSE(fs::exists(box.dir / "elsewhere.fd"));
  CHECK_FALSE(fs::exists(box.dir / "victim"));
  CHECK(log.find("not a file in " + nv) != std::string::npos);
  CHECK_FALSE(fs::exists(box.dir / "done"));
}

TEST_CASE("--dry-run lists every step and changes nothing") {
  const Sandbox box;
  auto s = spec();
  s.nvram.push_back({(box.dir / "VARS.fd").string(), (box.dir / "nv" / "x.fd").string()});
  const auto r = box.run(render_restore_script(s), "--dry-run");
  CHECK(r.status == 0);
  INFO(r.out);
  CHECK(r.out.find("would run: v secret-define /p/etc/libvirt/secrets/8f2b.xml") !=
        std::string::npos);
  CHECK(r.out.find("would run: v define /p/etc/libvirt/qemu/web01.xml") != std::string::npos);
  CHECK(r.out.find("would run: v autostart web01") != std::string::npos);
  CHECK(r.out.find("would run: install -D -m 0600") != std::string::npos);
  CHECK(r.out.find("would run: v snapshot-create web01 /p/snap/web01/before-update.xml") !=
        std::string::npos);
  CHECK(r.out.find("nothing was changed") != std::string::npos);
  CHECK_FALSE(fs::exists(box.dir / "calls")); // virsh changed nothing
  CHECK_FALSE(fs::exists(box.dir / "log"));
  CHECK_FALSE(fs::exists(box.dir / "done"));
  CHECK_FALSE(fs::exists(box.dir / "nv"));
  CHECK(box.run(render_restore_script(s), "--bogus").status == 2);
}

TEST_CASE("a failed step leaves the script to run again at the next boot") {
  const Sandbox box;
  auto s = spec();
  s.nvram.push_back({(box.dir / "missing_VARS.fd").string(), (box.dir / "nv" / "x.fd").string()});
  const auto r = box.run(render_restore_script(s));
  CHECK(r.status == 1);
  CHECK_FALSE(fs::exists(box.dir / "done"));
  CHECK(slurp(box.dir / "log").find("with 1 failures") != std::string::npos);
}

TEST_CASE("%post carries the script so no line of it can end the section") {
  Profile p = test::story_profile(Dialect::el7);
  auto s = spec();
  s.domains.push_back({"x\n%end\nKVMR_EOF", "/p/x\n%end\nKVMR_EOF\n.xml", true});
  const std::string script = render_restore_script(s);
  const std::string ks = render(p, {script, render_restore_unit(s)});
  // Only the real %end lines: one each for %pre, %packages and %post.
  std::size_t ends = 0;
  for (std::size_t pos = ks.find("\n%end\n"); pos != std::string::npos;
       pos = ks.find("\n%end\n", pos + 1)) {
    ++ends;
  }
  CHECK(ends == 3);
  CHECK(ks.find("base64 -d > '/usr/local/sbin/kvm-rescue-restore'") != std::string::npos);
  // A plain script travels as a readable here-document.
  const std::string plain = render(p, {render_restore_script(spec()), render_restore_unit(spec())});
  CHECK(plain.find("cat > '/usr/local/sbin/kvm-rescue-restore' <<'KVMR_EOF'") != std::string::npos);
  CHECK(plain.find("systemctl enable kvm-rescue-restore.service") != std::string::npos);
}

TEST_CASE("the unit waits for libvirt and the data disk, per dialect") {
  RestoreSpec s;
  CHECK(render_restore_unit(s).find("After=libvirtd.service") != std::string::npos);
  CHECK(render_restore_unit(s).find("RequiresMountsFor=/var/lib/libvirt/images") !=
        std::string::npos);
  s.dialect = Dialect::el9;
  CHECK(render_restore_unit(s).find("virtqemud.socket") != std::string::npos);
}

namespace {

// A CentOS 7 UEFI guest as libvirt 4.5 writes it; the description names a
// firmware path on a line that is not <loader>/<nvram> (kept as it is).
const char *kEl7UefiDomain = R"(<domain type='kvm'>
  <name>efi01</name>
  <uuid>3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b</uuid>
  <description>template was /usr/share/OVMF/OVMF_VARS.fd</description>
  <memory unit='KiB'>1048576</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-rhel7.3.0'>hvm</type>
    <loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.secboot.fd</loader>
    <nvram template="/usr/share/OVMF/OVMF_VARS.fd">/var/lib/libvirt/qemu/nvram/efi01_VARS.fd</nvram>
  </os>
  <features>
    <acpi/>
    <smm state='on'/>
  </features>
  <devices>
    <emulator>/usr/libexec/qemu-kvm</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/efi01.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>
)";

// The value of the first argument after VERB in the recorded calls.
std::string arg_after(const std::string &calls, const std::string &verb, int skip = 0) {
  std::size_t at = calls.find(verb + "\n");
  REQUIRE(at != std::string::npos);
  at += verb.size() + 1;
  for (int i = 0; i < skip; ++i) {
    at = calls.find('\n', at) + 1;
  }
  return calls.substr(at, calls.find('\n', at) - at);
}

} // namespace

namespace {

const std::string kCapsDir = std::string(KVMR_SOURCE_DIR) + "/tests/data/capabilities/";

} // namespace

TEST_CASE("the firmware hint table names the new host's OVMF files where it has them" *
          doctest::test_suite("tools")) {
  const Sandbox box;
  fs::create_directories(box.dir / "payload");
  fs::create_directories(box.dir / "root/usr/share/edk2/ovmf");
  for (const char *f : {"OVMF_CODE.secboot.fd", "OVMF_VARS.fd"}) {
    std::ofstream(box.dir / "root/usr/share/edk2/ovmf" / f) << "fw";
  }
  const fs::path xml = box.dir / "payload" / "efi01.xml";
  std::ofstream(xml) << kEl7UefiDomain;
  // A host of another distribution (upstream machine types, edk2 paths).
  fs::copy_file(kCapsDir + "fedora35-capabilities.xml", box.dir / "caps");
  fs::copy_file(kCapsDir + "fedora35-domcapabilities.xml", box.dir / "domcaps");
  RestoreSpec s;
  s.dialect = Dialect::el9;
  s.firmware = firmware_moves(Dialect::el9);
  s.domains.push_back({"efi01", xml.string(), false});
  const auto r = box.run(render_restore_script(s));
  const std::string log = slurp(box.dir / "log");
  INFO(log);
  CHECK(r.status == 0);
  const std::string defined = arg_after(slurp(box.dir / "calls"), "define");
  CHECK(defined.rfind((box.dir / "xml").string() + "/", 0) == 0);
  const std::string text = slurp(defined);
  // The secboot build the table names (libvirt lists only the plain one
  // for i440fx), so Secure Boot stays on; its template beside it.
  CHECK(
      text.find("secure='yes' type='pflash'>/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd</loader>") !=
      std::string::npos);
  CHECK(text.find("template=\"/usr/share/edk2/ovmf/OVMF_VARS.fd\"") != std::string::npos);
  CHECK(text.find("<description>template was /usr/share/OVMF/OVMF_VARS.fd</description>") !=
        std::string::npos);
  CHECK(text.find(">/var/lib/libvirt/qemu/nvram/efi01_VARS.fd</nvram>") != std::string::npos);
  CHECK(text.find("machine='pc-q35-6.1'") != std::string::npos);
  CHECK(text.find("<emulator>/usr/bin/qemu-system-x86_64</emulator>") != std::string::npos);
  CHECK(slurp(xml) == kEl7UefiDomain); // the payload is not changed
  CHECK(log.find("WARNING") == std::string::npos);
  CHECK(log.find("UEFI loader: /usr/share/OVMF/OVMF_CODE.secboot.fd -> "
                 "/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd") != std::string::npos);
  const auto v = test::sh("command -v virt-xml-validate >/dev/null || exit 77; "
                          "virt-xml-validate " +
                          shell_quote(defined) + " domain");
  if (v.status == 77) {
    kvmr::test::skip("virt-xml-validate not installed (scripts/setup installs libvirt-clients)");
  } else {
    INFO(v.out);
    CHECK(v.status == 0);
  }
}

TEST_CASE("firmware the host has none of and a chipset it lacks are named in the log") {
  const Sandbox box;
  fs::create_directories(box.dir / "payload");
  const fs::path xml = box.dir / "payload" / "efi01.xml";
  std::ofstream(xml) << kEl7UefiDomain;
  RestoreSpec s;
  s.dialect = Dialect::el9;
  s.firmware = firmware_moves(Dialect::el9);
  s.domains.push_back({"efi01", xml.string(), false});
  // RHEL 7's qemu-kvm 1.5.3 has no q35 machine type at all.
  fs::copy_file(kCapsDir + "el7-capabilities.xml", box.dir / "caps");
  CHECK(box.run(render_restore_script(s)).status == 0); // only warnings
  std::string log = slurp(box.dir / "log");
  CHECK(log.find("machine type pc-q35-rhel7.3.0 is not offered by this host's qemu, which has "
                 "no q35: left as it is") != std::string::npos);
  // A host whose libvirt lists no UEFI firmware: install the package.
  const Sandbox box2;
  fs::create_directories(box2.dir / "payload");
  std::ofstream(box2.dir / "payload" / "efi01.xml") << kEl7UefiDomain;
  s.domains[0].xml = (box2.dir / "payload" / "efi01.xml").string();
  fs::copy_file(kCapsDir + "fedora35-capabilities.xml", box2.dir / "caps");
  std::ofstream(box2.dir / "domcaps") << "<domainCapabilities><os supported='yes'>"
                                         "<loader supported='yes'/></os></domainCapabilities>\n";
  CHECK(box2.run(render_restore_script(s)).status == 0);
  log = slurp(box2.dir / "log");
  INFO(log);
  CHECK(log.find("its UEFI firmware /usr/share/OVMF/OVMF_CODE.secboot.fd is not on this host, "
                 "and this host's libvirt offers none: install edk2-ovmf") != std::string::npos);
}

TEST_CASE("a template nothing on the host matches is dropped once the variable store is there") {
  for (const bool installed : {true, false}) {
    CAPTURE(installed);
    const Sandbox box;
    fs::create_directories(box.dir / "payload");
    const fs::path xml = box.dir / "payload" / "efi01.xml";
    std::ofstream(xml) << kEl7UefiDomain;
    if (installed) {
      fs::create_directories(box.dir / "root/var/lib/libvirt/qemu/nvram");
      std::ofstream(box.dir / "root/var/lib/libvirt/qemu/nvram/efi01_VARS.fd") << "vars";
    }
    // The host's libvirt lists a loader with no VARS file beside it.
    fs::copy_file(kCapsDir + "fedora35-capabilities.xml", box.dir / "caps");
    std::ofstream(box.dir / "domcaps")
        << "<domainCapabilities><os supported='yes'><loader supported='yes'>"
           "<value>/usr/share/edk2/ovmf/OVMF_CODE.fd</value></loader></os>"
           "</domainCapabilities>\n";
    RestoreSpec s; // EL7's dialect: no hint table
    s.domains.push_back({"efi01", xml.string(), false});
    CHECK(box.run(render_restore_script(s)).status == 0);
    const std::string log = slurp(box.dir / "log");
    INFO(log);
    const std::string text = slurp(arg_after(slurp(box.dir / "calls"), "define"));
    CHECK(text.find(">/usr/share/edk2/ovmf/OVMF_CODE.fd</loader>") != std::string::npos);
    CHECK(text.find("secure='no'") != std::string::npos); // no Secure Boot build here
    CHECK(log.find("Secure Boot: on -> off") != std::string::npos);
    if (installed) {
      CHECK(text.find("template=") == std::string::npos);
      CHECK(text.find("<nvram>/var/lib/libvirt/qemu/nvram/efi01_VARS.fd</nvram>") !=
            std::string::npos);
      CHECK(log.find("NVRAM template: /usr/share/OVMF/OVMF_VARS.fd -> (none)") !=
            std::string::npos);
      CHECK(slurp(box.dir / "report").find("NVRAM template") != std::string::npos);
    } else {
      CHECK(text.find("template=\"/usr/share/OVMF/OVMF_VARS.fd\"") != std::string::npos);
      CHECK(log.find("is not installed: libvirt cannot make one at start") != std::string::npos);
    }
  }
}

TEST_CASE("a <cpu> not laid out one element per line is left as it is, nothing else lost") {
  const Sandbox box;
  fs::create_directories(box.dir / "payload");
  const fs::path xml = box.dir / "payload" / "one.xml";
  std::ofstream(xml)
      << "<domain type='kvm'>\n  <name>one</name>\n"
         "  <memory unit='KiB'>1048576</memory>\n  <os>\n"
         "    <type arch='x86_64' machine='pc-i440fx-rhel7.0.0'>hvm</type>\n"
         "  </os>\n"
         "  <cpu mode='custom' match='exact'><model>Haswell-noTSX-IBRS</model></cpu>\n"
         "  <devices>\n    <emulator>/usr/libexec/qemu-kvm</emulator>\n"
         "    <interface type='network'>\n      <source network='default'/>\n"
         "      <model type='virtio'/>\n    </interface>\n  </devices>\n"
         "</domain>\n";
  fs::copy_file(kCapsDir + "fedora35-capabilities.xml", box.dir / "caps");
  fs::copy_file(kCapsDir + "tcg-domcapabilities.xml", box.dir / "domcaps"); // model not usable
  RestoreSpec s;
  s.domains.push_back({"one", xml.string(), false});
  CHECK(box.run(render_restore_script(s)).status == 0);
  const std::string log = slurp(box.dir / "log");
  INFO(log);
  const std::string text = slurp(arg_after(slurp(box.dir / "calls"), "define"));
  CHECK(log.find("its <cpu> is not laid out as libvirt writes it") != std::string::npos);
  CHECK(text.find("<model>Haswell-noTSX-IBRS</model>") != std::string::npos);
  CHECK(text.find("<model type='virtio'/>") != std::string::npos);  // the NIC's model stays
  CHECK(text.find("machine='pc-i440fx-6.1'") != std::string::npos); // the rest adapted
}

TEST_CASE("snapshots given children first are redefined parents first") {
  const Sandbox box;
  RestoreSpec s;
  s.domains.push_back({"web01", "/p/web01.xml", false});
  // A three-level chain, in reverse, plus a root of another domain that
  // has a snapshot of the same name.
  s.snapshots.push_back({"web01", "c", "/p/s/c.xml", "b"});
  s.snapshots.push_back({"web01", "b", "/p/s/b.xml", "a"});
  s.snapshots.push_back({"db01", "b", "/p/s/db-b.xml", ""});
  s.snapshots.push_back({"web01", "a", "/p/s/a.xml", ""});
  const auto ordered = order_snapshots(s.snapshots);
  REQUIRE(ordered.size() == 4);
  CHECK(ordered[0].xml == "/p/s/db-b.xml");
  CHECK(ordered[1].xml == "/p/s/a.xml");
  CHECK(ordered[2].xml == "/p/s/b.xml");
  CHECK(ordered[3].xml == "/p/s/c.xml");
  CHECK(box.run(render_restore_script(s)).status == 0);
  const std::string calls = slurp(box.dir / "calls");
  const auto at = [&](const std::string &x) { return calls.find(x + "\n--redefine\n"); };
  CHECK(at("/p/s/a.xml") < at("/p/s/b.xml"));
  CHECK(at("/p/s/b.xml") < at("/p/s/c.xml"));
  CHECK(at("/p/s/c.xml") != std::string::npos);
  // A cycle or a parent that is not there does not lose a snapshot.
  const auto odd =
      order_snapshots({{"d", "x", "/x", "y"}, {"d", "y", "/y", "x"}, {"d", "z", "/z", "gone"}});
  REQUIRE(odd.size() == 3);
  CHECK(odd[0].xml == "/z");
}

TEST_CASE("a snapshot whose parent was unknown is redefined after it, in a later pass") {
  const Sandbox box;
  // This virsh refuses a child before its parent, as libvirt does.
  const std::string calls = shell_quote((box.dir / "calls").string());
  std::ofstream(box.dir / "bin" / "virsh")
      << "#!/bin/bash\nshift 2\ncase $1 in uri) exit 0;; *-info) exit 1;; esac\n"
         "if [ \"$1\" = snapshot-create ]; then\n"
         "  case $3 in */b.xml) grep -qx /p/s/a.xml " +
             calls + " || exit 1;; */c.xml) grep -qx /p/s/b.xml " + calls +
             " || exit 1;; esac\n"
             "fi\n"
             "printf '%s\\n' \"$@\" >> " +
             calls + "\n";
  RestoreSpec s;
  for (const char *n : {"c", "b", "a"}) { // no parents known: the plan's order
    s.snapshots.push_back({"web01", n, std::string("/p/s/") + n + ".xml", ""});
  }
  CHECK(box.run(render_restore_script(s)).status == 0);
  const std::string got = slurp(box.dir / "calls");
  INFO(slurp(box.dir / "log"));
  CHECK(got.find("/p/s/a.xml") < got.find("/p/s/b.xml"));
  CHECK(got.find("/p/s/b.xml") < got.find("/p/s/c.xml"));
  CHECK(got.find("/p/s/c.xml") != std::string::npos);
  CHECK(fs::exists(box.dir / "done"));
  // A snapshot that can never be defined fails once, not forever.
  const Sandbox box2;
  std::ofstream(box2.dir / "bin" / "virsh")
      << "#!/bin/bash\nshift 2\ncase $1 in uri) exit 0;; *-info) exit 1;;"
         " snapshot-create) exit 1;; esac\n";
  CHECK(box2.run(render_restore_script(s)).status == 1);
  CHECK(slurp(box2.dir / "log").find("FAILED: 3 snapshots could not be redefined") !=
        std::string::npos);
}

TEST_CASE("a UEFI variable store of another size than this host's template is named in the log") {
  const Sandbox box;
  fs::create_directories(box.dir / "root/usr/share/edk2/ovmf");
  std::ofstream(box.dir / "root/usr/share/edk2/ovmf/OVMF_VARS.fd") << std::string(540672, '\0');
  std::ofstream(box.dir / "old_VARS.fd") << std::string(131072, '\0');
  std::ofstream(box.dir / "same_VARS.fd") << std::string(540672, '\0');
  RestoreSpec s;
  s.dialect = Dialect::el9;
  s.nvram.push_back({(box.dir / "old_VARS.fd").string(), (box.dir / "nv/old_VARS.fd").string()});
  s.nvram.push_back({(box.dir / "same_VARS.fd").string(), (box.dir / "nv/same_VARS.fd").string()});
  CHECK(box.run(render_restore_script(s)).status == 0); // a warning, not a failure
  const std::string log = slurp(box.dir / "log");
  INFO(log);
  CHECK(fs::file_size(box.dir / "nv/old_VARS.fd") == 131072);
  CHECK(log.find("nv/old_VARS.fd holds 131072 bytes, this host's "
                 "/usr/share/edk2/ovmf/OVMF_VARS.fd 540672") != std::string::npos);
  CHECK(log.find("same_VARS.fd holds") == std::string::npos);
}

TEST_CASE("the script expands no possibly empty array whole (EL7's bash 4.2 under set -u)") {
  // Debian's bash cannot show the 4.2 failure; the script's shape can.
  for (const Dialect d : {Dialect::el7, Dialect::el9}) {
    RestoreSpec s; // no snapshots; no firmware moves on EL7
    s.dialect = d;
    s.firmware = firmware_moves(d);
    const std::string script = render_restore_script(s);
    CHECK(script.find("${!") == std::string::npos);
    // The whole expansions are sed's arguments (after a check that there
    // are some; a rename's always has the name) and virsh's domcapabilities
    // arguments (never empty).
    std::vector<std::string> names; // every "${NAME[@]}"
    for (std::size_t at = script.find("\"${"); at != std::string::npos;
         at = script.find("\"${", at + 1)) {
      std::size_t end = at + 3;
      while (end < script.size() &&
             (std::isalnum(static_cast<unsigned char>(script[end])) != 0 || script[end] == '_')) {
        ++end;
      }
      if (end > at + 3 && script.compare(end, 5, "[@]}\"") == 0) {
        names.push_back(script.substr(at + 3, end - at - 3));
      }
    }
    CHECK(names == std::vector<std::string>{"dc", "dc", "args", "args"});
    const Sandbox box;
    CHECK(box.run(script).status == 0);
  }
}
