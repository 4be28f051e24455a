// qemu-img check, read-only, as a verdict (see image_check.hpp).
#include "rescue/finish/image_check.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <sstream>

namespace kvmr::finish {

namespace {

constexpr std::size_t kMaxDetails = 20;

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      out.push_back(line);
    }
  }
  return out;
}

std::optional<std::uint64_t> number(const nlohmann::json &j, const char *key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) {
    return std::nullopt;
  }
  return it->get<std::uint64_t>();
}

// The last line qemu-img wrote to stderr: its own error message.
std::string last_line(const std::vector<std::string> &lines) {
  return lines.empty() ? std::string() : lines.back();
}

} // namespace

const char *to_string(CheckStatus s) noexcept {
  switch (s) {
  case CheckStatus::ok: return "ok";
  case CheckStatus::leaks: return "leaks";
  case CheckStatus::corrupt: return "corrupt";
  case CheckStatus::error: return "error";
  case CheckStatus::not_applicable: return "not applicable";
  }
  return "error";
}

ImageCheck parse_image_check(const std::string &path, const std::string &format,
                             const CommandResult &res) {
  ImageCheck out;
  out.path = path;
  out.format = format;
  auto err_lines = lines_of(res.err);
  if (res.not_found) {
    out.status = CheckStatus::error;
    out.message =
        fmt::format("{}: qemu-img is not installed: the {} image was not checked", path, format);
    return out;
  }
  if (res.timed_out) {
    out.status = CheckStatus::error;
    out.message = fmt::format("{}: qemu-img check did not finish in time", path);
    return out;
  }

  bool have_json = false;
  const auto j = nlohmann::json::parse(res.out, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    have_json = true;
    out.check_errors = number(j, "check-errors").value_or(0);
    out.leaks = number(j, "leaks").value_or(0);
    out.corruptions = number(j, "corruptions").value_or(0);
    out.image_end_offset = number(j, "image-end-offset");
    out.total_clusters = number(j, "total-clusters");
    out.allocated_clusters = number(j, "allocated-clusters");
  }
  const std::string tool_said = last_line(err_lines);
  if (err_lines.size() > kMaxDetails) {
    err_lines.resize(kMaxDetails);
  }
  out.details = std::move(err_lines);

  // qemu-img(1): 0 consistent, 1 check not completed (internal errors),
  // 2 corrupted, 3 leaked clusters but not corrupted, 63 no checks for
  // this format.
  switch (res.exit_code) {
  case 0:
    out.status = CheckStatus::ok;
    if (have_json && (out.corruptions != 0 || out.check_errors != 0)) {
      out.status = CheckStatus::corrupt; // never trust a 0 that disagrees with the counts
    } else if (have_json && out.leaks != 0) {
      out.status = CheckStatus::leaks;
    }
    break;
  case 2: out.status = CheckStatus::corrupt; break;
  case 3: out.status = CheckStatus::leaks; break;
  case 63:
    out.status = CheckStatus::not_applicable;
    out.message = fmt::format("{}: qemu-img has no consistency check for {} images", path, format);
    return out;
  default: out.status = CheckStatus::error; break;
  }

  switch (out.status) {
  case CheckStatus::ok: break;
  case CheckStatus::corrupt:
    out.message = fmt::format(
        "{}: qemu-img check found {} corruption{}{}{} in the {} image", path, out.corruptions,
        out.corruptions == 1 ? "" : "s",
        out.leaks == 0 ? "" : fmt::format(" and {} leaked clusters", out.leaks),
        out.check_errors == 0 ? "" : fmt::format(" ({} check errors)", out.check_errors), format);
    break;
  case CheckStatus::leaks:
    out.message = fmt::format("{}: qemu-img check found {} leaked cluster{} (wasted space; the "
                              "data is intact)",
                              path, out.leaks, out.leaks == 1 ? "" : "s");
    break;
  default:
    out.message = fmt::format("{}: qemu-img check could not check the {} image (exit {}){}{}", path,
                              format, res.exit_code, tool_said.empty() ? "" : ": ", tool_said);
    break;
  }
  return out;
}

ImageCheck check_image(const std::string &path, const std::string &format, CommandRunner *runner) {
  if (format == "raw") {
    ImageCheck out;
    out.status = CheckStatus::not_applicable;
    out.path = path;
    out.format = format;
    out.message = fmt::format("{}: raw image: nothing to check", path);
    return out;
  }
  SystemCommandRunner system;
  CommandRunner &r = runner == nullptr ? system : *runner;
  // An absolute path: qemu-img would take "name:..." for a protocol and
  // "-..." for an option.
  const std::string abs = std::filesystem::absolute(path).string();
  const auto res =
      r.run({"qemu-img", "check", "--output=json", "-f", format, abs}, std::chrono::minutes(30));
  return parse_image_check(path, format, res);
}

} // namespace kvmr::finish
