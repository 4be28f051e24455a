// Hashes as the command-line tools print them.
#include "rescue/copy/hash.hpp"
#include "rescue/util/error.hpp"

#include "unit/copy/copy_fixture.hpp"
#include "unit/rescue/test_util.hpp"

#include <dlfcn.h>
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <random>
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

TEST_CASE("hash: xxh3-128 of large inputs fed in uneven pieces equals xxh128sum") {
  // Lengths around XXH3's 64-byte stripes, 1 KiB blocks and 240-byte
  // short-input limit, and a few MiB, where the vector code paths run.
  std::mt19937_64 rng(7);
  const test::TempDir dir;
  for (const std::size_t len : {239U, 240U, 241U, 1023U, 1025U, 65536U + 17U, 3U << 20U}) {
    std::vector<std::byte> data(len);
    for (auto &b : data) {
      b = static_cast<std::byte>(rng());
    }
    const std::string path = dir / "data";
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char *>(data.data()), static_cast<std::streamsize>(len));
    Hasher h(HashKind::xxh3_128);
    std::size_t at = 0;
    for (std::size_t piece = 1; at < len; piece = piece * 3 + 1) {
      const std::size_t n = std::min<std::size_t>(piece, len - at);
      h.update(std::span(data).subspan(at, n));
      at += n;
    }
    INFO("length ", len);
    CHECK(h.hex_digest() == test::xxh128_of(path));
    CHECK(hash_hex(HashKind::xxh3_128, data) == test::xxh128_of(path));
  }
}

TEST_CASE("hash: xxh3 uses libxxhash's SIMD dispatcher where the library has one") {
  // Debian's libxxhash exports XXH3_*_dispatch; a build that ignored it
  // would hash at the SSE2 speed, a third of what this machine can do.
  void *lib = ::dlopen("libxxhash.so.0", RTLD_NOW | RTLD_NOLOAD);
  if (lib == nullptr) {
    lib = ::dlopen("libxxhash.so.0", RTLD_NOW);
  }
  REQUIRE_MESSAGE(lib != nullptr, "libxxhash.so.0 not loadable: ", ::dlerror());
  const bool library_has_it = ::dlsym(lib, "XXH3_128bits_update_dispatch") != nullptr;
  ::dlclose(lib);
  INFO("libxxhash exports XXH3_128bits_update_dispatch: ", library_has_it);
  CHECK(xxh3_simd_dispatch == library_has_it);
}
