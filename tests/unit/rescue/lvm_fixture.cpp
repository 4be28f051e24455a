// LVM fixture helpers for the lvm_* tests (see lvm_fixture.hpp).
#include "unit/rescue/lvm_fixture.hpp"

#include "kickstart/shell_quote.hpp"
#include "rescue/util/command.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace kvmr::test {
namespace {

constexpr const char *kLvmConfig =
    "global{activation=0} devices{obtain_device_list_from_udev=0 use_devicesfile=0 scan_lvs=0} "
    "activation{udev_sync=0 udev_rules=0} backup{backup=0 archive=0}";

CommandResult run(const std::vector<std::string> &argv) {
  SystemCommandRunner r;
  return r.run(argv, std::chrono::seconds(120));
}

std::uint64_t num(const nlohmann::json &row, const char *key) {
  return std::stoull(row.at(key).get<std::string>());
}

nlohmann::json report(const std::string &out, const char *kind) {
  const auto j = nlohmann::json::parse(out);
  return j.at("report").at(0).at(kind);
}

} // namespace

std::string lvm_skip_reason() {
  if (geteuid() != 0) {
    return "not root: LVM fixtures need loop devices";
  }
  for (const char *p : {"losetup", "lvm"}) {
    if (!have(p)) {
      return std::string(p) + " not installed (scripts/setup installs util-linux and lvm2)";
    }
  }
  if (access("/dev/loop-control", R_OK | W_OK) != 0) {
    return "no /dev/loop-control: loop devices unavailable";
  }
  return {};
}

LoopDevice::LoopDevice(const std::string &image, std::uint64_t offset, std::uint64_t size) {
  std::vector<std::string> argv{"losetup", "--find", "--show"};
  if (offset != 0) {
    argv.insert(argv.end(), {"--offset", std::to_string(offset)});
  }
  if (size != 0) {
    argv.insert(argv.end(), {"--sizelimit", std::to_string(size)});
  }
  argv.push_back(image);
  const auto res = run(argv);
  if (res.exit_code != 0) {
    throw std::runtime_error("losetup failed: " + res.err);
  }
  path_ = res.out.substr(0, res.out.find('\n'));
  if (path_.rfind("/dev/loop", 0) != 0) {
    path_.clear();
    throw std::runtime_error("losetup printed no loop device: " + res.out);
  }
}

