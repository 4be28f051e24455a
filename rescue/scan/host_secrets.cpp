// Password-bearing text made harmless (see host_secrets.hpp): a shadow
// field becomes a state and an algorithm, a kickstart line loses its
// password values. Pure functions, fuzzed by tests/fuzz/ifcfg_fuzz.cpp.
#include "rescue/scan/host_secrets.hpp"

#include "rescue/util/ascii.hpp"

#include <algorithm>
#include <array>
#include <sstream>

namespace kvmr::scan {
namespace {

constexpr const char *kRedacted = "<redacted>";

// Words of a kickstart line; quotes stay in the words, a quoted blank does
// not split.
std::vector<std::string> words_of(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  char quote = 0;
  bool in_word = false;
  for (const char c : line) {
    if (quote == 0 && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
      if (in_word) {
        out.push_back(std::move(cur));
        cur.clear();
        in_word = false;
      }
      continue;
    }
    in_word = true;
    cur += c;
    if (quote == 0 && (c == '"' || c == '\'')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    }
  }
  if (in_word) {
    out.push_back(std::move(cur));
  }
  return out;
}

bool secret_option(std::string_view opt) {
  return opt == "--password" || opt == "--passphrase" || opt == "--wpakey" || opt == "--pass";
}

std::string algorithm_of(std::string_view hash) {
  static constexpr std::array<std::pair<std::string_view, const char *>, 11> kIds{{
      {"1", "md5"},
      {"2a", "bcrypt"},
      {"2b", "bcrypt"},
      {"2x", "bcrypt"},
      {"2y", "bcrypt"},
      {"5", "sha256"},
      {"6", "sha512"},
      {"7", "scrypt"},
      {"y", "yescrypt"},
      {"gy", "gost-yescrypt"},
      {"sha1", "sha1"},
  }};
  if (!hash.empty() && hash.front() == '$') {
    const auto end = hash.find('$', 1);
    if (end != std::string_view::npos) {
      const std::string_view id = hash.substr(1, end - 1);
      for (const auto &[k, name] : kIds) {
        if (id == k) {
          return name;
        }
      }
    }
    return "unknown";
  }
  const bool des = hash.size() == 13 && std::all_of(hash.begin(), hash.end(), [](char c) {
                     return c == '.' || c == '/' || (c >= '0' && c <= '9') ||
                            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
                   });
  return des ? "des" : "unknown";
}

} // namespace

RootPassword classify_password_field(std::string_view field) {
  RootPassword r;
  if (field.empty()) {
    r.state = RootPasswordState::empty;
  } else if (field.front() == '!' || field.front() == '*') {
    r.state = RootPasswordState::locked;
    const auto rest = field.find_first_not_of("!*");
    if (rest != std::string_view::npos) {
      r.algorithm = algorithm_of(field.substr(rest));
    }
  } else {
    r.state = RootPasswordState::hash;
    r.algorithm = algorithm_of(field);
  }
  return r;
}

std::string redact_kickstart_line(std::string_view line) {
  std::vector<std::string> words = words_of(line);
  if (words.empty()) {
    return {};
  }
  const std::string cmd = ascii_lower(words.front());
  const bool positional_secret = cmd == "rootpw" || cmd == "sshpw";
  for (std::size_t i = 1; i < words.size(); ++i) {
    std::string &w = words[i];
    const auto eq = w.find('=');
    const std::string opt = w.substr(0, eq);
    if (secret_option(opt)) {
      if (eq != std::string::npos) {
        w = opt + "=" + kRedacted;
      } else if (i + 1 < words.size()) {
        words[++i] = kRedacted;
      }
    } else if (positional_secret && w.rfind("--", 0) != 0) {
      w = kRedacted;
    }
  }
  std::string out = words.front();
  for (std::size_t i = 1; i < words.size(); ++i) {
    out += ' ';
    out += words[i];
  }
  return out;
}

} // namespace kvmr::scan
