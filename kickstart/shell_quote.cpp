// Shell quoting (see shell_quote.hpp).
#include "kickstart/shell_quote.hpp"

#include <stdexcept>

namespace kvmr::kickstart {

std::string shell_quote(std::string_view value) {
  if (value.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("a value with a NUL byte cannot be a shell word");
  }
  std::string out;
  out.reserve(value.size() + 2);
  out += '\'';
  for (const char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

} // namespace kvmr::kickstart
