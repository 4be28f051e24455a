// The restore script on a live KVM host that already has its own domains,
// networks, pools and secrets (kickstart/restore_live.sh). The real
// generated script runs by bash against a stand-in virsh that answers the
// queries from files describing that host (host/: XML of its objects,
// secret values, domain states) and records every other call: what is
// refused, reused, defined and started, the exit code, the log, the
// report, and what the caller's stderr shows.
#include "kickstart/restore.hpp"
#include "kickstart/shell_quote.hpp"
#include "unit/kickstart/ks_test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

using namespace kvmr::kickstart; // NOLINT(google-build-using-namespace)
namespace fs = std::filesystem;

namespace {

const std::string kHostile = "shop \"test\" $(touch pwned-live) ウェブ";
const std::string kUuidWeb = "11111111-1111-4111-8111-111111111111";
const std::string kUuidDb = "22222222-2222-4222-8222-222222222222";
const std::string kUuidApp = "33333333-3333-4333-8333-333333333333";
const std::string kUuidOdd = "44444444-4444-4444-8444-444444444444";
const std::string kUuidHostWeb = "aaaaaaaa-1111-4111-8111-111111111111";
const std::string kSecretSame = "5ec0e7a1-0000-4000-8000-000000000001";
const std::string kSecretOther = "5ec0e7a1-0000-4000-8000-000000000002";
const std::string kSecretNew = "5ec0e7a1-0000-4000-8000-000000000003";

std::string slurp(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string domain_xml(const std::string &name, const std::string &uuid, const std::string &mac,
                       const std::string &memory, const std::string &iface,
                       const std::string &nvram = "") {
  return "<domain type='kvm'>\n  <name>" + name + "</name>\n  <uuid>" + uuid + "</uuid>\n  " +
         memory + "\n  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n" +
         (nvram.empty() ? "" : "    <nvram>" + nvram + "</nvram>\n") + "  </os>\n" +
         "  <devices>\n    <interface type='" + iface + "'>\n      <mac address='" + mac +
         "'/>\n      <source " + (iface == "network" ? "network='default'" : "bridge='br0'") +
         "/>\n    </interface>\n  </devices>\n</domain>\n";
}

void put(const fs::path &p, const std::string &text) {
  std::ofstream(p) << text;
}

std::string kib(int n) {
  return "<memory unit='KiB'>" + std::to_string(n) + "</memory>\n  <currentMemory unit='KiB'>" +
         std::to_string(n) + "</currentMemory>";
}

// A host and a payload: the host's objects as the stand-in virsh shows
// them, the rescued ones as the script's spec names them.
struct LiveBox {
  fs::path dir = fs::absolute("restore-live-sandbox");
  fs::path host = dir / "host";
  fs::path pl = dir / "payload";

  LiveBox() {
    fs::remove_all(dir);
    for (const auto &d : {dir / "bin", host, pl, dir / "root/proc"}) {
      fs::create_directories(d);
    }
    const std::string h = shell_quote(host.string());
    const std::string calls = shell_quote((dir / "calls").string());
    // Queries are answered from host/; anything else is recorded.
    std::ofstream(dir / "bin" / "virsh")
        << "#!/bin/bash\nshift 2\nH=" << h
        << "\n"
           "case $1 in\n"
           "  uri) exit 0 ;;\n"
           "  *-info) exit 1 ;;\n"
           "  capabilities | domcapabilities) exit 1 ;;\n"
           "  help) [ \"$2\" = pool-list ] && [ ! -e \"$H/el7\" ] && echo '    --uuid  list UUID';"
           " exit 0 ;;\n"
           "  list) cat \"$H/domain.uuids\" 2>/dev/null; exit 0 ;;\n"
           "  net-list) cat \"$H/network.uuids\" 2>/dev/null; exit 0 ;;\n"
           "  pool-list) cat \"$H/pool.uuids\" 2>/dev/null; exit 0 ;;\n"
           "  dumpxml | net-dumpxml | pool-dumpxml) cat \"$H/$3.xml\" ;;\n"
           "  secret-list) echo ' UUID  Usage'; echo '---'; cat \"$H/secrets\" 2>/dev/null; "
           "exit 0 ;;\n"
           "  secret-get-value) cat \"$H/$3.value\" ;;\n"
           "  domstate) cat \"$H/state-$2\" 2>/dev/null || echo 'shut off' ;;\n"
           "  *) printf '%s\\n' \"$@\" >> "
        << calls << "; echo --- >> " << calls
        << " ;;\n"
           "esac\n";
    fs::permissions(dir / "bin" / "virsh", fs::perms::owner_all);
  }
  LiveBox(const LiveBox &) = delete;
  LiveBox &operator=(const LiveBox &) = delete;
  LiveBox(LiveBox &&) = delete;
  LiveBox &operator=(LiveBox &&) = delete;
  ~LiveBox() { fs::remove_all(dir); }

  // An object KIND (domain, network, pool) of this host, by UUID.
  void host_has(const std::string &kind, const std::string &uuid, const std::string &xml) const {
    std::ofstream(host / (kind + ".uuids"), std::ios::app) << uuid << "\n";
    put(host / (uuid + ".xml"), xml);
  }
  void host_secret(const std::string &uuid, const std::string &value) const {
    std::ofstream(host / "secrets", std::ios::app) << " " << uuid << "  ceph client.libvirt\n";
    if (!value.empty()) {
      put(host / (uuid + ".value"), value + "\n");
    }
  }
  void mem_available(long kib) const {
    put(dir / "root/proc/meminfo",
        "MemTotal: 99999999 kB\nMemFree: 1 kB\nMemAvailable:   " + std::to_string(kib) + " kB\n");
  }

  [[nodiscard]] test::Ran run(const RestoreSpec &s, const std::string &args = "") const {
    put(dir / "restore.sh", render_restore_script(s));
    const auto env = [&](const char *k, const std::string &v) {
      return std::string(k) + "=" + shell_quote((dir / v).string()) + " ";
    };
    return test::sh("cd " + shell_quote(dir.string()) +
                    " && PATH=" + shell_quote((dir / "bin").string()) + ":$PATH " +
                    env("KVMR_RESTORE_LOG", "log") + env("KVMR_RESTORE_DONE", "state/done") +
                    env("KVMR_RESTORE_XML", "xml") + env("KVMR_RESTORE_ROOT", "root") +
                    env("KVMR_RESTORE_NVRAM_DIR", "nv") + "bash restore.sh " + args);
  }
  [[nodiscard]] std::string calls() const { return slurp(dir / "calls"); }
  [[nodiscard]] std::string report() const { return slurp(dir / "state/restore-report.txt"); }
  [[nodiscard]] std::string log() const { return slurp(dir / "log"); }
};

// The rescued host: web01 (autostart, a snapshot; this host has a domain
// of that name), db01 (this host has its UUID), app01 (autostart, its MAC
// used here, network default), the hostile name (new); networks default
// (another bridge here) and lan (new); pools default (the same path here)
// and other (another path here); three secrets (the same value here,
// another value here, new).
RestoreSpec live_spec(const LiveBox &b) {
  const std::string p = b.pl.string() + "/";
  put(p + "web01.xml", domain_xml("web01", kUuidWeb, "52:54:00:00:00:01", kib(2097152), "bridge"));
  put(p + "db01.xml", domain_xml("db01", kUuidDb, "52:54:00:00:00:02", kib(1048576), "bridge",
                                 (b.dir / "nv" / "db01_VARS.fd").string()));
  put(p + "app01.xml", domain_xml("app01", kUuidApp, "52:54:00:00:00:03",
                                  "<memory unit='GiB'>1</memory>", "network"));
  put(p + "odd.xml", domain_xml(kHostile, kUuidOdd, "52:54:00:00:00:04", kib(1024), "bridge"));
  put(p + "web01-snap.xml", "<domainsnapshot><name>s1</name></domainsnapshot>\n");
  put(p + "net-default.xml", "<network>\n  <name>default</name>\n  <uuid>"
                             "99999999-0000-4000-8000-000000000001</uuid>\n"
                             "  <bridge name='virbr0' stp='on' delay='0'/>\n</network>\n");
  put(p + "net-lan.xml", "<network>\n  <name>lan</name>\n  <bridge name='br-lan'/>\n</network>\n");
  put(p + "pool-default.xml", "<pool type='dir'>\n  <name>default</name>\n  <target>\n"
                              "    <path>/var/lib/libvirt/images/</path>\n  </target>\n</pool>\n");
  put(p + "pool-other.xml", "<pool type='dir'>\n  <name>other</name>\n  <target>\n"
                            "    <path>/srv/old</path>\n  </target>\n</pool>\n");
  for (const auto &u : {kSecretSame, kSecretOther, kSecretNew}) {
    put(p + u + ".xml", "<secret><uuid>" + u + "</uuid></secret>\n");
    put(p + u + ".base64", "QUJDREVGRw==\n");
  }
  RestoreSpec s;
  s.domains.push_back({"web01", p + "web01.xml", true});
  s.domains.push_back({"db01", p + "db01.xml", false});
  s.domains.push_back({"app01", p + "app01.xml", true});
  s.domains.push_back({kHostile, p + "odd.xml", false});
  s.snapshots.push_back({"web01", "s1", p + "web01-snap.xml", ""});
  s.networks.push_back({"default", p + "net-default.xml", true});
  s.networks.push_back({"lan", p + "net-lan.xml", false});
  s.pools.push_back({"default", p + "pool-default.xml", true});
  s.pools.push_back({"other", p + "pool-other.xml", false});
  for (const auto &u : {kSecretSame, kSecretOther, kSecretNew}) {
    s.secrets.push_back({u, p + u + ".xml", p + u + ".base64"});
  }
  s.nvram.push_back({p + "web01.xml", (b.dir / "nv" / "db01_VARS.fd").string()});
  return s;
}

// This host: a domain web01 of its own, host-db with db01's UUID, mail
// with app01's MAC; network default on another bridge; pool default at
// the same path, pool other elsewhere; two of the secrets.
void live_host(const LiveBox &b) {
  b.host_has("domain", kUuidHostWeb,
             domain_xml("web01", kUuidHostWeb, "52:54:00:aa:00:01", kib(1024), "bridge"));
  b.host_has("domain", kUuidDb,
             domain_xml("host-db", kUuidDb, "52:54:00:aa:00:02", kib(1024), "bridge"));
  b.host_has("domain", "bbbbbbbb-1111-4111-8111-111111111111",
             domain_xml("mail", "bbbbbbbb-1111-4111-8111-111111111111", "52:54:00:00:00:03",
                        kib(1024), "bridge"));
  b.host_has("network", "cccccccc-1111-4111-8111-111111111111",
             "<network><name>default</name><uuid>cccccccc-1111-4111-8111-111111111111</uuid>"
             "<bridge name='virbr9'/></network>\n");
  b.host_has("pool", "dddddddd-1111-4111-8111-111111111111",
             "<pool type='dir'><name>default</name><uuid>dddddddd-1111-4111-8111-111111111111"
             "</uuid><target><path>/var/lib/libvirt/images</path></target></pool>\n");
  b.host_has("pool", "eeeeeeee-1111-4111-8111-111111111111",
             "<pool type='dir'><name>other</name><uuid>eeeeeeee-1111-4111-8111-111111111111"
             "</uuid><target><path>/srv/vms</path></target></pool>\n");
  b.host_secret(kSecretSame, "QUJDREVGRw==");
  b.host_secret(kSecretOther, "WllYV1ZV");
}

bool has(const std::string &text, const std::string &s) {
  return text.find(s) != std::string::npos;
}

} // namespace

TEST_CASE("on a live host nothing of its own is redefined; each refusal says why") {
  const LiveBox box;
  live_host(box);
  const RestoreSpec s = live_spec(box);
  const auto r = box.run(s);
  const std::string calls = box.calls();
  const std::string log = box.log();
  INFO(log);
  CHECK(r.status == 3); // refused, not failed
  CHECK_FALSE(fs::exists(box.dir / "pwned-live"));
  // Domains: web01 (name) and db01 (UUID) refused, web01's snapshot too;
  // app01 and the hostile name defined.
  CHECK_FALSE(has(calls, "define\n" + box.pl.string() + "/web01.xml\n"));
  CHECK_FALSE(has(calls, "define\n" + box.pl.string() + "/db01.xml\n"));
  CHECK_FALSE(has(calls, "snapshot-create"));
  CHECK_FALSE(has(calls, "autostart\nweb01\n"));
  CHECK(has(calls, "define\n" + box.pl.string() + "/app01.xml\n"));
  CHECK(has(calls, "autostart\napp01\n"));
  CHECK(has(calls, "define\n" + box.pl.string() + "/odd.xml\n"));
  CHECK(has(log, "REFUSED: domain web01: this host already has a domain of that name (UUID " +
                     kUuidHostWeb + ")"));
  CHECK(
      has(log, "REFUSED: domain db01: this host's domain host-db already has its UUID " + kUuidDb));
  // db01's UEFI variable store is not installed.
  CHECK_FALSE(fs::exists(box.dir / "nv" / "db01_VARS.fd"));
  // Networks: default refused (another bridge), lan defined.
  CHECK_FALSE(has(calls, "net-define\n" + box.pl.string() + "/net-default.xml\n"));
  CHECK_FALSE(has(calls, "net-autostart\ndefault\n"));
  CHECK(has(calls, "net-define\n" + box.pl.string() + "/net-lan.xml\n"));
  CHECK(has(log, "REFUSED: network default: this host already has a network of that name, with "
                 "bridge virbr9; the rescued one has bridge virbr0"));
  CHECK(has(log, "WARNING: domain app01: it uses network default, which was refused"));
  // Pools: default reused (the same path, a trailing / aside), other refused.
  CHECK_FALSE(has(calls, "pool-define"));
  CHECK(has(log, "storage pool default: reused: this host already has a pool of that name with "
                 "the same target path /var/lib/libvirt/images"));
  CHECK(has(log, "REFUSED: storage pool other: this host already has a pool of that name, with "
                 "target path /srv/vms; the rescued one has target path /srv/old"));
  // Secrets: never redefined nor set when here; the new one is.
  CHECK_FALSE(has(calls, "secret-define\n" + box.pl.string() + "/" + kSecretSame));
  CHECK_FALSE(has(calls, "secret-define\n" + box.pl.string() + "/" + kSecretOther));
  CHECK_FALSE(has(calls, "--secret\n" + kSecretOther));
  CHECK(has(calls, "secret-define\n" + box.pl.string() + "/" + kSecretNew));
  CHECK(has(log,
            "secret " + kSecretSame + ": reused: this host already has it, with the same value"));
  CHECK(has(log,
            "REFUSED: secret " + kSecretOther + ": THIS HOST ALREADY HAS IT WITH ANOTHER VALUE"));
  CHECK_FALSE(has(log, "WllYV1ZV")); // no value shown
  // A MAC address in use here: a warning; the domain is defined.
  CHECK(has(log, "WARNING: domain app01: its MAC address 52:54:00:00:00:03 is already used by "
                 "this host's domain mail"));
  // The caller's stderr has each refusal; the report too, and the states.
  for (const std::string &text : {r.out, box.report()}) {
    CHECK(has(text, "REFUSED: domain web01:"));
    CHECK(has(text, "REFUSED: network default:"));
    CHECK(has(text, "REFUSED: secret " + kSecretOther));
  }
  CHECK(has(r.out, "5 refused or not started"));
  const std::string report = box.report();
  CHECK(has(report, "web01: REFUSED: this host already has a domain of that name"));
  CHECK(has(report, "app01: shut off"));
  CHECK(has(report, kHostile + ": shut off"));
  CHECK(has(report, "autostart VMs not started now (--start starts them"));
  CHECK_FALSE(fs::exists(box.dir / "state/done")); // it can run again
}

TEST_CASE("--dry-run lists what would be refused, reused and defined, changes nothing") {
  const LiveBox box;
  live_host(box);
  const auto r = box.run(live_spec(box), "--dry-run --start");
  INFO(r.out);
  CHECK(r.status == 3);
  CHECK(has(r.out, "REFUSED: domain web01:"));
  CHECK(has(r.out, "REFUSED: domain db01:"));
  CHECK(has(r.out, "not redefined: snapshot s1 of web01 (the domain was refused)"));
  CHECK(has(r.out, "storage pool default: reused"));
  CHECK(has(r.out, "would run: v define " + box.pl.string() + "/app01.xml"));
  CHECK(has(r.out, "would run: v net-define " + box.pl.string() + "/net-lan.xml"));
  CHECK(has(r.out, "nothing started: this host's available memory"));
  CHECK(has(r.out, "web01: REFUSED:"));
  CHECK_FALSE(fs::exists(box.dir / "calls"));
  CHECK_FALSE(fs::exists(box.dir / "state"));
  CHECK_FALSE(fs::exists(box.dir / "log"));
}

TEST_CASE("what an earlier run defined is defined again; the host's own of the same UUID is not") {
  for (const bool owned : {true, false}) {
    CAPTURE(owned);
    const LiveBox box;
    const RestoreSpec s = live_spec(box);
    box.host_has("domain", kUuidWeb,
                 domain_xml("web01", kUuidWeb, "52:54:00:00:00:01", kib(2097152), "bridge"));
    fs::create_directories(box.dir / "state");
    if (owned) {
      put(box.dir / "state/restore.defined", "domain " + kUuidWeb + "\n");
    }
    const auto r = box.run(s);
    const std::string log = box.log();
    INFO(log);
    CHECK(has(box.calls(), "define\n" + box.pl.string() + "/web01.xml\n") == owned);
    CHECK(r.status == (owned ? 0 : 3));
    if (!owned) {
      CHECK(has(log, "with the same UUID: the same VM, which this restore did not define here"));
    }
    // Every domain this run defined is listed for the next run.
    const std::string defined = slurp(box.dir / "state/restore.defined");
    CHECK(has(defined, "domain " + kUuidApp + "\n"));
    CHECK(has(defined, "domain " + kUuidWeb + "\n") == owned);
  }
}

TEST_CASE("--start starts the autostart VMs only when their memory fits MemAvailable") {
  // web01 2 GiB and app01 1 GiB (unit GiB, no currentMemory): 3 GiB.
  for (const long avail : {3145727L, 3145728L}) {
    CAPTURE(avail);
    const LiveBox box;
    box.mem_available(avail);
    // The dry run says what a real run would start, or why not.
    const auto dry = box.run(live_spec(box), "--dry-run --start");
    CHECK(has(dry.out, avail < 3145728L ? "REFUSED: nothing started"
                                        : "would start the autostart VMs: web01 (2048 MiB), "
                                          "app01 (1024 MiB); 3072 MiB of 3072 MiB available"));
    CHECK(has(dry.out, "would run: v start web01") == (avail >= 3145728L));
    CHECK(dry.status == (avail < 3145728L ? 3 : 0));
    const auto r = box.run(live_spec(box), "--start");
    const std::string calls = box.calls();
    const std::string report = box.report();
    INFO(box.log());
    if (avail < 3145728L) {
      CHECK(r.status == 3);
      CHECK_FALSE(has(calls, "---\nstart\n"));
      CHECK(has(report, "REFUSED: nothing started: the autostart VMs need 3072 MiB together, this "
                        "host has 3071 MiB available (MemAvailable): web01 (2048 MiB), app01 "
                        "(1024 MiB)"));
      CHECK(has(calls, "define\n" + box.pl.string() + "/web01.xml\n")); // defined all the same
    } else {
      CHECK(r.status == 0);
      CHECK(has(calls, "---\nstart\nweb01\n"));
      CHECK(has(calls, "---\nstart\napp01\n"));
      CHECK_FALSE(has(calls, "---\nstart\ndb01\n")); // not autostart
      CHECK(fs::exists(box.dir / "state/done"));
    }
  }
  // Without --start nothing is started, and no memory is needed.
  const LiveBox box;
  CHECK(box.run(live_spec(box)).status == 0);
  CHECK_FALSE(has(box.calls(), "---\nstart\n"));
}

TEST_CASE("a domain's memory is read in its unit") {
  const LiveBox box;
  const std::string src = std::string(KVMR_SOURCE_DIR) + "/kickstart/";
  const auto mem = [&](const std::string &elements) {
    put(box.dir / "m.xml", "<domain>" + elements + "</domain>\n");
    return test::sh("bash -c " +
                    shell_quote("set -u; dry=1; source " + shell_quote(src + "restore_adapt.sh") +
                                "; source " + shell_quote(src + "restore_live.sh") +
                                "; lv_mem_kib " + shell_quote((box.dir / "m.xml").string()) +
                                " || echo unreadable"))
        .out;
  };
  CHECK(mem("<memory>2048</memory>") == "2048\n"); // KiB by default
  CHECK(mem("<memory unit='KiB'>4096</memory><currentMemory unit='KiB'>1024</currentMemory>") ==
        "1024\n");
  CHECK(mem("<memory unit='MiB'>512</memory>") == "524288\n");
  CHECK(mem("<memory unit='M'>512</memory>") == "524288\n");
  CHECK(mem("<memory unit='G'>2</memory>") == "2097152\n");
  CHECK(mem("<memory unit='GB'>1</memory>") == "976563\n"); // 10^9 bytes, rounded up
  CHECK(mem("<memory unit='b'>1025</memory>") == "2\n");
  CHECK(mem("<memory unit='bytes'>1073741824</memory>") == "1048576\n");
  CHECK(mem("<memory unit='TiB'>1</memory>") == "1073741824\n");
  CHECK(mem("<memory unit='EiB'>99999</memory>") ==
        "4611686018427387904\n"); // too much: never fits
  CHECK(mem("<memory unit='parsec'>1</memory>") == "unreadable\n");
  CHECK(mem("<memory>$(touch pwned-live)</memory>") == "unreadable\n");
  CHECK(mem("") == "unreadable\n");
  CHECK_FALSE(fs::exists(box.dir / "pwned-live"));
}

TEST_CASE("a private secret is kept with a warning; EL7's virsh finds the pools by name") {
  const LiveBox box;
  const RestoreSpec s = live_spec(box);
  box.host_secret(kSecretSame, ""); // private: secret-get-value fails
  // EL7's virsh 4.5: pool-list has no --uuid; pool-dumpxml finds by name.
  put(box.host / "el7", "");
  put(box.host / "other.xml", "<pool type='dir'><name>other</name><uuid>"
                              "eeeeeeee-1111-4111-8111-111111111111</uuid><target><path>"
                              "/srv/vms</path></target></pool>\n");
  const auto r = box.run(s);
  const std::string log = box.log();
  INFO(log);
  CHECK(r.status == 3); // the pool
  CHECK(has(log, "WARNING: secret " + kSecretSame +
                     ": this host already has it, and its value "
                     "cannot be read back"));
  CHECK_FALSE(has(box.calls(), "secret-define\n" + box.pl.string() + "/" + kSecretSame));
  CHECK(has(log, "REFUSED: storage pool other: this host already has a pool of that name, with "
                 "target path /srv/vms"));
  CHECK(has(box.calls(), "pool-define\n" + box.pl.string() + "/pool-default.xml\n"));
  CHECK(has(log, "1 refused or not started"));
}

// --- --rename OLD NEW (kickstart/restore_rename.sh) ---------------------------------

namespace {

// "word"... each quoted for the shell: the script's argv.
std::string argv(std::initializer_list<std::string> words) {
  std::string out;
  for (const auto &w : words) {
    out += shell_quote(w) + " ";
  }
  return out;
}

// The file the stand-in virsh was asked to define for the domain NAME.
fs::path defined_as(const LiveBox &b, const std::string &name) {
  const std::string calls = b.calls();
  for (std::size_t at = calls.find("define\n"); at != std::string::npos;
       at = calls.find("define\n", at + 1)) {
    if (at != 0 && calls[at - 1] != '\n') {
      continue; // net-define, pool-define
    }
    const std::size_t start = at + 7;
    fs::path file = calls.substr(start, calls.find('\n', start) - start);
    if (slurp(file).find("<name>" + name + "</name>") != std::string::npos) {
      return file;
    }
  }
  return {};
}

// A snapshot of db01 as libvirt keeps it, its domain inside.
void db01_snapshot(const LiveBox &b, RestoreSpec &s) {
  const std::string path = b.pl.string() + "/db01-snap.xml";
  put(path, "<domainsnapshot>\n  <name>s2</name>\n  <domain type='kvm'>\n    <name>db01</name>\n"
            "    <uuid>" +
                kUuidDb + "</uuid>\n    <os>\n      <nvram>" +
                (b.dir / "nv/db01_VARS.fd").string() +
                "</nvram>\n    </os>\n  </domain>\n</domainsnapshot>\n");
  s.snapshots.push_back({"db01", "s2", path, ""});
}

} // namespace

TEST_CASE("--rename OLD NEW defines a refused domain under NEW, beside the host's own") {
  const LiveBox box;
  live_host(box);
  RestoreSpec s = live_spec(box);
  db01_snapshot(box, s);
  fs::create_directories(box.dir / "nv");
  put(box.dir / "nv/db01_VARS.fd", "this host's own store");
  const std::string web = "ウェブ \"新\" $(touch pwned-live) & <x>=y";
  const auto r = box.run(s, argv({"--rename", "web01", web, "--rename", "db01", "db01-rescued"}));
  const std::string log = box.log();
  const std::string calls = box.calls();
  INFO(log);
  CHECK(r.status == 3); // the network, pool and secret refusals stay
  CHECK_FALSE(fs::exists(box.dir / "pwned-live"));
  CHECK_FALSE(has(log, "REFUSED: domain web01"));
  CHECK_FALSE(has(log, "REFUSED: domain db01"));
  // web01 (this host has its name): under the new name, its UUID kept.
  const std::string esc = "ウェブ \"新\" $(touch pwned-live) &amp; &lt;x&gt;=y";
  const fs::path w = defined_as(box, esc);
  REQUIRE_FALSE(w.empty());
  CHECK(has(slurp(w), "<uuid>" + kUuidWeb + "</uuid>"));
  CHECK(has(calls, "autostart\n" + web + "\n"));
  CHECK(has(calls, "snapshot-create\n" + web + "\n" + box.pl.string() + "/web01-snap.xml\n"));
  CHECK(has(log, "rename: domain web01 is defined as " + web + ": " + web +
                     " is free on this host; its UUID " + kUuidWeb + " kept"));
  // db01 (this host has its UUID): a new UUID, in its snapshot too; its
  // store under the new name, the host's file untouched.
  const fs::path d = defined_as(box, "db01-rescued");
  REQUIRE_FALSE(d.empty());
  const std::string dx = slurp(d);
  const std::size_t u = dx.find("<uuid>") + 6;
  const std::string uuid = dx.substr(u, 36);
  CHECK(uuid != kUuidDb);
  CHECK(has(dx, "<nvram>" + (box.dir / "nv/db01-rescued_VARS.fd").string() + "</nvram>"));
  CHECK(slurp(box.dir / "nv/db01_VARS.fd") == "this host's own store");
  CHECK(slurp(box.dir / "nv/db01-rescued_VARS.fd") == slurp(box.pl / "web01.xml"));
  CHECK(has(log, "its UUID " + kUuidDb + " is this host's domain host-db's: it gets the UUID " +
                     uuid + " (so do its 1 snapshots' XML)"));
  const std::size_t sc = calls.find("snapshot-create\ndb01-rescued\n");
  REQUIRE(sc != std::string::npos);
  const std::string snap = calls.substr(sc + 29, calls.find('\n', sc + 29) - sc - 29);
  CHECK(has(slurp(snap), "    <name>db01-rescued</name>\n    <uuid>" + uuid + "</uuid>"));
  CHECK(has(slurp(snap), "  <name>s2</name>")); // the snapshot's own name kept
  CHECK(has(slurp(box.dir / "state/restore.defined"), "domain " + uuid + "\n"));
  CHECK(has(box.report(), "db01-rescued (db01 on the old host): shut off"));
  // The payload is as the old host wrote it.
  CHECK(has(slurp(box.pl / "db01.xml"), "<name>db01</name>"));
}

TEST_CASE("--rename: the dry run lists each rename; a run again keeps what the first gave") {
  const LiveBox box;
  live_host(box);
  const RestoreSpec s = live_spec(box);
  const auto args = argv({"--rename", "db01", "db01 copy"});
  const auto dry = box.run(s, "--dry-run " + args);
  CHECK(has(dry.out, "rename: domain db01 is defined as db01 copy: db01 copy is free on this "
                     "host; its UUID " +
                         kUuidDb + " is this host's domain host-db's: it gets the UUID "));
  CHECK(has(dry.out, "db01 copy (db01 on the old host): shut off; would be defined"));
  CHECK(has(dry.out, "would run: install -D -m 0600 " + box.pl.string() + "/web01.xml " +
                         (box.dir / "nv/db01 copy_VARS.fd").string()));
  CHECK_FALSE(fs::exists(box.dir / "calls"));
  CHECK_FALSE(fs::exists(box.dir / "state"));
  REQUIRE(box.run(s, args).status == 3);
  const fs::path d = defined_as(box, "db01 copy");
  REQUIRE_FALSE(d.empty());
  const std::string first = slurp(d);
  const std::string uuid = first.substr(first.find("<uuid>") + 6, 36);
  // The host now has "db01 copy" (this script's): defined again, same UUID.
  box.host_has("domain", uuid, first);
  fs::remove(box.dir / "calls");
  const auto again = box.run(s, args);
  INFO(box.log());
  CHECK(again.status == 3);
  CHECK(has(box.log(), "db01 copy is the domain an earlier run of this script defined"));
  CHECK(slurp(defined_as(box, "db01 copy")) == first);
}

TEST_CASE("--rename that cannot be done stops the run before anything is defined") {
  const std::string odd = "odd\nname $(touch pwned-live) 'q'";
  struct Case {
    std::vector<std::string> args;
    std::string why;
  };
  const std::vector<Case> cases = {
      {{"--rename", "nosuch", "x"}, "no rescued domain nosuch (the rescued domains: web01, db01, "},
      {{"--rename", "web01", "mail"}, "this host already has a domain mail (UUID bbbbbbbb-"},
      {{"--rename", "web01", "app01"}, "another rescued domain is named app01"},
      {{"--rename", "web01", "a/b"}, "the new name holds a '/'"},
      {{"--rename", "web01", "a\nb"}, "the new name holds a newline"},
      {{"--rename", "web01", ""}, "the new name is empty"},
      {{"--rename", "web01", std::string(201, 'x')}, "longer than 200 bytes"},
      {{"--rename", "web01", "w1", "--rename", "web01", "w2"}, "web01 is renamed twice"},
      {{"--rename", "web01", "w", "--rename", odd, "w"}, "another --rename gives the name w too"},
      {{"--rename", "db01", "held"}, "this host already has a file "},
  };
  for (const auto &c : cases) {
    CAPTURE(c.why);
    for (const bool dry : {true, false}) {
      const LiveBox box;
      live_host(box);
      RestoreSpec s = live_spec(box);
      s.domains.push_back({odd, box.pl.string() + "/odd.xml", false});
      fs::create_directories(box.dir / "nv");
      put(box.dir / "nv/held_VARS.fd", "a file of this host");
      std::string args = dry ? "--dry-run " : "";
      for (const auto &w : c.args) {
        args += shell_quote(w) + " ";
      }
      const auto r = box.run(s, args);
      INFO(r.out);
      CHECK(r.status == 2);
      CHECK(has(r.out, "REFUSED: --rename "));
      CHECK(has(r.out, c.why));
      CHECK_FALSE(fs::exists(box.dir / "calls")); // nothing defined
      CHECK_FALSE(fs::exists(box.dir / "pwned-live"));
    }
  }
  // A name with a newline (escaped in its XML) is renamed like any other.
  const LiveBox box;
  RestoreSpec s = live_spec(box);
  put(box.pl / "odd2.xml", domain_xml("odd&#10;name", "55555555-5555-4555-8555-555555555555",
                                      "52:54:00:00:00:05", kib(1024), "bridge"));
  s.domains.push_back({"odd\nname", box.pl.string() + "/odd2.xml", false});
  const auto r = box.run(s, argv({"--rename", "odd\nname", "新しい名前"}));
  INFO(box.log());
  CHECK(r.status == 0);
  CHECK_FALSE(defined_as(box, "新しい名前").empty());
  // Usage: --rename takes two words; no one-word form.
  for (const char *bad : {"--rename web01", "--rename=web01=w"}) {
    const auto u = box.run(s, std::string(bad));
    CHECK(u.status == 2);
    CHECK(has(u.out, "--rename OLD NEW"));
  }
}
