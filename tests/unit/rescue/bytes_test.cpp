// Byte-order accessors and buffer helpers.
#include "rescue/util/bytes.hpp"
#include "rescue/util/error.hpp"

#include <doctest/doctest.h>

#include <array>

using namespace kvmr; // NOLINT(google-build-using-namespace)

namespace {
std::array<std::byte, 8> sample() {
  return {std::byte{0x01}, std::byte{0x02}, std::byte{0x03}, std::byte{0x04},
          std::byte{0x05}, std::byte{0x06}, std::byte{0x07}, std::byte{0x08}};
}
} // namespace

TEST_CASE("little and big endian reads") {
  const auto b = sample();
  CHECK(le16(b, 0) == 0x0201);
  CHECK(be16(b, 0) == 0x0102);
  CHECK(le32(b, 4) == 0x08070605U);
  CHECK(be32(b, 4) == 0x05060708U);
  CHECK(le64(b, 0) == 0x0807060504030201ULL);
  CHECK(be64(b, 0) == 0x0102030405060708ULL);
}

TEST_CASE("reads past the buffer throw instead of reading garbage") {
  const auto b = sample();
  CHECK_THROWS_AS(le32(b, 5), InputError);
  CHECK_THROWS_AS(be64(b, 1), InputError);
  CHECK_THROWS_AS(le16(b, 100), InputError);
}

TEST_CASE("zero, has_at, contains, c_string") {
  std::array<std::byte, 6> z{};
  CHECK(all_zero(z));
  z[3] = std::byte{'A'};
  CHECK_FALSE(all_zero(z));
  CHECK(has_at(z, 3, "A"));
  CHECK_FALSE(has_at(z, 5, "AB"));
  CHECK(contains(z, "A"));
  CHECK_FALSE(contains(z, "B"));
  const std::array<std::byte, 4> s{std::byte{'h'}, std::byte{'i'}, std::byte{0}, std::byte{'x'}};
  CHECK(c_string(s) == "hi");
}
