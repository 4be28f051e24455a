// The wizard's session log (see session_log.hpp).
#include "tui/session_log.hpp"

#include "rescue/copy/atomic_file.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kvmr::tui {
namespace fs = std::filesystem;

namespace {

std::string timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  std::array<char, 32> buf{};
  const std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(buf.data(), n);
}

} // namespace

SessionLog::SessionLog(std::string path) : path_(std::move(path)) {
  if (path_.empty()) {
    return;
  }
  std::error_code ec;
  const fs::path parent = fs::path(path_).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
  }
  std::ofstream f(path_, std::ios::app);
  if (!f) {
    throw InputError(
        fmt::format("{}: cannot open the session log: {}", path_, std::strerror(errno)));
  }
}

void SessionLog::line(const std::string &text) {
  if (path_.empty()) {
    return;
  }
  std::string out = timestamp() + " ";
  for (const char c : text) {
    out += c;
    if (c == '\n') {
      out += "    ";
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) {
    out.pop_back();
  }
  out += '\n';
  const std::lock_guard<std::mutex> hold(mu_);
  std::ofstream f(path_, std::ios::app);
  f << out;
}

bool SessionLog::copy_to(const std::string &dir, std::string &why) const {
  if (path_.empty()) {
    why = "no session log";
    return false;
  }
  std::string text;
  {
    const std::lock_guard<std::mutex> hold(mu_);
    std::ifstream f(path_);
    std::ostringstream ss;
    ss << f.rdbuf();
    text = ss.str();
  }
  try {
    copy::write_file_atomic(dir + "/session.log", text);
    return true;
  } catch (const std::exception &e) {
    why = e.what();
    return false;
  }
}

} // namespace kvmr::tui
