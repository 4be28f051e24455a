// SHA-512 crypt of a new root password (see password_hash.hpp).
#include "kickstart/password_hash.hpp"

#include "rescue/util/error.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <crypt.h>
#include <cstring>
#include <fstream>
#include <memory>

namespace kvmr::kickstart {
namespace {

void check_password(std::string_view password) {
  if (password.empty()) {
    throw InputError("the new root password is empty");
  }
  if (password.find_first_of(std::string_view("\n\r\0", 3)) != std::string_view::npos) {
    throw InputError("the new root password holds a line break or a NUL byte");
  }
}

// Wipes S's bytes where the compiler cannot drop the write.
void wipe(std::string &s) {
  explicit_bzero(s.data(), s.size());
  s.clear();
}

} // namespace

std::string sha512_crypt(std::string_view password, const std::string &setting) {
  check_password(password);
  std::string phrase(password);
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char *out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  std::string hash = out == nullptr || out[0] == '*' ? std::string() : std::string(out);
  explicit_bzero(data.get(), sizeof(crypt_data));
  wipe(phrase);
  if (hash.empty()) {
    throw InputError(fmt::format("crypt(3) refused the setting {}", setting));
  }
  return hash;
}

std::string sha512_crypt(std::string_view password) {
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  // Null random bytes: libxcrypt reads them from the system's source.
  if (crypt_gensalt_rn("$6$", 0, nullptr, 0, setting.data(), static_cast<int>(setting.size())) ==
      nullptr) {
    throw SysError("/dev/urandom", "crypt_gensalt_rn $6$", errno);
  }
  return sha512_crypt(password, setting.data());
}

std::string hash_password_file(const std::string &file) {
  std::ifstream in(file, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line)) {
    throw InputError(fmt::format("{}: cannot read the new root password", file));
  }
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  try {
    std::string hash = sha512_crypt(line);
    wipe(line);
    return hash;
  } catch (const InputError &e) {
    wipe(line);
    throw InputError(fmt::format("{}: {}", file, e.what()));
  }
}

} // namespace kvmr::kickstart
