// Discovery of the libvirt configuration on the old host's tree (here a
// MountedTree over the fixture's files in a temporary directory).
#include "rescue/scan/libvirt_config.hpp"
#include "rescue/volume/mounted_tree.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/scan/libvirt_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

using namespace kvmr::scan;
using namespace kvmr::test;
using kvmr::io::FileType;
using kvmr::volume::MountedTree;

namespace {

const std::string secret_value = "AQDLdUBgAAAAABAAS1ZNUmZpeHR1cmUtY2VwaC1rZXk=";
const std::string secret_uuid = "4b564d52-5300-4000-8000-000000000001";

// How many warnings contain all of PARTS.
std::size_t warned(const LibvirtConfig &c, std::initializer_list<std::string> parts) {
  return static_cast<std::size_t>(
      std::count_if(c.warnings.begin(), c.warnings.end(), [&](const std::string &w) {
        return std::all_of(parts.begin(), parts.end(),
                           [&](const std::string &p) { return w.find(p) != std::string::npos; });
      }));
}

const DomainFile &domain(const LibvirtConfig &c, const std::string &file) {
  const std::string path = "/etc/libvirt/qemu/" + file + ".xml";
  const auto it = std::find_if(c.domains.begin(), c.domains.end(),
                               [&](const DomainFile &d) { return d.path == path; });
  REQUIRE_MESSAGE(it != c.domains.end(), "no " << path);
  return *it;
}

void link(const std::string &target, const std::string &path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::filesystem::create_symlink(target, path);
}

std::string dump(const LibvirtConfig &c) {
  std::string s;
  for (const auto &w : c.warnings) {
    s += "  " + w + "\n";
  }
  return s;
}

} // namespace

TEST_CASE("the fixture host: domains, autostart, network, pool and its images, secret") {
  TempDir dir;
  write_fixture_libvirt(dir.path().string());
  write_text(dir / "var/lib/libvirt/images/web01.img", std::string(4096, 'w'));
  write_text(dir / "var/lib/libvirt/images/mail01.qcow2", "QFI\xfb");
  MountedTree tree(dir.path().string());
  const LibvirtConfig c = read_libvirt_config(tree);
  INFO("warnings:\n" << dump(c));

  REQUIRE(c.domains.size() == 5);
  CHECK(c.domains[0].path == "/etc/libvirt/qemu/app01.xml");
  CHECK(c.domains[1].path == "/etc/libvirt/qemu/db01.xml");
  CHECK(c.domains[2].path == "/etc/libvirt/qemu/mail01.xml");
  CHECK(c.domains[3].path == "/etc/libvirt/qemu/" + hostile_file + ".xml");
  CHECK(c.domains[4].path == "/etc/libvirt/qemu/web01.xml");
  for (const auto &d : c.domains) {
    CHECK_MESSAGE(d.domain.has_value(), d.path << ": " << d.error);
    CHECK(d.error.empty());
  }
  CHECK(domain(c, "web01").autostart);
  CHECK(domain(c, "app01").autostart);
  CHECK(domain(c, "db01").autostart);
  CHECK(domain(c, hostile_file).autostart);
  CHECK_FALSE(domain(c, "mail01").autostart);
  CHECK(domain(c, "web01").domain->disks.at(0).source.file == "/var/lib/libvirt/images/web01.img");
  CHECK(domain(c, "db01").domain->disks.at(0).source.dev == "/dev/centos/db01");
  CHECK(domain(c, "app01").domain->nvram->path == "/var/lib/libvirt/qemu/nvram/app01_VARS.fd");
  CHECK(domain(c, hostile_file).domain->name == hostile_name);

  REQUIRE(c.networks.size() == 1);
  CHECK(c.networks[0].path == "/etc/libvirt/qemu/networks/default.xml");
  CHECK(c.networks[0].autostart);
  CHECK(c.networks[0].network->bridge == "virbr0");

  REQUIRE(c.pools.size() == 1);
  CHECK(c.pools[0].autostart);
  CHECK(c.pools[0].pool->target_path == "/var/lib/libvirt/images");
  REQUIRE(c.pools[0].volumes.size() == 2);
  CHECK(c.pools[0].volumes[0].name == "mail01.qcow2");
  CHECK(c.pools[0].volumes[0].path == "/var/lib/libvirt/images/mail01.qcow2");
  CHECK(c.pools[0].volumes[0].type == FileType::regular);
  CHECK(c.pools[0].volumes[0].size == 4);
  CHECK(c.pools[0].volumes[1].name == "web01.img");
  CHECK(c.pools[0].volumes[1].size == 4096);

  REQUIRE(c.secrets.size() == 1);
  CHECK(c.secrets[0].path == "/etc/libvirt/secrets/" + secret_uuid + ".xml");
  CHECK(c.secrets[0].secret->usage_type == "ceph");
  CHECK(c.secrets[0].value_present);
  CHECK(c.secrets[0].value_size == secret_value.size());
  CHECK(c.secrets[0].secret->description.find(secret_value) == std::string::npos);

  // mail01's two snapshots as libvirt 4.5 keeps them: a root and its child.
  REQUIRE(c.snapshots.size() == 2);
  CHECK(c.snapshots[0].path == "/var/lib/libvirt/qemu/snapshot/mail01/after-update.xml");
  CHECK(c.snapshots[0].snapshot->parent == "before-update");
  CHECK(c.snapshots[1].snapshot->parent.empty());
  CHECK(c.nwfilters.empty());
  CHECK(c.hooks.empty());
  CHECK_FALSE(c.qemu_conf.present);

  // The only remark: the hostile domain's file could not carry its "/".
  CHECK(c.warnings.size() == 1);
  CHECK(warned(c, {hostile_file + ".xml", "whose name differs"}) == 1);
  for (const auto &w : c.warnings) {
    CHECK(w.find(secret_value) == std::string::npos);
  }
}

