// lv_read: test-only helper of lv_read_test.py. Finds the LVM2 PVs on the
// given disk images (partitions or whole disks), assembles their VGs and
// reads one LV through io::LvByteSource, without device-mapper. Prints, as
// JSON, the LV's size, segment count, access kind, device ranges,
// data/hole extents and the SHA-256 of its bytes, or the error a read
// raised.
//
//   lv_read [--pv PATH@OFFSET:SIZE]... IMAGE... -- VG/LV
//
// --pv names a PV directly (bytes), for an image whose partition table is
// gone (cut short) but whose PV is known to start at OFFSET.
// Exit status: 0 read to the end, 3 a read failed (reported in "error"),
// 2 no such LV, 1 any other failure.
#include "rescue/disk/probe.hpp"
#include "rescue/io/lv_byte_source.hpp"
#include "rescue/lvm/volume_map.hpp"
#include "rescue/util/command.hpp"
#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <array>
#include <iostream>
#include <memory>
#include <vector>

namespace {

using nlohmann::json;

struct MdCtxFree {
  void operator()(EVP_MD_CTX *c) const noexcept { EVP_MD_CTX_free(c); }
};

struct PvSpec {
  std::string path;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

PvSpec parse_pv(const std::string &arg) {
  const auto at = arg.rfind('@');
  const auto colon = arg.rfind(':');
  if (at == std::string::npos || colon == std::string::npos || colon < at) {
    throw std::invalid_argument("--pv wants PATH@OFFSET:SIZE, got " + arg);
  }
  return {arg.substr(0, at), std::stoull(arg.substr(at + 1, colon - at - 1)),
          std::stoull(arg.substr(colon + 1))};
}

std::vector<kvmr::lvm::PvLabel> find_pvs(const std::vector<std::string> &images,
                                         const std::vector<PvSpec> &given) {
  kvmr::SystemCommandRunner runner;
  kvmr::disk::ProbeOptions po;
  po.smart = false;
  std::vector<kvmr::lvm::PvLabel> out;
  for (const auto &pv : given) {
    const auto fd = kvmr::open_read_only(pv.path);
    out.push_back(kvmr::lvm::read_pv_label(fd.get(), pv.path, pv.offset, pv.size));
  }
  for (const auto &img : images) {
    const auto d = kvmr::disk::probe_disk(img, runner, po);
    const auto fd = kvmr::open_read_only(img);
    const auto add = [&](const kvmr::disk::Filesystem &fs, std::uint64_t off, std::uint64_t size) {
      if (fs.outcome == kvmr::disk::ProbeOutcome::found && fs.type == "LVM2_member") {
        out.push_back(kvmr::lvm::read_pv_label(fd.get(), img, off, size));
      }
    };
    if (d.whole_disk) {
      add(*d.whole_disk, 0, d.size);
    }
    for (const auto &p : d.table.partitions) {
      add(p.fs, p.start, std::min(p.size, d.size > p.start ? d.size - p.start : 0));
    }
  }
  return out;
}

const char *kind_name(kvmr::io::ExtentKind k) {
  switch (k) {
  case kvmr::io::ExtentKind::data: return "data";
  case kvmr::io::ExtentKind::hole: return "hole";
  case kvmr::io::ExtentKind::unreadable: return "unreadable";
  }
  return "?";
}

int run(const std::vector<std::string> &images, const std::vector<PvSpec> &given,
        const std::string &want) {
  const auto labels = find_pvs(images, given);
  const auto assembly = kvmr::lvm::assemble_volume_groups(labels);
  const auto slash = want.find('/');
  const kvmr::lvm::LvMap *lv = nullptr;
  for (const auto &vg : assembly.vgs) {
    if (slash != std::string::npos && vg.vg.name == want.substr(0, slash)) {
      lv = vg.find_lv(want.substr(slash + 1));
    }
  }
  if (lv == nullptr) {
    std::cerr << "lv_read: no LV " << want << " on the given images\n";
    return 2;
  }
  kvmr::io::LvByteSource src(want, *lv);
  json out;
  json pvs = json::array();
  for (const auto &l : labels) {
    pvs.push_back({{"path", l.path}, {"offset", l.pv_offset}, {"size", l.available}});
  }
  out["pvs"] = pvs;
  out["lv"] = src.describe();
  out["size"] = src.size();
  out["segments"] = lv->segments.size();
  const auto access = kvmr::lvm::lv_access(*lv);
  out["access"] = access == kvmr::lvm::LvAccess::loop_at_offset  ? "loop_at_offset"
                  : access == kvmr::lvm::LvAccess::device_mapper ? "device_mapper"
                                                                 : "unavailable";
  json extents = json::array();
  for (const auto &e : src.extents(0, src.size())) {
    extents.push_back({e.offset, e.length, kind_name(e.kind)});
  }
  out["extents"] = extents;
  json ranges = json::array();
  for (const auto &r : kvmr::lvm::byte_ranges(*lv)) {
    ranges.push_back({r.lv_offset, r.length, r.path, r.device_offset, r.present});
  }
  out["ranges"] = ranges;

  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_DigestInit_ex failed");
  }
  // An odd block size, so reads straddle the segment boundary.
  std::vector<std::byte> buf((1U << 20U) + 4097U);
  std::uint64_t off = 0;
  int rc = 0;
  try {
    while (off < src.size()) {
      const std::size_t n = src.read_at(off, buf);
      if (n == 0) {
        break;
      }
      EVP_DigestUpdate(ctx.get(), buf.data(), n);
      off += n;
    }
  } catch (const kvmr::SysError &e) {
    out["error"] = e.what();
    rc = 3;
  }
  out["bytes_read"] = off;
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md.data(), &len);
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    hex += fmt::format("{:02x}", md.at(i));
  }
  out["sha256"] = hex;
  std::cout << out.dump(1) << '\n';
  return rc;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> images;
  std::vector<PvSpec> given;
  std::string lv;
  bool after = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--pv" && i + 1 < argc && !after) {
      try {
        given.push_back(parse_pv(argv[++i]));
      } catch (const std::exception &e) {
        std::cerr << "lv_read: " << e.what() << '\n';
        return 1;
      }
    } else if (a == "--") {
      after = true;
    } else if (after) {
      lv = a;
    } else {
      images.push_back(a);
    }
  }
  if ((images.empty() && given.empty()) || lv.empty()) {
    std::cerr << "usage: lv_read [--pv PATH@OFFSET:SIZE]... IMAGE... -- VG/LV\n";
    return 1;
  }
  try {
    return run(images, given, lv);
  } catch (const std::exception &e) {
    std::cerr << "lv_read: " << e.what() << '\n';
    return 1;
  }
}
