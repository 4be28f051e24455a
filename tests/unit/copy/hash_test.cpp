// Hashes as the command-line tools print them.
#include "rescue/copy/hash.hpp"
#include "rescue/util/error.hpp"

#include <doctest/doctest.h>

#include <string_view>
#include <vector>

using namespace kvmr;
using namespace kvmr::copy;

namespace {

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

} // namespace

TEST_CASE("hash: SHA-256 and xxh3-128 known values") {
  CHECK(hash_hex(HashKind::sha256, bytes("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // `printf abc | xxh128sum`
  CHECK(hash_hex(HashKind::xxh3_128, bytes("abc")) == "06b05ab6733a618578af5f94892f3950");
  CHECK(hash_hex(HashKind::xxh3_128, {}) == "99aa06d3014798d86001c324468d497f");
}

TEST_CASE("hash: streaming, zeros and reuse") {
  for (const auto kind : {HashKind::xxh3_128, HashKind::sha256}) {
    Hasher h(kind);
    h.update(bytes("a"));
    h.update(bytes("bc"));
    CHECK(h.hex_digest() == hash_hex(kind, bytes("abc")));
    h.update(bytes("abc")); // starts over after a digest
    CHECK(h.hex_digest() == hash_hex(kind, bytes("abc")));
    const std::vector<std::byte> zeros(200000);
    CHECK(zeros_hash_hex(kind, zeros.size()) == hash_hex(kind, zeros));
  }
  CHECK(parse_hash_kind("sha256") == HashKind::sha256);
  CHECK(parse_hash_kind(hash_kind_name(HashKind::xxh3_128)) == HashKind::xxh3_128);
  CHECK_THROWS_AS(parse_hash_kind("md5"), InputError);
}