TEST_CASE("a broken domain file is listed with the parser's message; the others come through") {
  TempDir dir;
  write_fixture_libvirt(dir.path().string());
  std::string text = read_text(dir / "etc/libvirt/qemu/mail01.xml");
  text.resize(text.find("</devices>")); // cut off mid-file, as by a bad sector
  write_text(dir / "etc/libvirt/qemu/mail01.xml", text);
  write_text(dir / "etc/libvirt/qemu/zz-empty.xml", "");
  write_text(dir / "etc/libvirt/qemu/notes.txt", "not a domain");
  MountedTree tree(dir.path().string());
  const LibvirtConfig c = read_libvirt_config(tree);
  INFO("warnings:\n" << dump(c));

  REQUIRE(c.domains.size() == 6);
  const DomainFile &mail = domain(c, "mail01");
  CHECK_FALSE(mail.domain.has_value());
  CHECK(mail.error.find("/etc/libvirt/qemu/mail01.xml:") == 0);
  CHECK(mail.error.find("Premature end of data") != std::string::npos);
  CHECK_FALSE(domain(c, "zz-empty").domain.has_value());
  CHECK(domain(c, "zz-empty").error.find("/etc/libvirt/qemu/zz-empty.xml") == 0);
  for (const char *good : {"web01", "app01", "db01"}) {
    CHECK(domain(c, good).domain.has_value());
  }
  CHECK(warned(c, {mail.error}) == 1);
  CHECK(warned(c, {"zz-empty.xml"}) == 1);
}

TEST_CASE("autostart follows libvirt's rule: autostart/NAME.xml leading to NAME.xml") {
  TempDir dir;
  write_fixture_libvirt(dir.path().string());
  const std::string a = dir / "etc/libvirt/qemu/autostart/";
  std::filesystem::remove(a + "web01.xml");
  link("../web01.xml", a + "web01.xml"); // relative: still web01
  std::filesystem::remove(a + "app01.xml");
  link("/etc/libvirt/qemu/web01.xml", a + "app01.xml"); // named app01, leads to web01
  link("/etc/libvirt/qemu/mail01.xml", a + "mail.xml"); // wrong name for mail01
  link("/etc/libvirt/qemu/gone.xml", a + "gone.xml");   // dangling
  write_text(a + "db01-copy.xml", "<domain/>");         // not a link
  MountedTree tree(dir.path().string());
  const LibvirtConfig c = read_libvirt_config(tree);
  INFO("warnings:\n" << dump(c));

  CHECK(domain(c, "web01").autostart);
  CHECK_FALSE(domain(c, "app01").autostart);
  CHECK_FALSE(domain(c, "mail01").autostart);
  CHECK(domain(c, "db01").autostart);
  CHECK(warned(c, {"autostart/app01.xml", "points to /etc/libvirt/qemu/web01.xml",
                   "not /etc/libvirt/qemu/app01.xml"}) == 1);
  CHECK(warned(c, {"autostart/mail.xml", "under another name"}) == 1);
  CHECK(warned(c, {"autostart/gone.xml", "which is no domain definition"}) == 1);
  CHECK(warned(c, {"autostart/db01-copy.xml", "not a symbolic link"}) == 1);
}

