#include "kickstart/post.hpp"

#include "kickstart/logins.hpp"

#include "kickstart/dialect.hpp"
#include "kickstart/ks_reader.hpp"
#include "kickstart/shell_quote.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace kvmr::kickstart {
namespace {

std::vector<std::string> lines_of(const std::string &s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    const std::size_t nl = std::min(s.find('\n', start), s.size());
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

std::string base64(const std::string &in) {
  static constexpr std::array<char, 65> k{
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"};
  std::string out;
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(in[i])} << 16U) |
                            (std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8U) |
                            std::uint32_t{static_cast<unsigned char>(in[i + 2])};
    out += k[(v >> 18U) & 63U];
    out += k[(v >> 12U) & 63U];
    out += k[(v >> 6U) & 63U];
    out += k[v & 63U];
    i += 3;
  }
  if (i < in.size()) {
    std::uint32_t v = std::uint32_t{static_cast<unsigned char>(in[i])} << 16U;
    if (i + 1 < in.size()) {
      v |= std::uint32_t{static_cast<unsigned char>(in[i + 1])} << 8U;
    }
    out += k[(v >> 18U) & 63U];
    out += k[(v >> 12U) & 63U];
    out += i + 1 < in.size() ? k[(v >> 6U) & 63U] : '=';
    out += '=';
  }
  return out;
}

// Whether CONTENT, as lines of a here-document, could be read by
// pykickstart as anything but those same lines inside the section.
bool needs_base64(const std::string &content, const std::vector<std::string> &bash_lines) {
  const auto py = python_lines(content);
  if (!py || *py != bash_lines) {
    return true; // not UTF-8, or a line break only pykickstart sees
  }
  return std::ranges::any_of(bash_lines, [](const std::string &l) { return is_directive_line(l); });
}

} // namespace

std::vector<std::string> write_file_lines(const std::string &path, const std::string &content,
                                          const char *mode, bool make_dir) {
  const auto lines = lines_of(content);
  std::vector<std::string> out;
  if (make_dir) {
    out.push_back("install -d -m 0755 " + shell_quote(path.substr(0, path.rfind('/'))));
  }
  if (needs_base64(content, lines)) {
    out.push_back("base64 -d > " + shell_quote(path) + " <<'KVMR_B64'");
    const std::string b = base64(content);
    for (std::size_t i = 0; i < b.size(); i += 76) {
      out.push_back(b.substr(i, 76));
    }
    out.emplace_back("KVMR_B64");
  } else {
    std::string delim = "KVMR_EOF";
    for (int n = 1;; ++n) {
      bool clash = false;
      for (const auto &l : lines) {
        clash = clash || l == delim;
      }
      if (!clash) {
        break;
      }
      delim = "KVMR_EOF_" + std::to_string(n);
    }
    out.push_back("cat > " + shell_quote(path) + " <<'" + delim + "'");
    out.insert(out.end(), lines.begin(), lines.end());
    out.push_back(delim);
  }
  out.push_back(std::string("chmod ") + mode + " " + shell_quote(path));
  return out;
}

KsSection post_section(const Profile &p, const PostPayload &post) {
  KsSection sec{"%post --log=/root/kvm-rescue-post.log", {}};
  std::vector<std::string> &out = sec.body;
  out.emplace_back("set -u");
  std::string enable = "systemctl enable";
  for (const auto &u : libvirt_units(p.dialect)) {
    enable += " " + u;
  }
  out.push_back(enable);
  for (auto &l : login_post_lines(p)) {
    out.push_back(std::move(l));
  }
  if (!post.restore_script.empty()) {
    for (auto &l :
         write_file_lines("/usr/local/sbin/kvm-rescue-restore", post.restore_script, "0700")) {
      out.push_back(std::move(l));
    }
    for (auto &l :
         write_file_lines("/etc/systemd/system/kvm-rescue-restore.service", post.unit, "0644")) {
      out.push_back(std::move(l));
    }
    out.emplace_back("systemctl enable kvm-rescue-restore.service");
  }
  return sec;
}

} // namespace kvmr::kickstart