LoopDevice::LoopDevice(LoopDevice &&other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

LoopDevice::~LoopDevice() {
  detach();
}

void LoopDevice::detach() noexcept {
  if (path_.empty()) {
    return;
  }
  try {
    // A just-closed device can be briefly busy; retry a few times.
    for (int i = 0; i < 10; ++i) {
      if (run({"losetup", "--detach", path_}).exit_code == 0) {
        break;
      }
      usleep(100'000);
    }
  } catch (...) { // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
  path_.clear();
}

std::string lvm(const std::vector<std::string> &devices, const std::string &command,
                const std::string &args) {
  std::string devs;
  for (const auto &d : devices) {
    devs += (devs.empty() ? "" : ",") + d;
  }
  const std::string line = "LVM_SUPPRESS_FD_WARNINGS=1 lvm " + command + " --config " +
                           kickstart::shell_quote(kLvmConfig) + " --devices " +
                           kickstart::shell_quote(devs) + " " + args;
  const auto res = run({"bash", "-euo", "pipefail", "-c", line});
  INFO("command: " << line << "\nstdout: " << res.out << "\nstderr: " << res.err);
  REQUIRE(res.exit_code == 0);
  return res.out;
}

std::vector<LvsRow> lvs_rows(const std::vector<std::string> &devices) {
  const auto out = lvm(devices, "lvs",
                       "--reportformat json --units b --nosuffix -o "
                       "lv_name,seg_start_pe,seg_size_pe,seg_pe_ranges,devices,stripe_size");
  std::vector<LvsRow> rows;
  for (const auto &r : report(out, "lv")) {
    rows.push_back({r.at("lv_name").get<std::string>(), num(r, "seg_start_pe"),
                    num(r, "seg_size_pe"), r.at("seg_pe_ranges").get<std::string>(),
                    r.at("devices").get<std::string>(), num(r, "stripe_size")});
  }
  return rows;
}

std::vector<PvsRow> pvs_rows(const std::vector<std::string> &devices) {
  const auto out = lvm(devices, "pvs",
                       "--reportformat json --units b --nosuffix -o "
                       "pv_name,pv_uuid,pe_start,dev_size");
  std::vector<PvsRow> rows;
  for (const auto &r : report(out, "pv")) {
    rows.push_back({r.at("pv_name").get<std::string>(), r.at("pv_uuid").get<std::string>(),
                    num(r, "pe_start"), num(r, "dev_size")});
  }
  return rows;
}

std::uint64_t vg_extent_size(const std::vector<std::string> &devices, const std::string &vg) {
  const auto out = lvm(devices, "vgs",
                       "--reportformat json --units b --nosuffix -o "
                       "vg_extent_size " +
                           vg);
  return num(report(out, "vg").at(0), "vg_extent_size");
}

std::vector<PeRange> parse_pe_ranges(const std::string &ranges) {
  std::vector<PeRange> out;
  std::size_t pos = 0;
  while (pos < ranges.size()) {
    const auto end = std::min(ranges.find(' ', pos), ranges.size());
    const auto item = ranges.substr(pos, end - pos);
    const auto colon = item.rfind(':');
    const auto dash = item.find('-', colon);
    REQUIRE(colon != std::string::npos);
    REQUIRE(dash != std::string::npos);
    out.push_back({item.substr(0, colon), std::stoull(item.substr(colon + 1, dash - colon - 1)),
                   std::stoull(item.substr(dash + 1))});
    pos = end + 1;
  }
  return out;
}

std::size_t LvmFixture::index_of_loop(const std::string &loop) const {
  for (std::size_t i = 0; i < loops.size(); ++i) {
    if (loops[i] == loop) {
      return i;
    }
  }
  FAIL("lvs named " << loop << ", which this fixture did not attach");
  return 0;
}

std::uint64_t LvmFixture::pv_size(std::size_t i) const {
  return pvs[i].size != 0 ? pvs[i].size : pvs[i].image_size - pvs[i].offset;
}

std::optional<LvmFixture> make_lvm_fixture(const TempDir &dir, std::vector<PvSpec> pvs,
                                           const std::vector<std::string> &commands,
                                           const std::string &vg) {
  if (const auto why = lvm_skip_reason(); !why.empty()) {
    skip(why);
    return std::nullopt;
  }
  LvmFixture fx;
  std::vector<LoopDevice> loops;
  for (auto &p : pvs) {
    p.image = dir / p.image;
    sh("truncate -s " + std::to_string(p.image_size) + " " + kickstart::shell_quote(p.image));
    loops.emplace_back(p.image, p.offset, p.size); // fails the test when losetup fails
    fx.loops.push_back(loops.back().path());
  }
  for (std::size_t i = 0; i < pvs.size(); ++i) {
    lvm(fx.loops, "pvcreate", pvs[i].pvcreate_args + " " + fx.loops[i]);
  }
  for (auto cmd : commands) {
    for (std::size_t i = 0; i < fx.loops.size(); ++i) {
      const std::string mark = "{" + std::to_string(i) + "}";
      for (auto at = cmd.find(mark); at != std::string::npos; at = cmd.find(mark)) {
        cmd.replace(at, mark.size(), fx.loops[i]);
      }
    }
    const auto space = cmd.find(' ');
    lvm(fx.loops, cmd.substr(0, space), space == std::string::npos ? "" : cmd.substr(space + 1));
  }
  fx.lvs = lvs_rows(fx.loops);
  fx.pvs_report = pvs_rows(fx.loops);
  fx.extent_size = vg_extent_size(fx.loops, vg);
  fx.pvs = std::move(pvs);
  for (auto &l : loops) {
    l.detach();
  }
  return fx;
}

std::optional<LvmFixture> make_root_swap_fixture(const TempDir &dir,
                                                 const std::string &extra_pvcreate) {
  return make_lvm_fixture(dir,
                          {{"disk.img", 80ULL << 20U, 1ULL << 20U, 64ULL << 20U, extra_pvcreate}},
                          {"vgcreate vg_root {0}", "lvcreate -an -Zn -Wn -n root -L 16M vg_root",
                           "lvcreate -an -Zn -Wn -n swap -L 8M vg_root"},
                          "vg_root");
}

void copy_file(const std::string &src, const std::string &dst) {
  sh("cp --sparse=always " + kickstart::shell_quote(src) + " " + kickstart::shell_quote(dst));
}

void poke(const std::string &path, std::uint64_t offset, const std::string &bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

std::string peek(const std::string &path, std::uint64_t offset, std::size_t len) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  f.seekg(static_cast<std::streamoff>(offset));
  std::string s(len, '\0');
  f.read(s.data(), static_cast<std::streamsize>(len));
  s.resize(static_cast<std::size_t>(f.gcount()));
  return s;
}

} // namespace kvmr::test
