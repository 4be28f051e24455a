// ddrescue mapfiles: writing and reading (see mapfile.hpp).
#include "rescue/copy/mapfile.hpp"

#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

namespace kvmr::copy {

namespace {

bool valid_status(char c) {
  return c == '?' || c == '*' || c == '/' || c == '-' || c == '+';
}

// Splits LINE at blanks.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) {
      ++i;
    }
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
      ++i;
    }
    if (i > start) {
      out.push_back(line.substr(start, i - start));
    }
  }
  return out;
}

// ddrescue writes 0x-prefixed hex; plain decimal is accepted too.
std::optional<std::uint64_t> number(std::string_view s) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || p != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

} // namespace

void append_block(std::vector<MapBlock> &blocks, const MapBlock &b) {
  if (b.size == 0) {
    return;
  }
  if (!blocks.empty() && blocks.back().status == b.status &&
      blocks.back().pos + blocks.back().size == b.pos) {
    blocks.back().size += b.size;
    return;
  }
  blocks.push_back(b);
}

std::string format_mapfile(const Mapfile &map, std::string_view comment) {
  std::string out;
  std::size_t i = 0;
  while (i < comment.size()) {
    const std::size_t nl = comment.find('\n', i);
    const std::size_t end = nl == std::string_view::npos ? comment.size() : nl;
    out += fmt::format("# {}\n", comment.substr(i, end - i));
    i = end + 1;
  }
  out += "# current_pos  current_status  current_pass\n";
  out += fmt::format("0x{:08X}     {}               {}\n", map.current_pos, map.current_status,
                     map.current_pass);
  out += "#      pos        size  status\n";
  for (const auto &b : map.blocks) {
    out += fmt::format("0x{:08X}  0x{:08X}  {}\n", b.pos, b.size, static_cast<char>(b.status));
  }
  return out;
}

Mapfile parse_mapfile(std::string_view text, const std::string &where) {
  Mapfile map;
  bool have_status = false;
  std::size_t lineno = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t nl = text.find('\n', i);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    const std::string_view line = text.substr(i, end - i);
    i = end + 1;
    ++lineno;
    const auto f = fields(line);
    if (f.empty() || f[0].front() == '#') {
      continue;
    }
    const auto bad = [&](std::string_view why) {
      return InputError(fmt::format("{}: line {}: {}: \"{}\"", where, lineno, why, line));
    };
    if (!have_status) {
      if (f.size() < 2 || f[1].size() != 1) {
        throw bad("expected the current position and status");
      }
      const auto pos = number(f[0]);
      if (!pos) {
        throw bad("bad position");
      }
      map.current_pos = *pos;
      map.current_status = f[1][0];
      if (f.size() > 2) {
        const auto pass = number(f[2]);
        if (!pass || *pass > 1000) {
          throw bad("bad pass");
        }
        map.current_pass = static_cast<int>(*pass);
      }
      have_status = true;
      continue;
    }
    if (f.size() != 3 || f[2].size() != 1 || !valid_status(f[2][0])) {
      throw bad("expected \"pos size status\"");
    }
    const auto pos = number(f[0]);
    const auto size = number(f[1]);
    if (!pos || !size) {
      throw bad("bad number");
    }
    const std::uint64_t expected =
        map.blocks.empty() ? 0 : map.blocks.back().pos + map.blocks.back().size;
    if (*pos != expected) {
      throw bad(fmt::format("block does not start where the last ended (0x{:X})", expected));
    }
    map.blocks.push_back({*pos, *size, static_cast<MapStatus>(f[2][0])});
  }
  if (!have_status) {
    throw InputError(where + ": not a ddrescue mapfile (no status line)");
  }
  return map;
}

std::optional<Mapfile> load_mapfile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw SysError(path, "open mapfile", errno);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_mapfile(text.str(), path);
}

std::uint64_t bytes_with_status(const Mapfile &map, MapStatus s) {
  std::uint64_t n = 0;
  for (const auto &b : map.blocks) {
    if (b.status == s) {
      n += b.size;
    }
  }
  return n;
}

} // namespace kvmr::copy
