// Names of the plan's enums as they appear in the JSON answer file.
#include "rescue/plan/plan.hpp"
#include "rescue/util/error.hpp"

#include <array>
#include <utility>

namespace kvmr::plan {
namespace {

constexpr std::array<std::pair<ItemKind, const char *>, 10> kItemKinds{{
    {ItemKind::image, "image"},
    {ItemKind::lv_image, "lv_image"},
    {ItemKind::nvram, "nvram"},
    {ItemKind::domain_xml, "domain_xml"},
    {ItemKind::snapshot_xml, "snapshot_xml"},
    {ItemKind::network_xml, "network_xml"},
    {ItemKind::pool_xml, "pool_xml"},
    {ItemKind::secret_xml, "secret_xml"},
    {ItemKind::secret_value, "secret_value"},
    {ItemKind::host_file, "host_file"},
}};

constexpr std::array<std::pair<TargetKind, const char *>, 4> kTargetKinds{{
    {TargetKind::directory, "directory"},
    {TargetKind::device, "device"},
    {TargetKind::image, "image"},
    {TargetKind::remote, "remote"},
}};

} // namespace

const char *to_string(ItemKind k) noexcept {
  for (const auto &[kind, name] : kItemKinds) {
    if (kind == k) {
      return name;
    }
  }
  return "?";
}

ItemKind parse_item_kind(const std::string &s) {
  for (const auto &[kind, name] : kItemKinds) {
    if (s == name) {
      return kind;
    }
  }
  throw InputError("unknown item kind \"" + s + "\"");
}

const char *to_string(TargetKind k) noexcept {
  for (const auto &[kind, name] : kTargetKinds) {
    if (kind == k) {
      return name;
    }
  }
  return "?";
}

TargetKind parse_target_kind(const std::string &s) {
  for (const auto &[kind, name] : kTargetKinds) {
    if (s == name) {
      return kind;
    }
  }
  throw InputError("unknown target kind \"" + s + "\"");
}

} // namespace kvmr::plan
