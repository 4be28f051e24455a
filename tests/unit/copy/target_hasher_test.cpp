// Verification where the target is held (CopyOptions::target_hasher): no
// read-back; each chunk's hash from the holder is compared with the hash
// taken from the source, an all-zero chunk with the hash of as many zeros.
#include "rescue/copy/copy_error.hpp"
#include "rescue/copy/copy_item.hpp"
#include "rescue/copy/hash.hpp"
#include "rescue/io/file_byte_source.hpp"
#include "rescue/util/error.hpp"
#include "unit/copy/copy_fixture.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace kvmr;
using namespace kvmr::test;

namespace {

constexpr std::uint64_t kSize = 6 * MiB + 4096;

// What a holder's sha256sum would say: read here, chunk by chunk.
copy::TargetHashes hashes_of(const std::string &path, std::uint64_t chunk, std::size_t chunks) {
  copy::TargetHashes h;
  h.whole = copy::hash_hex(copy::HashKind::sha256, read_range(path, 0, kSize));
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::uint64_t off = c * chunk;
    h.chunks.push_back(copy::hash_hex(copy::HashKind::sha256,
                                      read_range(path, off, std::min(chunk, kSize - off))));
  }
  return h;
}

copy::CopyOptions held_options(int *calls, std::size_t wrong_chunk = SIZE_MAX) {
  copy::CopyOptions o = test_options();
  o.hash = copy::HashKind::sha256;
  o.target_hasher = [calls, wrong_chunk](const std::string &path, std::uint64_t chunk,
                                         std::size_t chunks) {
    ++*calls;
    copy::TargetHashes h = hashes_of(path, chunk, chunks);
    if (wrong_chunk < h.chunks.size()) {
      h.chunks[wrong_chunk][0] = h.chunks[wrong_chunk][0] == '0' ? '1' : '0';
    }
    return h;
  };
  return o;
}

} // namespace

TEST_CASE("copy_item: a target verified where it is held takes its holder's hashes") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  const auto dst = dir / "dst.img";
  make_sparse(src_path, kSize, {{0, MiB}, {3 * MiB + 4096, 512 * KiB}});
  io::FileByteSource src(src_path);
  int calls = 0;
  const auto r = copy::copy_item(src, dst, held_options(&calls), nullptr);
  CHECK(calls == 1);
  CHECK(same_content(src_path, dst));
  CHECK(r.hash_kind == copy::HashKind::sha256);
  CHECK(r.hash == copy::hash_hex(copy::HashKind::sha256, read_range(src_path, 0, kSize)));
  CHECK_FALSE(exists(copy::partial_path(dst)));
}

TEST_CASE("copy_item: a chunk its holder hashes differently fails verification") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  const auto dst = dir / "dst.img";
  make_sparse(src_path, kSize, {{0, MiB}});
  io::FileByteSource src(src_path);
  int calls = 0;
  // Chunk 4 is all holes: the holder's hash is compared with the hash of zeros.
  for (const std::size_t wrong : {std::size_t{0}, std::size_t{4}}) {
    CAPTURE(wrong);
    CHECK_THROWS_AS(copy::copy_item(src, dst, held_options(&calls, wrong), nullptr),
                    copy::VerifyMismatch);
    CHECK_FALSE(exists(dst));
    CHECK(exists(copy::partial_path(dst)));
  }
  // The rerun copies the mismatched chunk again and passes.
  const auto r = copy::copy_item(src, dst, held_options(&calls), nullptr);
  CHECK(r.resumed);
  CHECK(same_content(src_path, dst));
}

TEST_CASE("copy_item: a holder's hasher needs sha256 chunk hashes") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, kSize, {{0, MiB}});
  io::FileByteSource src(src_path);
  int calls = 0;
  copy::CopyOptions o = held_options(&calls);
  o.hash = copy::HashKind::xxh3_128;
  CHECK_THROWS_AS(copy::copy_item(src, dir / "dst.img", o, nullptr), InputError);
  CHECK(calls == 0);
}