TEST_CASE("snapshots, nwfilters, hooks, qemu.conf and stray secret values") {
  TempDir dir;
  write_fixture_libvirt(dir.path().string());
  const std::string snap = dir / "var/lib/libvirt/qemu/snapshot/mail01/";
  write_text(snap + "before-upgrade.xml", read_text(libvirt_data("snapshot-before-upgrade.xml")));
  write_text(snap + "after-upgrade.xml", read_text(libvirt_data("snapshot-after-upgrade.xml")));
  write_text(snap + "broken.xml", "<domainsnapshot>");
  write_text(dir / "etc/libvirt/nwfilter/allow-arp.xml",
             "<filter name='allow-arp' chain='arp'>\n  <rule action='accept' direction='inout' "
             "priority='500'/>\n</filter>\n");
  write_text(dir / "etc/libvirt/nwfilter/odd.xml", "<network/>");
  write_text(dir / "etc/libvirt/hooks/qemu", "#!/bin/sh\nexit 0\n");
  write_text(dir / "etc/libvirt/qemu.conf",
             "# Master configuration file for the QEMU driver.\n"
             "#vnc_listen = \"0.0.0.0\"\n"
             "\n"
             "vnc_listen = \"0.0.0.0\"   # all addresses\n"
             "user = \"root\"\n"
             "dynamic_ownership=0\n"
             "nvram = [\n"
             "   \"/usr/share/OVMF/OVMF_CODE.fd:/usr/share/OVMF/OVMF_VARS.fd\",  # x86\n"
             "   \"/usr/share/AAVMF/AAVMF_CODE.fd:/usr/share/AAVMF/AAVMF_VARS.fd\"\n"
             "]\n"
             "security_driver = \"none#really\"\n"
             "this is not a setting\n");
  write_text(dir / "etc/libvirt/secrets/4b564d52-5300-4000-8000-0000000000ff.base64", "eA==");
  MountedTree tree(dir.path().string());
  const LibvirtConfig c = read_libvirt_config(tree);
  INFO("warnings:\n" << dump(c));

  // The fixture's two (after-update, before-update) and these three, by path.
  REQUIRE(c.snapshots.size() == 5);
  CHECK(c.snapshots[0].path == "/var/lib/libvirt/qemu/snapshot/mail01/after-update.xml");
  CHECK(c.snapshots[1].path == "/var/lib/libvirt/qemu/snapshot/mail01/after-upgrade.xml");
  CHECK(c.snapshots[1].domain_dir == "mail01");
  CHECK(c.snapshots[1].snapshot->parent == "before-upgrade");
  CHECK(c.snapshots[3].path == "/var/lib/libvirt/qemu/snapshot/mail01/before-upgrade.xml");
  CHECK(c.snapshots[3].snapshot->domain_name == "mail01");
  CHECK(c.snapshots[4].path == "/var/lib/libvirt/qemu/snapshot/mail01/broken.xml");
  CHECK_FALSE(c.snapshots[4].snapshot.has_value());
  CHECK(c.snapshots[4].error.find("/var/lib/libvirt/qemu/snapshot/mail01/broken.xml:1: ") == 0);

  CHECK(c.nwfilters == std::vector<std::string>{"allow-arp"});
  CHECK(warned(c, {"/etc/libvirt/nwfilter/odd.xml", "not an nwfilter"}) == 1);
  CHECK(c.hooks == std::vector<std::string>{"qemu"});

  REQUIRE(c.qemu_conf.present);
  const auto &s = c.qemu_conf.settings;
  REQUIRE(s.size() == 5);
  CHECK(s[0].key == "vnc_listen");
  CHECK(s[0].value == "\"0.0.0.0\"");
  CHECK(s[0].line == 4);
  CHECK(s[1].key == "user");
  CHECK(s[1].value == "\"root\"");
  CHECK(s[2].key == "dynamic_ownership");
  CHECK(s[2].value == "0");
  CHECK(s[3].key == "nvram");
  CHECK(s[3].value == "[ \"/usr/share/OVMF/OVMF_CODE.fd:/usr/share/OVMF/OVMF_VARS.fd\", "
                      "\"/usr/share/AAVMF/AAVMF_CODE.fd:/usr/share/AAVMF/AAVMF_VARS.fd\" ]");
  CHECK(s[3].line == 7);
  CHECK(s[4].value == "\"none#really\"");
  CHECK(warned(c, {"/etc/libvirt/qemu.conf:12:", "this is not a setting"}) == 1);

  CHECK(warned(c, {"0000000000ff.base64", "without its definition"}) == 1);
}

