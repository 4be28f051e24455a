// AlignedBuffer: aligned as asked (2 MiB and huge-page eligible when
// large), a freed buffer is handed out again without new page faults, and
// what is kept is bounded.
#include "rescue/io/aligned_buffer.hpp"
#include "unit/copy/copy_fixture.hpp"

#include "unit/skip.hpp"

#include <doctest/doctest.h>
#include <sys/resource.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace kvmr;
using namespace kvmr::test;

namespace {

std::uintptr_t address(const io::AlignedBuffer &b) {
  return reinterpret_cast<std::uintptr_t>(b.span().data());
}

// Page faults of this thread so far.
long faults() {
  rusage u{};
  ::getrusage(RUSAGE_THREAD, &u);
  return u.ru_minflt + u.ru_majflt;
}

// Page faults taken while writing every byte of B.
long faults_touching(const io::AlignedBuffer &b) {
  const long before = faults();
  std::memset(b.span().data(), 0x5a, b.span().size());
  return faults() - before;
}

// The "THPeligible" line of the mapping that holds ADDR in
// /proc/self/smaps, or "" when there is none.
std::string thp_eligible(std::uintptr_t addr) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t from = 0;
    std::uintptr_t to = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> from >> dash >> to && dash == '-') {
      inside = addr >= from && addr < to;
      continue;
    }
    if (inside && line.rfind("THPeligible:", 0) == 0) {
      return line.substr(line.find_last_of(' ') + 1);
    }
  }
  return "";
}

std::string thp_mode() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string s;
  std::getline(f, s);
  return s;
}

} // namespace

TEST_CASE("AlignedBuffer: aligned as asked, 2 MiB when large") {
  const io::AlignedBuffer big(4 * MiB);
  CHECK(big.span().size() == 4 * MiB);
  CHECK(address(big) % (2 * MiB) == 0);
  const io::AlignedBuffer small(64 * KiB);
  CHECK(address(small) % 4096 == 0);
  const io::AlignedBuffer wide(64 * KiB, 64 * KiB);
  CHECK(address(wide) % (64 * KiB) == 0);
  const io::AlignedBuffer odd(MiB + 1000);
  CHECK(odd.span().size() == MiB + 1000);
}

TEST_CASE("AlignedBuffer: a freed buffer comes back without new page faults") {
  // A size no other test uses, so the first one is fresh memory.
  constexpr std::uint64_t size = 6 * MiB + 4096;
  std::uintptr_t first = 0;
  {
    const io::AlignedBuffer a(size);
    first = address(a);
    CHECK(faults_touching(a) > 0); // fresh memory faults (the check below can fail)
  }
  CHECK(io::aligned_buffer_bytes_kept() >= size);
  const io::AlignedBuffer b(size);
  CHECK(address(b) == first);
  CHECK(faults_touching(b) == 0);
}

TEST_CASE("AlignedBuffer: at most 64 MiB of freed buffers are kept") {
  {
    std::vector<io::AlignedBuffer> many;
    many.reserve(10);
    for (int i = 0; i < 10; ++i) {
      many.emplace_back(10 * MiB);
    }
  }
  CHECK(io::aligned_buffer_bytes_kept() <= 64 * MiB);
  CHECK(io::aligned_buffer_bytes_kept() >= 50 * MiB);
}

TEST_CASE("AlignedBuffer: large buffers may be backed by huge pages" *
          doctest::test_suite("host")) {
  const std::string mode = thp_mode();
  KVMR_SKIP_UNLESS(mode.find("[madvise]") != std::string::npos,
                   "transparent huge pages are \"" + mode +
                       "\", not madvise: no difference to see");
  const io::AlignedBuffer big(4 * MiB);
  CHECK(thp_eligible(address(big)) == "1");
  // An ordinary mapping of the same size is not (the check can fail).
  std::vector<std::byte> plain(4 * MiB);
  CHECK(thp_eligible(reinterpret_cast<std::uintptr_t>(plain.data())) == "0");
}
