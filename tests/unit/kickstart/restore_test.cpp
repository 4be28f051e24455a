// The first-boot restore script, run for real by bash against a stand-in
// virsh that records its arguments: order, quoting of hostile names,
// idempotence and the done mark.
#include "kickstart/restore.hpp"

#include "kickstart/post.hpp"
#include "kickstart/render.hpp"
#include "kickstart/shell_quote.hpp"
#include "unit/kickstart/ks_test_util.hpp"

#include <doctest/doctest.h>

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
  s.snapshots.push_back({"web01", "before-update", pl + "/snap/web01/before-update.xml"});
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
    // A virsh that answers `uri`, says nothing is active and records
    // each call's arguments, one per line.
    std::ofstream(dir / "bin" / "virsh") << "#!/bin/bash\n"
                                            "shift 2\n"
                                            "case $1 in uri) exit 0;; *-info) exit 1;; esac\n"
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
  [[nodiscard]] test::Ran run(const std::string &script) const {
    std::ofstream(dir / "restore.sh") << script;
    return test::sh(
        "cd " + shell_quote(dir.string()) + " && PATH=" + shell_quote((dir / "bin").string()) +
        ":$PATH KVMR_RESTORE_LOG=" + shell_quote((dir / "log").string()) +
        " KVMR_RESTORE_DONE=" + shell_quote((dir / "done").string()) + " bash restore.sh");
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
  // Only the real %end lines: one for %packages, one for %post.
  std::size_t ends = 0;
  for (std::size_t pos = ks.find("\n%end\n"); pos != std::string::npos;
       pos = ks.find("\n%end\n", pos + 1)) {
    ++ends;
  }
  CHECK(ends == 2);
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

TEST_CASE("write_file_lines writes the exact bytes, as here-document or base64") {
  const fs::path dir = fs::absolute("write-file-lines");
  fs::remove_all(dir);
  for (const std::string &content :
       {std::string("#!/bin/bash\necho 'a b' \"$x\"\nKVMR_EOF\n"),
        std::string("line\n%end\n") + kHostile + "\nno newline at the end", std::string("ab"),
        std::string("abc\n")}) {
    const std::string path = (dir / "sub" / "f").string();
    std::string script;
    for (const auto &l : write_file_lines(path, content, "0640")) {
      script += l + "\n";
    }
    std::ofstream(dir.string() + ".sh") << script;
    const auto r = test::sh("bash " + shell_quote(dir.string() + ".sh"));
    INFO(script);
    CHECK(r.status == 0);
    // A here-document always ends in a newline; base64 keeps the bytes.
    const std::string got = slurp(path);
    CHECK((got == content || got == content + "\n"));
    CHECK((fs::status(path).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
    fs::remove_all(dir);
    fs::remove(dir.string() + ".sh");
  }
}
