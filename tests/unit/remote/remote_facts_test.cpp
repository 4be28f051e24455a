// What the second host says about itself, why it is refused, where a run
// goes when its files are in the way, and the hash script it runs.
#include "rescue/copy/hash.hpp"
#include "rescue/flow/remote_flow.hpp"
#include "rescue/remote/remote_facts.hpp"
#include "rescue/remote/remote_target.hpp"
#include "rescue/util/command.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

using namespace kvmr;

namespace {

bool mentions(const std::vector<std::string> &why, const std::string &what) {
  for (const auto &w : why) {
    if (w.find(what) != std::string::npos) {
      return true;
    }
  }
  return false;
}

remote::RemoteFacts healthy() {
  return remote::parse_remote_facts("machine_id=aaaa\nhostname=kvm02\nhas_virsh=1\n"
                                    "libvirt_answers=1\ndefault_pool=/srv/pool\n"
                                    "mem_available_kib=1024\ndir=/srv/pool\ndir_exists=1\n"
                                    "dir_free_kib=2048\ndir_fs_uuid=1111-2222\n"
                                    "dir_fs_type=xfs\ndir_device=/dev/sdb1\n");
}

} // namespace

TEST_CASE("remote facts: parsed from the script's lines") {
  const auto f = healthy();
  CHECK(f.machine_id == "aaaa");
  CHECK(f.has_virsh);
  CHECK(f.libvirt_answers);
  CHECK(f.default_pool == "/srv/pool");
  CHECK(f.mem_available == 1024U * 1024U);
  CHECK(f.dir_free == 2048U * 1024U);
  CHECK(f.dir_fs_uuid == "1111-2222");
  CHECK(remote::default_dir(f) == "/srv/pool");
  CHECK(remote::default_dir(remote::parse_remote_facts("")) == "/var/lib/libvirt/images");
}

TEST_CASE("remote facts: each refusal, in plain words") {
  const auto ok = healthy();
  CHECK(remote::remote_refusals(ok, "root@kvm02:22", "bbbb", {"3333"}, 1024).empty());
  CHECK(mentions(remote::remote_refusals(ok, "root@kvm02:22", "aaaa", {}, 0), "this machine"));
  CHECK(mentions(remote::remote_refusals(ok, "root@kvm02:22", "bbbb", {"9", "1111-2222"}, 0),
                 "source disk"));
  CHECK(
      mentions(remote::remote_refusals(ok, "root@kvm02:22", "bbbb", {}, 3U << 20U), "bytes free"));
  auto no_virsh = ok;
  no_virsh.has_virsh = false;
  CHECK(mentions(remote::remote_refusals(no_virsh, "h", "bbbb", {}, 0), "no libvirt"));
  auto asleep = ok;
  asleep.libvirt_answers = false;
  CHECK(mentions(remote::remote_refusals(asleep, "h", "bbbb", {}, 0), "does not answer"));
}

TEST_CASE("remote flow: the run's own directory when files are in the way") {
  CHECK(flow::rescued_dir("/var/lib/libvirt/images", "kvmhost01.example.jp") ==
        "/var/lib/libvirt/images/rescued-kvmhost01.example.jp");
  CHECK(flow::rescued_dir("/srv", "a/b\n$(x)") == "/srv/rescued-a_b___x_");
  CHECK(flow::rescued_dir("/", "") == "/rescued-host");
  CHECK(flow::rescued_dir("/srv", "..") == "/srv/rescued-host..");
}

TEST_CASE("remote hash script: sha256sum of the whole file and of each chunk") {
  test::TempDir dir;
  const std::string file = dir / "f.img";
  test::sh("printf 'abc' > " + file + " && truncate -s 9000 " + file + " && printf xyz >> " + file);
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() == 9003);
  const auto hash = [](std::string_view s) {
    return copy::hash_hex(copy::HashKind::sha256,
                          std::as_bytes(std::span<const char>(s.data(), s.size())));
  };
  SystemCommandRunner run;
  const auto r =
      run.run({"sh", "-c", remote::remote_hash_script(), "kvm-rescue", file, "4096", "3"},
              std::chrono::seconds(30));
  REQUIRE(r.exit_code == 0);
  const std::string want = hash(bytes) + "\n" + hash(std::string_view(bytes).substr(0, 4096)) +
                           "\n" + hash(std::string_view(bytes).substr(4096, 4096)) + "\n" +
                           hash(std::string_view(bytes).substr(8192)) + "\n";
  CHECK(r.out == want);
  // A host without a working Python: the same lines from dd and sha256sum.
  test::sh("mkdir " + dir / "bin" + " && printf '#!/bin/sh\\nexit 1\\n' > " + dir / "bin/python3" +
           " && chmod +x " + dir / "bin/python3");
  const auto plain = run.run({"env", "PATH=" + dir / "bin" + ":/usr/bin:/bin", "sh", "-c",
                              remote::remote_hash_script(), "kvm-rescue", file, "4096", "3"},
                             std::chrono::seconds(30));
  REQUIRE(plain.exit_code == 0);
  CHECK(plain.out == want);
  const auto gone = run.run(
      {"sh", "-c", remote::remote_hash_script(), "kvm-rescue", dir / "missing", "4096", "1"},
      std::chrono::seconds(30));
  CHECK(gone.exit_code != 0);
}
