// The ways into the old host: root's hash and keys, wheel members as a
// default CentOS 7 install makes them (`useradd -G wheel`), sudoers.d; what
// a kickstart cannot carry is left out with a note; no output holds a
// hash or a key.
#include "rescue/scan/host_accounts.hpp"
#include "rescue/scan/host_profile.hpp"
#include "rescue/volume/mounted_tree.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/scan/libvirt_fixture.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace kvmr;

namespace {

// SHA-512 crypt hashes as `openssl passwd -6 -salt ...` writes them.
const std::string kRootHash =
    "$6$kvmrsalt$"
    "ZgHxqP0m3F5lK1o2t9v8yq7w6e5r4t3y2u1i0o9p8a7s6d5f4g3h2j1k0l9z8x7c6v5b4n3m2q1w0e9r8t7y6u5";
const std::string kAliceHash =
    "$6$alicesalt$AbCdEfGhIjKlMnOpQrStUvWxYz0123456789./AbCdEfGhIjKlMnOpQrStUvWxYz0123456789./Ab";

void write_host(const test::TempDir &dir) {
  test::write_text(dir / "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
                                       "bin:x:1:1:bin:/bin:/sbin/nologin\n"
                                       "alice:x:1000:1000:Alice Admin:/home/alice:/bin/bash\n"
                                       "bob:x:1001:1001::/home/bob:/bin/bash\n"
                                       "carol:x:1002:10:Carol:/home/carol:/bin/bash\n"
                                       "qemu:x:107:107:qemu user:/:/sbin/nologin\n");
  test::write_text(dir / "etc/group", "root:x:0:\nwheel:x:10:alice\nalice:x:1000:\nbob:x:1001:\n"
                                      "libvirt:x:990:alice,bob\n");
  test::write_text(dir / "etc/shadow", "root:" + kRootHash +
                                           ":19000:0:99999:7:::\n"
                                           "bin:*:17834:0:99999:7:::\n"
                                           "alice:" +
                                           kAliceHash +
                                           ":19000:0:99999:7:::\n"
                                           "bob:$6$b$x:19000:0:99999:7:::\n"
                                           "carol:!!:19000:0:99999:7:::\n");
  test::write_text(dir / "root/.ssh/authorized_keys",
                   "# the shop's admin laptop\n"
                   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKvmrRootKey root@laptop\n");
  test::write_text(dir / "home/alice/.ssh/authorized_keys",
                   "from=\"10.0.0.0/8\" ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQalice alice@desk\n"
                   "ssh-ed25519 AAAAC3Nza\x1b[2Jevil\n"
                   "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYalice alice@phone\n");
  test::write_text(dir / "home/carol/.ssh/authorized_keys", "ssh-ed25519 AAAAcarol carol@home\n");
  test::write_text(dir / "etc/sudoers.d/10-admins", "alice ALL=(ALL) NOPASSWD: ALL\n");
  test::write_text(dir / "etc/sudoers.d/README.rpmnew", "ignored by sudo\n");
}

} // namespace

TEST_CASE("root, wheel members, their keys and sudoers.d as the old host has them") {
  const test::TempDir dir;
  write_host(dir);
  volume::MountedTree tree(dir.path().string());
  const scan::HostAccounts a = scan::read_host_accounts(tree);
  CHECK(a.root_hash == kRootHash);
  REQUIRE(a.root_keys.size() == 1);
  CHECK(a.root_keys[0].starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKvmrRootKey"));
  // alice by the wheel line, carol by her primary group; bob is no admin.
  REQUIRE(a.admins.size() == 2);
  CHECK(a.admins[0].name == "alice");
  CHECK(a.admins[0].gecos == "Alice Admin");
  CHECK(a.admins[0].hash == kAliceHash);
  CHECK(a.admins[0].groups == std::vector<std::string>{"wheel", "libvirt"});
  REQUIRE(a.admins[0].ssh_keys.size() == 2); // the line with an escape sequence is left out
  CHECK(a.admins[0].ssh_keys[0].starts_with("from=\"10.0.0.0/8\" ssh-rsa"));
  CHECK(a.admins[1].name == "carol");
  CHECK(a.admins[1].hash.empty()); // locked ("!!"): keys only
  CHECK(a.admins[1].groups == std::vector<std::string>{"wheel"});
  CHECK(a.admins[1].ssh_keys.size() == 1);
  REQUIRE(a.sudoers.size() == 1);
  CHECK(a.sudoers[0].name == "10-admins");
  CHECK(a.any_way_in());
  CHECK(std::any_of(a.notes.begin(), a.notes.end(), [](const scan::SourceNote &n) {
    return n.file == "/home/alice/.ssh/authorized_keys" && n.line == 2;
  }));
}

TEST_CASE("no output for people or JSON holds a hash or a key") {
  const test::TempDir dir;
  write_host(dir);
  volume::MountedTree tree(dir.path().string());
  const scan::HostProfile p = scan::read_host_profile(tree);
  const std::string json = scan::to_json(p).dump();
  const std::string text = scan::logins_summary(p.accounts);
  for (const std::string &secret :
       {kRootHash, kAliceHash, std::string("AAAAC3NzaC1lZDI1NTE5AAAAIKvmrRootKey"),
        std::string("alicesalt"), std::string("AAAAcarol")}) {
    CHECK(json.find(secret) == std::string::npos);
    CHECK(text.find(secret) == std::string::npos);
  }
  CHECK(text == "root (password, 1 key); alice (password, 2 keys); carol (1 key); "
                "sudoers.d: 10-admins");
  CHECK(json.find("\"way_in\":true") != std::string::npos);
}

TEST_CASE("hashes and names a kickstart could not carry are left out, with a note") {
  CHECK(scan::is_crypt_hash(kRootHash));
  CHECK_FALSE(scan::is_crypt_hash("$6$salt$abc def"));
  CHECK_FALSE(scan::is_crypt_hash("$6$salt$abc\"def"));
  CHECK_FALSE(scan::is_crypt_hash("abcdefgh")); // DES: not carried
  CHECK(scan::is_valid_user_name("alice"));
  CHECK(scan::is_valid_user_name("_svc-1"));
  CHECK_FALSE(scan::is_valid_user_name("-rf"));
  CHECK_FALSE(scan::is_valid_user_name("a b"));
  CHECK_FALSE(scan::is_valid_user_name("al\nice"));
  const test::TempDir dir;
  test::write_text(dir / "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
                                       "Eve$(x):x:1000:10::/home/e:/bin/bash\n");
  test::write_text(dir / "etc/group", "wheel:x:10:\n");
  test::write_text(dir / "etc/shadow", "root:$6$s$has space:1::::::\n");
  volume::MountedTree tree(dir.path().string());
  const scan::HostAccounts a = scan::read_host_accounts(tree);
  CHECK(a.root_hash.empty());
  CHECK(a.admins.empty());
  CHECK_FALSE(a.any_way_in());
  CHECK(a.notes.size() == 2);
  CHECK(scan::logins_summary(a).starts_with("none"));
}
