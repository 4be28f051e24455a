// Reading PV labels and metadata areas: on PVs made by hand (wrapping text,
// damaged headers; no root needed), on PVs made by pvcreate/vgcreate/
// lvcreate on loop devices and compared with what pvs reports, and on
// damaged copies of those (flipped bytes, bad magic, truncation).
#include "rescue/lvm/crc.hpp"
#include "rescue/lvm/label.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"
#include "unit/rescue/lvm_fixture.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <fstream>

using namespace kvmr;      // NOLINT(google-build-using-namespace)
using namespace kvmr::lvm; // NOLINT(google-build-using-namespace)

namespace {

constexpr const char *kRawUuid = "0w4JQhsQRhpWPGvzCt273E6MXRoqTu8n";
constexpr std::uint64_t kMdaAt = 4096;

void put_le(std::vector<std::byte> &b, std::size_t at, std::uint64_t v, std::size_t len) {
  for (std::size_t i = 0; i < len; ++i) {
    b[at + i] = static_cast<std::byte>((v >> (8 * i)) & 0xFFU);
  }
}

void put_str(std::vector<std::byte> &b, std::size_t at, std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    b[at + i] = static_cast<std::byte>(s[i]);
  }
}

std::uint32_t crc_of(const std::vector<std::byte> &b, std::size_t from, std::size_t to) {
  return lvm_crc(std::span<const std::byte>(b).subspan(from, to - from));
}

std::string vg_text(std::uint64_t seqno) {
  return "vgs {\nid = \"KvvFdi-C3sd-DSdl-Tl60-SwVL-r1uZ-j8inoB\"\nseqno = " +
         std::to_string(seqno) +
         "\nextent_size = 8\nphysical_volumes {\npv0 {\nid = \"0w4JQh-sQRh-pWPG-vzCt-273E-6MXR-"
         "oqTu8n\"\npe_start = 2048\npe_count = 1\n}\n}\n}\n# padding padding padding padding\n";
}

// A PV written byte by byte as LVM lays it out: label in sector 1, one
// metadata area at 4 KiB of MDA_SIZE bytes whose TEXT (plus its NUL)
// starts at TEXT_OFFSET of the area and wraps to byte 512 of it.
std::vector<std::byte> synthetic_pv(const std::string &text, std::uint64_t mda_size,
                                    std::uint64_t text_offset, std::uint32_t flags = 0) {
  std::vector<std::byte> b(kMdaAt + mda_size + 4096);
  put_str(b, 512, "LABELONE");
  put_le(b, 512 + 8, 1, 8);
  put_le(b, 512 + 20, 32, 4);
  put_str(b, 512 + 24, "LVM2 001");
  std::size_t h = 512 + 32;
  put_str(b, h, kRawUuid);
  put_le(b, h + 32, b.size(), 8);
  put_le(b, h + 40, kMdaAt + mda_size, 8); // data area, size 0, then the terminator
  put_le(b, h + 72, kMdaAt, 8);            // metadata area, then the terminator
  put_le(b, h + 80, mda_size, 8);
  put_le(b, h + 104, 2, 4);
  put_le(b, 512 + 16, crc_of(b, 512 + 20, 1024), 4);

  const std::string t = text + '\0';
  for (std::size_t i = 0; i < t.size(); ++i) {
    std::uint64_t pos = text_offset + i;
    if (pos >= mda_size) {
      pos = pos - mda_size + 512;
    }
    b[kMdaAt + pos] = static_cast<std::byte>(t[i]);
  }
  put_str(b, kMdaAt + 4, " LVM2 x[5A%r0N*>");
  put_le(b, kMdaAt + 20, 1, 4);
  put_le(b, kMdaAt + 24, kMdaAt, 8);
  put_le(b, kMdaAt + 32, mda_size, 8);
  put_le(b, kMdaAt + 40, text_offset, 8);
  put_le(b, kMdaAt + 48, t.size(), 8);
  const std::span<const std::byte> ts(reinterpret_cast<const std::byte *>(t.data()), t.size());
  put_le(b, kMdaAt + 56, lvm_crc(ts), 4);
  put_le(b, kMdaAt + 60, flags, 4);
  put_le(b, kMdaAt, crc_of(b, kMdaAt + 4, kMdaAt + 512), 4);
  return b;
}

PvLabel read_image(const std::string &path, std::uint64_t offset, std::uint64_t size) {
  auto fd = open_read_only(path);
  return read_pv_label(fd.get(), path, offset, size);
}

PvLabel read_bytes_as_pv(const test::TempDir &t, const std::vector<std::byte> &b) {
  const std::string path = t / "pv.img";
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char *>(b.data()), static_cast<std::streamsize>(b.size()));
  return read_image(path, 0, b.size());
}

