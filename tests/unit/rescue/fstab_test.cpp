// fstab parsing and how each spec names a volume.
#include "rescue/volume/fstab.hpp"

#include <doctest/doctest.h>

using namespace kvmr::volume; // NOLINT(google-build-using-namespace)

TEST_CASE("anaconda's CentOS 7 fstab") {
  const auto e =
      parse_fstab("#\n# /etc/fstab\n#\n"
                  "/dev/mapper/centos-root /  xfs defaults 0 0\n"
                  "UUID=5b0e7a11-0000-4000-8000-00000000b007 /boot xfs defaults 0 0\n"
                  "UUID=4B56-4D52 /boot/efi vfat umask=0077,shortname=winnt 0 0\n"
                  "/dev/mapper/centos-swap swap swap defaults 0 0\n"
                  "\n  # a comment\n"
                  "/dev/mapper/vm--data-images /var/lib/libvirt/images xfs defaults 0 0\n"
                  "LABEL=my\\040disk /srv/my\\040dir ext4 noauto 0 0\n"
                  "short line\n");
  REQUIRE(e.size() == 6);
  CHECK(e[0].mountpoint == "/");
  CHECK(e[0].line == 4);
  CHECK(is_local_mount(e[1]));
  CHECK_FALSE(is_local_mount(e[3])); // swap
  CHECK_FALSE(is_local_mount(e[5])); // noauto
  CHECK(e[5].spec == "LABEL=my disk");
  CHECK(e[5].mountpoint == "/srv/my dir");
}

// Found by fuzz/fstab_fuzz: a backslash before a non-octal digit made
// std::stoi throw out of parse_fstab ("\\9" has no octal digit at all).
TEST_CASE("a backslash without three octal digits stays as written") {
  const auto e = parse_fstab("LABEL=a\\9xy /srv/b\\08x ext4 defaults\n"
                             "LABEL=c\\04 /srv/d\\101 xfs defaults\n");
  REQUIRE(e.size() == 2);
  CHECK(e[0].spec == "LABEL=a\\9xy");
  CHECK(e[0].mountpoint == "/srv/b\\08x");
  CHECK(e[1].spec == "LABEL=c\\04");
  CHECK(e[1].mountpoint == "/srv/dA");
}

TEST_CASE("specs name volumes") {
  using K = VolumeRef::Kind;
  CHECK(parse_spec("UUID=4B56-4D52").kind == K::uuid);
  CHECK(parse_spec("UUID=4B56-4D52").value == "4b56-4d52");
  CHECK(parse_spec("LABEL=Data").value == "Data");
  CHECK(parse_spec("PARTUUID=ABC").value == "abc");
  CHECK(parse_spec("/dev/disk/by-uuid/AB-CD").kind == K::uuid);
  const auto m = parse_spec("/dev/mapper/centos-root");
  CHECK(m.kind == K::lvm);
  CHECK(m.value == "centos/root");
  CHECK(parse_spec("/dev/mapper/vm--data-my--images").value == "vm-data/my-images");
  CHECK(parse_spec("/dev/centos/root").value == "centos/root");
  CHECK(parse_spec("/dev/sda1").kind == K::device);
  CHECK(parse_spec("/dev/mapper/nodash").kind == K::device);
  CHECK(parse_spec("server:/export").kind == K::unknown);
}
