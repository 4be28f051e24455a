// Interrupted copies resume: after a cancel, after a SIGKILL of the
// copying process (a slowed source makes the kill land mid-copy), and a
// resume state that lies about a chunk is caught by verification.
#include "rescue/copy/copy_error.hpp"
#include "rescue/copy/copy_item.hpp"
#include "rescue/copy/mapfile.hpp"
#include "rescue/io/file_byte_source.hpp"
#include "unit/copy/copy_fixture.hpp"
#include "unit/copy/fault_source.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

using namespace kvmr;
using namespace kvmr::test;

namespace {

constexpr std::uint64_t kSize = 128 * MiB;

// Cancels the copy once half of the data is done.
struct CancelAtHalf {
  std::atomic<bool> cancel{false};
  RecordingSink sink;
  CancelAtHalf() {
    sink.hook = [this](const copy::CopyProgress &p) {
      if (p.phase == copy::CopyPhase::copying && p.done * 2 >= p.total && p.total > 0) {
        cancel = true;
      }
    };
  }
};

std::string slurp(const std::string &path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

TEST_CASE("copy_item: a cancelled copy resumes and re-reads at most 10% extra") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, kSize, {{0, 100 * MiB}, {110 * MiB, 18 * MiB}});
  io::FileByteSource file(src_path);
  const auto dst = dir / "dst.img";

  FaultySource first(file);
  CancelAtHalf half;
  auto opt = test_options();
  opt.cancel = &half.cancel;
  CHECK_THROWS_AS(copy::copy_item(first, dst, opt, &half.sink), copy::Cancelled);
  CHECK_FALSE(exists(dst));
  CHECK(exists(copy::partial_path(dst)));
  const auto map = copy::load_mapfile(dst + ".map");
  REQUIRE(map.has_value());
  const auto finished = copy::bytes_with_status(*map, copy::MapStatus::finished);
  CHECK(finished > 0);
  CHECK(copy::bytes_with_status(*map, copy::MapStatus::non_tried) > 0);
  CHECK(map->current_pos < kSize);

  FaultySource second(file);
  const auto r = copy::copy_item(second, dst, test_options(), nullptr);
  CHECK(r.resumed);
  CHECK(same_content(src_path, dst));
  CHECK(r.hash == xxh128_of(src_path));
  const std::uint64_t data = 118 * MiB;
  CHECK(first.bytes_read() + second.bytes_read() <= data + data / 10);
  CHECK(second.bytes_read() == r.bytes_read);
  CHECK(allocated_bytes(dst) <= allocated_bytes(src_path) + MiB);
}

TEST_CASE("copy_item: a SIGKILLed copy resumes and re-reads at most 10% extra") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, kSize, {{0, kSize}});
  const auto dst = dir / "dst.img";

  // A counter the child adds to and the parent watches.
  void *mem = ::mmap(nullptr, sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(mem != MAP_FAILED);
  auto *child_read = new (mem) std::atomic<std::uint64_t>(0);

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    try {
      io::FileByteSource file(src_path);
      FaultySource slow(file);
      slow.set_delay(std::chrono::milliseconds(20)); // 128 reads of 1 MiB: ~2.6 s
      slow.count_into(child_read);
      copy::copy_item(slow, dst, test_options(), nullptr);
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(3); // finished before the kill: the test cannot prove anything
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (child_read->load() < kSize / 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  const std::uint64_t killed_after = child_read->load();
  ::munmap(mem, sizeof(std::atomic<std::uint64_t>));
  CHECK(killed_after >= kSize / 2);
  CHECK(killed_after < kSize);
  CHECK_FALSE(exists(dst));
  CHECK(exists(copy::partial_path(dst)));

  io::FileByteSource file(src_path);
  FaultySource counted(file);
  const auto r = copy::copy_item(counted, dst, test_options(), nullptr);
  CHECK(r.resumed);
  CHECK(same_content(src_path, dst));
  INFO("child read " << killed_after << ", resume read " << counted.bytes_read());
  CHECK(killed_after + counted.bytes_read() <= kSize + kSize / 10);
}

TEST_CASE("copy_item: a resume state that lies about a chunk fails verification") {
  TempDir dir;
  const auto src_path = dir / "src.img";
  make_sparse(src_path, 16 * MiB, {{0, 16 * MiB}});
  io::FileByteSource file(src_path);
  const auto dst = dir / "dst.img";
  CancelAtHalf half;
  auto opt = test_options();
  opt.cancel = &half.cancel;
  opt.source_id = "disk-1:/var/lib/libvirt/images/vm.img";
  CHECK_THROWS_AS(copy::copy_item(file, dst, opt, &half.sink), copy::Cancelled);
  opt.cancel = nullptr;

  // Chunk 0 is finished; give it another hash.
  const auto state_file = dst + ".partial.state";
  auto j = nlohmann::json::parse(slurp(state_file));
  REQUIRE(j["chunk_hashes"][0].get<std::string>().size() == 32);
  j["chunk_hashes"][0] = std::string(32, '0');
  std::ofstream(state_file) << j.dump();

  try {
    copy::copy_item(file, dst, opt, nullptr);
    FAIL("verification passed");
  } catch (const copy::VerifyMismatch &e) {
    CHECK(e.first_offset() == 0);
    CHECK(std::string(e.what()).find(copy::partial_path(dst)) != std::string::npos);
  }
  CHECK_FALSE(exists(dst));
  // The rerun copies the chunk again and succeeds.
  FaultySource counted(file); // another describe(): the source_id is what counts
  const auto r = copy::copy_item(counted, dst, opt, nullptr);
  CHECK(same_content(src_path, dst));
  CHECK(counted.bytes_read() == MiB);
  CHECK(r.resumed);
}

TEST_CASE("copy_item: a state from another source is not trusted") {
  TempDir dir;
  const auto a = dir / "a.img";
  const auto b = dir / "b.img";
  make_sparse(a, 8 * MiB, {{0, 8 * MiB}});
  make_sparse(b, 8 * MiB, {{0, 8 * MiB}});
  const auto dst = dir / "dst.img";
  {
    io::FileByteSource file(a);
    CancelAtHalf half;
    auto opt = test_options();
    opt.cancel = &half.cancel;
    CHECK_THROWS_AS(copy::copy_item(file, dst, opt, &half.sink), copy::Cancelled);
  }
  io::FileByteSource file(b);
  const auto r = copy::copy_item(file, dst, test_options(), nullptr);
  CHECK_FALSE(r.resumed);
  CHECK(same_content(b, dst));
}