std::string error_of(const std::string &path, std::uint64_t offset, std::uint64_t size) {
  try {
    (void)read_image(path, offset, size);
  } catch (const InputError &e) {
    return e.what();
  }
  return "(no error)";
}

bool has(const std::string &hay, const std::string &needle) {
  return hay.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("a hand-made PV: plain and wrapped metadata text") {
  test::TempDir t;
  const std::string text = vg_text(5);
  SUBCASE("in one piece") {
    const PvLabel pv = read_bytes_as_pv(t, synthetic_pv(text, 8192, 1024));
    CHECK(pv.label_sector == 1);
    CHECK(pv.uuid == "0w4JQh-sQRh-pWPG-vzCt-273E-6MXR-oqTu8n");
    REQUIRE(pv.metadata_areas.size() == 1);
    CHECK(pv.metadata_areas[0].state == MdaState::ok);
    CHECK_FALSE(pv.metadata_areas[0].wrapped);
    REQUIRE(pv.metadata);
    CHECK(pv.metadata->text == text);
    CHECK(pv.metadata->offset == kMdaAt + 1024);
    CHECK(pv.ext_version == 2);
  }
  SUBCASE("wrapping around the end of the area to byte 512") {
    const PvLabel pv = read_bytes_as_pv(t, synthetic_pv(text, 8192, 8192 - 100));
    CHECK(pv.metadata_areas[0].wrapped);
    CHECK(pv.metadata_areas[0].state == MdaState::ok);
    REQUIRE(pv.metadata);
    CHECK(pv.metadata->text == text);
    CHECK(pv.metadata->vg.seqno == 5);
  }
  SUBCASE("a damaged wrapped part fails the checksum") {
    auto b = synthetic_pv(text, 8192, 8192 - 100);
    b[kMdaAt + 512 + 10] ^= std::byte{0x20};
    const PvLabel pv = read_bytes_as_pv(t, b);
    CHECK(pv.metadata_areas[0].state == MdaState::bad_checksum);
    CHECK_FALSE(pv.metadata);
    REQUIRE(pv.problems.size() == 1);
    CHECK(has(pv.problems[0], "checksum mismatch"));
    CHECK(has(pv.problems[0], "at byte " + std::to_string(kMdaAt + 8192 - 100)));
  }
  SUBCASE("header faults") {
    auto b = synthetic_pv(text, 8192, 1024);
    b[kMdaAt + 30] ^= std::byte{1}; // inside the start field, checksum now wrong
    CHECK(read_bytes_as_pv(t, b).metadata_areas[0].state == MdaState::bad_header);
    CHECK(has(read_bytes_as_pv(t, b).problems.at(0), "header checksum mismatch"));
    const auto outside = synthetic_pv(text, 8192, 8192 + 512);
    CHECK(has(read_bytes_as_pv(t, outside).metadata_areas[0].detail, "outside the area"));
    const auto ignored = synthetic_pv(text, 8192, 1024, 1);
    CHECK(read_bytes_as_pv(t, ignored).metadata_areas[0].state == MdaState::ignored);
  }
  SUBCASE("an orphan PV: a sound header pointing at nothing") {
    auto b = synthetic_pv("", 8192, 0);
    put_le(b, kMdaAt + 48, 0, 8);
    put_le(b, kMdaAt, crc_of(b, kMdaAt + 4, kMdaAt + 512), 4);
    const PvLabel pv = read_bytes_as_pv(t, b);
    CHECK(pv.metadata_areas[0].state == MdaState::empty);
    CHECK_FALSE(pv.metadata);
    CHECK(pv.problems.empty());
  }
  SUBCASE("an area list without its terminator") {
    auto b = synthetic_pv(text, 8192, 1024);
    for (std::size_t at = 512 + 32 + 40; at < 1024; at += 8) {
      put_le(b, at, 4096, 8);
    }
    put_le(b, 512 + 16, crc_of(b, 512 + 20, 1024), 4);
    const std::string path = t / "pv.img";
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char *>(b.data()), static_cast<std::streamsize>(b.size()));
    CHECK(has(error_of(path, 0, b.size()), "runs past the end of the label sector"));
  }
}

