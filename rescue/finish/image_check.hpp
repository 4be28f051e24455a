// The read-only consistency check of a copied image: `qemu-img check
// --output=json -f FMT PATH` (no -r: nothing is repaired), its exit status
// and JSON (QAPI ImageCheck) turned into a verdict. Raw images have no
// metadata to check.
#pragma once

#include "rescue/util/command.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::finish {

enum class CheckStatus {
  ok,             // exit 0: consistent
  leaks,          // exit 3: leaked clusters only (wasted space, data intact)
  corrupt,        // exit 2: corruptions
  error,          // exit 1 (check not completed), or qemu-img could not run
  not_applicable, // raw, or exit 63: the format has no consistency check
};
const char *to_string(CheckStatus s) noexcept;

struct ImageCheck {
  CheckStatus status = CheckStatus::error;
  std::string path;
  std::string format;
  // From the JSON, when qemu-img printed it.
  std::uint64_t check_errors = 0; // internal errors during the check
  std::uint64_t leaks = 0;        // leaked clusters
  std::uint64_t corruptions = 0;
  std::optional<std::uint64_t> image_end_offset;
  std::optional<std::uint64_t> total_clusters;
  std::optional<std::uint64_t> allocated_clusters;
  // One line naming PATH and what is wrong; empty when ok.
  std::string message;
  // What qemu-img printed on stderr ("ERROR cluster 5 refcount=0 ..."),
  // at most 20 lines.
  std::vector<std::string> details;
  [[nodiscard]] bool ok() const noexcept { return status == CheckStatus::ok; }
};

// Turns a finished `qemu-img check --output=json` run on PATH (format
// FORMAT) into the verdict. Pure: no I/O.
ImageCheck parse_image_check(const std::string &path, const std::string &format,
                             const CommandResult &res);

// Checks the image at PATH of FORMAT ("qcow2", "raw", ...) through RUNNER
// (null: the system's). "raw" is not_applicable without running anything.
// Never throws for a bad image: the status and message say what is wrong.
ImageCheck check_image(const std::string &path, const std::string &format,
                       CommandRunner *runner = nullptr);

} // namespace kvmr::finish
