// Converted image items (see convert_item.hpp).
#include "rescue/run/convert_item.hpp"

#include "rescue/scan/image_chain.hpp"
#include "rescue/scan/image_format.hpp"
#include "rescue/util/command.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ranges>
#include <sys/stat.h>

namespace kvmr::run {
namespace {

using nlohmann::json;

// A conversion of a large image takes long; a day bounds a hung qemu-img.
constexpr std::chrono::hours kConvertTimeout{24};

std::string local_of(const LocalPath &local_path, const std::string &old_path) {
  std::string local = local_path(old_path);
  if (local.empty()) {
    throw InputError(fmt::format(
        "{}: converting it to qcow2 needs the old host's files as local paths, which the "
        "libguestfs backend does not give: run copy with --backend kernel (as root), or plan "
        "again with --keep-format",
        old_path));
  }
  return local;
}

json file_node(const std::string &local) {
  return {{"driver", "file"}, {"filename", local}, {"locking", "off"}};
}

// The first error of CHAIN, for a refusal.
std::string first_error(const scan::ImageChain &chain) {
  for (const auto &p : chain.problems) {
    if (p.severity == scan::Severity::error) {
      return p.message;
    }
  }
  for (const auto &m : chain.members) {
    for (const auto &p : m.problems) {
      if (p.severity == scan::Severity::error) {
        return p.message;
      }
    }
  }
  return "the chain is incomplete";
}

// A json: description of CHAIN with every file at its local path.
std::string chain_spec(const LocalPath &local, const scan::ImageChain &chain) {
  json below;
  for (const scan::ChainMember &m : std::views::reverse(chain.members)) {
    for (const auto &e : m.extents) {
      if (e.name.starts_with("/")) {
        throw InputError(fmt::format("{}: VMDK extent {} is named by an absolute path, which "
                                     "qemu-img would look up on this machine: not converted",
                                     m.path, e.name));
      }
    }
    json node = {{"driver", scan::format_name(*m.opened_as)},
                 {"file", file_node(local_of(local, m.real_path))}};
    if (m.data_file && m.data_file->exists) {
      node["data-file"] = file_node(local_of(local, m.data_file->path));
    }
    if (!below.is_null()) {
      node["backing"] = below;
    }
    below = std::move(node);
  }
  return "json:" + below.dump();
}

void qemu_img(const std::vector<std::string> &argv, const std::string &what) {
  SystemCommandRunner runner;
  const CommandResult r = runner.run(argv, kConvertTimeout);
  if (r.exit_code != 0) {
    throw InputError(fmt::format("{}: qemu-img {} failed (exit {}): {}", what, argv[1], r.exit_code,
                                 r.err.empty() ? r.out : r.err));
  }
}

} // namespace

void convert_image(const plan::PlanItem &item, io::SourceTree &tree, const LocalPath &local,
                   const std::string &dest, ManifestItem &m) {
  const scan::ImageChain chain = scan::walk_image_chain(tree, item.source, item.convert_from);
  if (!chain.ok() || !chain.complete) {
    throw InputError(fmt::format("{}: not converted: {}", item.source, first_error(chain)));
  }
  const std::string spec = chain_spec(local, chain);
  const std::string partial = dest + ".partial";
  (void)std::remove(partial.c_str()); // a leftover of an interrupted run, if any
  qemu_img({"qemu-img", "convert", "-O", "qcow2", spec, partial}, item.source);
  qemu_img({"qemu-img", "compare", "-F", "qcow2", spec, partial}, item.source);
  if (std::rename(partial.c_str(), dest.c_str()) != 0) {
    throw SysError(dest, "rename", errno);
  }
  struct stat st {};
  if (::stat(dest.c_str(), &st) != 0) {
    throw SysError(dest, "stat", errno);
  }
  m.size = static_cast<std::uint64_t>(st.st_size);
  m.allocated_bytes = static_cast<std::uint64_t>(st.st_blocks) * 512U;
  m.data_bytes = item.allocated;
  m.bytes_read = item.allocated;
  m.converted_from = item.convert_from;
  m.verified = true; // qemu-img compare: the guest sees the same bytes
  m.status = ItemStatus::copied;
}

} // namespace kvmr::run