TEST_CASE("a PV made by pvcreate in a partition matches what pvs reports" *
          doctest::test_suite("root")) {
  test::TempDir t;
  const auto fx = test::make_root_swap_fixture(t);
  if (!fx) {
    return;
  }
  const auto &spec = fx->pvs[0];
  const std::string before = test::sha256_of(spec.image);
  const PvLabel pv = read_image(spec.image, spec.offset, fx->pv_size(0));
  CHECK(test::sha256_of(spec.image) == before);

  REQUIRE(fx->pvs_report.size() == 1);
  const auto &rep = fx->pvs_report[0];
  CHECK(pv.path == spec.image);
  CHECK(pv.pv_offset == 1ULL << 20U);
  CHECK(pv.label_sector == 1);
  CHECK(pv.uuid == rep.uuid);
  CHECK(pv.device_size == rep.dev_size);
  REQUIRE(pv.data_areas.size() == 1);
  CHECK(pv.data_areas[0].offset == rep.pe_start);
  REQUIRE(pv.metadata_areas.size() == 1);
  CHECK(pv.metadata_areas[0].location.offset == 4096);
  CHECK(pv.metadata_areas[0].state == MdaState::ok);
  CHECK(pv.problems.empty());
  REQUIRE(pv.metadata);
  CHECK(pv.metadata->verified);
  const VolumeGroup &vg = pv.metadata->vg;
  CHECK(vg.name == "vg_root");
  CHECK(vg.seqno == 3); // vgcreate, lvcreate, lvcreate
  CHECK(vg.extent_size_bytes() == fx->extent_size);
  REQUIRE(vg.physical_volumes.size() == 1);
  CHECK(vg.physical_volumes[0].id == rep.uuid);
  CHECK(vg.physical_volumes[0].pe_start_bytes() == rep.pe_start);
  CHECK(vg.find_lv("root") != nullptr);
  CHECK(vg.find_lv("swap") != nullptr);

  CHECK(has(error_of(spec.image, 0, 80ULL << 20U), "no LABELONE in its first four sectors"));
  CHECK(has(error_of(spec.image, 0, 80ULL << 20U), spec.image + ": PV at byte 0"));
}

TEST_CASE("damaged copies of a real PV" * doctest::test_suite("root")) {
  test::TempDir t;
  const auto fx = test::make_root_swap_fixture(t);
  if (!fx) {
    return;
  }
  const auto &spec = fx->pvs[0];
  const std::uint64_t size = fx->pv_size(0);
  const PvLabel good = read_image(spec.image, spec.offset, size);
  const auto &mda = good.metadata_areas.at(0);
  const std::uint64_t mda_at = spec.offset + mda.location.offset;
  const std::uint64_t text_at = mda_at + mda.text_offset;
  const std::string img = t / "copy.img";

  SUBCASE("a flipped byte in the metadata text: checksum error, older copies salvageable") {
    test::copy_file(spec.image, img);
    test::poke(img, text_at + 20, "#");
    auto fd = open_read_only(img);
    const PvLabel pv = read_pv_label(fd.get(), img, spec.offset, size);
    CHECK(pv.metadata_areas[0].state == MdaState::bad_checksum);
    CHECK_FALSE(pv.metadata);
    REQUIRE(pv.problems.size() == 1);
    CHECK(has(pv.problems[0], img + ": metadata text at byte " + std::to_string(text_at)));
    CHECK(has(pv.problems[0], "checksum mismatch"));

    const auto older = find_older_copies(fd.get(), pv);
    REQUIRE(older.size() >= 2);
    CHECK(older[0].vg.seqno == 3); // the damaged current copy, unverified, still parses
    CHECK_FALSE(older[0].verified);
    CHECK(older[1].vg.seqno == 2);
    CHECK(older[1].vg.find_lv("root") != nullptr);
    CHECK(older[1].vg.find_lv("swap") == nullptr);
  }
  SUBCASE("older copies of an intact PV leave the current one out") {
    auto fd = open_read_only(spec.image);
    const auto older = find_older_copies(fd.get(), good);
    REQUIRE(older.size() == 2);
    CHECK(older[0].vg.seqno == 2);
    CHECK(older[1].vg.seqno == 1);
    CHECK(older[1].vg.logical_volumes.empty());
  }
  SUBCASE("a bad metadata area magic") {
    test::copy_file(spec.image, img);
    test::poke(img, mda_at + 6, "X");
    const PvLabel pv = read_image(img, spec.offset, size);
    CHECK(pv.metadata_areas[0].state == MdaState::bad_header);
    CHECK(has(pv.metadata_areas[0].detail, "no metadata area magic"));
    CHECK(has(pv.metadata_areas[0].detail, "at byte " + std::to_string(mda_at)));
    CHECK_FALSE(pv.metadata);
  }
  SUBCASE("a flipped byte in the label: its CRC fails") {
    test::copy_file(spec.image, img);
    test::poke(img, spec.offset + 512 + 40, "Z");
    const auto e = error_of(img, spec.offset, size);
    CHECK(has(e, "not a readable LVM2 physical volume"));
    CHECK(has(e, "label at byte " + std::to_string(spec.offset + 512) + ": CRC mismatch"));
  }
  SUBCASE("a truncated label") {
    test::sh("dd if=" + spec.image + " of=" + img + " bs=4096 iflag=skip_bytes,count_bytes skip=" +
             std::to_string(spec.offset) + " count=600 status=none");
    CHECK(has(error_of(img, 0, 600), "truncated (88 of 512 bytes)"));
  }
  SUBCASE("garbage text under a matching checksum") {
    test::copy_file(spec.image, img);
    const std::string junk = std::string("junk { not = = 1 }") + '\0';
    test::poke(img, text_at, junk);
    const std::span<const std::byte> js(reinterpret_cast<const std::byte *>(junk.data()),
                                        junk.size());
    auto hdr_s = test::peek(img, mda_at, 512);
    std::vector<std::byte> hdr(512);
    std::memcpy(hdr.data(), hdr_s.data(), 512);
    put_le(hdr, 48, junk.size(), 8);
    put_le(hdr, 56, lvm_crc(js), 4);
    put_le(hdr, 0, crc_of(hdr, 4, 512), 4);
    test::poke(img, mda_at, std::string(reinterpret_cast<const char *>(hdr.data()), 512));
    const PvLabel pv = read_image(img, spec.offset, size);
    CHECK(pv.metadata_areas[0].state == MdaState::bad_text);
    CHECK(has(pv.metadata_areas[0].detail, "checksum matches but the text is not usable"));
    CHECK(has(pv.metadata_areas[0].detail, "line 1: expected a value for 'not'"));
  }
}