TEST_CASE("no /etc/libvirt, an empty qemu directory, a pool target not on the tree") {
  TempDir empty;
  std::filesystem::create_directories(empty.path() / "etc");
  MountedTree bare(empty.path().string());
  const LibvirtConfig none = read_libvirt_config(bare);
  REQUIRE(none.warnings.size() == 1);
  CHECK(none.warnings[0].find("/etc/libvirt: not found") == 0);
  CHECK(none.domains.empty());
  CHECK(none.networks.empty());

  TempDir dir;
  std::filesystem::create_directories(dir.path() / "etc/libvirt/qemu/autostart");
  write_text(dir / "etc/libvirt/storage/default.xml",
             read_text(libvirt_data("pool-netfs.xml"))); // not a dir pool: not listed
  write_text(dir / "etc/libvirt/storage/images.xml",
             "<pool type='dir'><name>images</name><target><path>/srv/images</path></target>"
             "</pool>");
  MountedTree tree(dir.path().string());
  const LibvirtConfig c = read_libvirt_config(tree);
  INFO("warnings:\n" << dump(c));
  CHECK(c.domains.empty());
  CHECK(warned(c, {"/etc/libvirt/qemu:", "no domain definitions"}) == 1);
  REQUIRE(c.pools.size() == 2);
  CHECK(c.pools[0].volumes.empty());
  CHECK(c.pools[1].pool->name == "images");
  CHECK(warned(c, {"/etc/libvirt/storage/images.xml", "/srv/images", "not on the old host"}) == 1);
  CHECK(c.warnings.size() == 2);
}

TEST_CASE("a dir pool written loosely or behind a symlink lists its volumes") {
  // A CentOS 7 host whose images were moved to /home: the pool targets are
  // /var/lib/libvirt/images -> /home/images (absolute), "/home//pool/./",
  // and a target with a trailing slash; a volume is itself a link.
  TempDir dir;
  write_text(dir / "home/images/a.qcow2", "aaaa");
  write_text(dir / "home/images2/b.qcow2", "bbbbbb");
  link("/home/images2/b.qcow2", dir / "home/images/b.qcow2");
  link("/home/images", dir / "var/lib/libvirt/images");
  write_text(dir / "home/pool/c.img", "cc");
  std::filesystem::create_directories(dir.path() / "etc/libvirt/qemu");
  write_text(dir / "etc/libvirt/storage/default.xml",
             "<pool type='dir'><name>default</name><target><path>/var/lib/libvirt/images/</path>"
             "</target></pool>");
  write_text(dir / "etc/libvirt/storage/home.xml",
             "<pool type='dir'><name>home</name><target><path>/home//pool/./</path>"
             "</target></pool>");
  MountedTree tree(dir.path().string());
  const LibvirtConfig c = read_libvirt_config(tree);
  INFO("warnings:\n" << dump(c));
  REQUIRE(c.pools.size() == 2);
  CHECK(c.pools[0].pool->target_path == "/var/lib/libvirt/images/"); // as written, for the XML
  REQUIRE(c.pools[0].volumes.size() == 2);
  CHECK(c.pools[0].volumes[0].path == "/var/lib/libvirt/images/a.qcow2");
  CHECK(c.pools[0].volumes[0].size == 4);
  CHECK(c.pools[0].volumes[1].path == "/var/lib/libvirt/images/b.qcow2");
  CHECK(c.pools[0].volumes[1].type == FileType::regular); // the file the link leads to
  CHECK(c.pools[0].volumes[1].size == 6);
  REQUIRE(c.pools[1].volumes.size() == 1);
  CHECK(c.pools[1].volumes[0].path == "/home/pool/c.img");
  CHECK(c.pools[1].volumes[0].size == 2);
  CHECK(warned(c, {"pool"}) == 0);
}
