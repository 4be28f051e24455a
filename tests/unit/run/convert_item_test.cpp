// convert_image over a real chain laid out as an old host's tree: a qcow2
// overlay whose backing file, named by an absolute old-host path, is a
// split VMDK. The copy is one qcow2 with no backing file whose guest bytes
// are the chain's, read back with qemu-io; the source files are unchanged;
// with no local path (the libguestfs backend) the item is refused.
#include "rescue/run/convert_item.hpp"
#include "rescue/util/error.hpp"
#include "rescue/volume/mounted_tree.hpp"
#include "unit/rescue/test_util.hpp"
#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace kvmr;
using kvmr::test::sh;
using kvmr::test::sh_out;

TEST_CASE("a qcow2 over a split VMDK becomes one qcow2 with the chain's bytes" *
          doctest::test_suite("tools")) {
  if (!test::have("qemu-img") || !test::have("qemu-io")) {
    test::skip("qemu-img or qemu-io missing");
    return;
  }
  test::TempDir tmp;
  const std::string root = tmp.path().string() + "/old";
  const std::string out = tmp.path().string() + "/target";
  sh("mkdir -p " + root + "/images " + out);
  const std::string images = root + "/images";
  sh("cd " + images +
     " && qemu-img create -q -f vmdk -o subformat=twoGbMaxExtentSparse base.vmdk 3G"
     " && qemu-io -f vmdk -c 'write -P 0xab 0 1M' -c 'write -P 0x5a 2G 64k' base.vmdk >/dev/null"
     " && qemu-img create -q -f qcow2 -b base.vmdk -F vmdk top.qcow2"
     " && qemu-io -f qcow2 -c 'write -P 0xcd 512k 64k' top.qcow2 >/dev/null"
     // The name an old host would hold: absolute, meaningless on this machine.
     " && qemu-img rebase -u -b /images/base.vmdk -F vmdk top.qcow2");
  const std::string before = sh_out("cd " + images + " && sha256sum * | sort");
  volume::MountedTree tree(root);
  const run::LocalPath local = [&](const std::string &p) { return root + p; };

  plan::PlanItem item;
  item.source = "/images/top.qcow2";
  item.format = "qcow2";
  item.convert_from = "qcow2";
  item.allocated = 1;
  run::ManifestItem m;
  const std::string dest = out + "/top-2.qcow2";
  run::convert_image(item, tree, local, dest, m);

  CHECK(m.status == run::ItemStatus::copied);
  CHECK(m.converted_from == "qcow2");
  CHECK(m.verified);
  CHECK(m.size == std::filesystem::file_size(dest));
  CHECK_FALSE(std::filesystem::exists(dest + ".partial"));
  const std::string info = sh_out("qemu-img info --output=json " + dest);
  CHECK(info.find("\"format\": \"qcow2\"") != std::string::npos);
  CHECK(info.find("backing-filename") == std::string::npos);
  // The guest's bytes: the overlay's write over the base's, the base's far one.
  // qemu-io exits non-zero when a pattern does not match.
  sh("qemu-io -f qcow2 -c 'read -P 0xab 0 512k' -c 'read -P 0xcd 512k 64k' "
     "-c 'read -P 0xab 576k 448k' -c 'read -P 0x5a 2G 64k' -c 'read -P 0 1M 1M' " +
     dest + " >/dev/null");
  sh("! qemu-io -f qcow2 -c 'read -P 0xab 512k 64k' " + dest + " >/dev/null"); // can fail
  CHECK(sh_out("cd " + images + " && sha256sum * | sort") == before);

  const run::LocalPath none = [](const std::string &) { return std::string(); };
  run::ManifestItem refused;
  CHECK_THROWS_WITH_AS(run::convert_image(item, tree, none, out + "/x.qcow2", refused),
                       doctest::Contains("--backend kernel"), InputError);
  sh("rm " + images + "/base-s002.vmdk");
  CHECK_THROWS_WITH_AS(run::convert_image(item, tree, local, out + "/y.qcow2", refused),
                       doctest::Contains("base-s002.vmdk"), InputError);
}