TEST_CASE("two metadata areas: the second serves when the first is damaged" *
          doctest::test_suite("root")) {
  test::TempDir t;
  const auto fx =
      test::make_lvm_fixture(t, {{"two.img", 64ULL << 20U, 0, 0, "--pvmetadatacopies 2"}},
                             {"vgcreate vg2 {0}", "lvcreate -an -Zn -Wn -n data -L 8M vg2"}, "vg2");
  if (!fx) {
    return;
  }
  const auto &spec = fx->pvs[0];
  const PvLabel good = read_image(spec.image, 0, spec.image_size);
  REQUIRE(good.metadata_areas.size() == 2);
  CHECK(good.metadata_areas[0].state == MdaState::ok);
  CHECK(good.metadata_areas[1].state == MdaState::ok);
  CHECK(good.metadata_areas[1].location.offset > (32ULL << 20U)); // at the end of the PV
  CHECK(good.problems.empty());
  REQUIRE(good.metadata);
  CHECK(good.metadata->area == 0);

  const std::string img = t / "copy.img";
  test::copy_file(spec.image, img);
  const auto &m0 = good.metadata_areas[0];
  test::poke(img, m0.location.offset + m0.text_offset + 30, "~");
  const PvLabel one = read_image(img, 0, spec.image_size);
  CHECK(one.metadata_areas[0].state == MdaState::bad_checksum);
  REQUIRE(one.metadata);
  CHECK(one.metadata->area == 1);
  CHECK(one.metadata->verified);
  CHECK(one.metadata->vg.seqno == good.metadata->vg.seqno);
  REQUIRE(one.problems.size() == 1);
  CHECK(has(one.problems[0], "checksum mismatch"));

  const auto &m1 = good.metadata_areas[1];
  test::poke(img, m1.location.offset + m1.text_offset + 30, "~");
  const PvLabel none = read_image(img, 0, spec.image_size);
  CHECK_FALSE(none.metadata);
  CHECK(none.problems.size() == 2);
}

TEST_CASE("real metadata that wraps around the end of a small metadata area" *
          doctest::test_suite("root")) {
  const std::string why = test::lvm_skip_reason();
  KVMR_SKIP_UNLESS(why.empty(), why);
  test::TempDir t;
  const std::string img = t / "wrap.img";
  test::sh("truncate -s 64M " + img);
  std::optional<test::LoopDevice> loop;
  loop.emplace(img); // as root with loop devices, losetup failing is a failure
  const std::vector<std::string> devs{loop->path()};
  test::lvm(devs, "pvcreate", "--dataalignment 4k --metadatasize 32k " + loop->path());
  test::lvm(devs, "vgcreate", "-s 1m vgw " + loop->path());
  bool wrapped = false;
  int lvs = 0;
  while (!wrapped && lvs < 60) {
    ++lvs;
    test::lvm(devs, "lvcreate",
              "-an -Zn -Wn -l 1 -n a_rather_long_logical_volume_name_" + std::to_string(lvs) +
                  " vgw");
    const PvLabel pv = read_image(img, 0, 64ULL << 20U);
    REQUIRE(pv.metadata);
    CHECK(pv.metadata->vg.logical_volumes.size() == static_cast<std::size_t>(lvs));
    wrapped = pv.metadata_areas.at(0).wrapped;
  }
  REQUIRE(wrapped);
  CHECK(test::lvs_rows(devs).size() == static_cast<std::size_t>(lvs));
  loop->detach();
  const PvLabel pv = read_image(img, 0, 64ULL << 20U);
  CHECK(pv.metadata_areas.at(0).ring_size == 32768);
  CHECK(pv.metadata->vg.seqno == static_cast<std::uint64_t>(lvs) + 1);
}
