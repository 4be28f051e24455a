// CRC-32C against the standard check value and its raw form.
#include "rescue/util/crc32c.hpp"

#include <doctest/doctest.h>

#include <string_view>
#include <vector>

namespace {
std::vector<std::byte> bytes(std::string_view s) {
  std::vector<std::byte> v;
  for (const char c : s) {
    v.push_back(static_cast<std::byte>(c));
  }
  return v;
}
} // namespace

TEST_CASE("CRC-32C check value of 123456789 is e3069283") {
  CHECK(kvmr::crc32c(bytes("123456789")) == 0xE3069283U);
  CHECK(kvmr::crc32c(bytes("")) == 0U);
}

TEST_CASE("the raw update is the standard value inverted") {
  const auto b = bytes("kvm-rescue");
  CHECK(kvmr::crc32c_update(~0U, b) == ~kvmr::crc32c(b));
}
