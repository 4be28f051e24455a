// write_file_atomic on a directory it does not own alone (a directory
// target is an existing filesystem): a file or symlink planted at the old
// fixed temporary name is never written through.
#include "rescue/copy/atomic_file.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

using namespace kvmr;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("write_file_atomic: a symlink planted at NAME.tmp is not followed") {
  test::TempDir dir;
  const std::string victim = dir / "victim";
  std::ofstream(victim) << "precious\n";
  const std::string path = dir / "manifest.json";
  fs::create_symlink(victim, path + ".tmp");
  copy::write_file_atomic(path, "new content\n");
  CHECK(slurp(victim) == "precious\n");
  CHECK(slurp(path) == "new content\n");
  CHECK(fs::is_symlink(path + ".tmp")); // left as it was
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777U) == 0600U);
}

TEST_CASE("write_file_atomic: a symlink at NAME is replaced, not written through") {
  test::TempDir dir;
  const std::string victim = dir / "victim";
  std::ofstream(victim) << "precious\n";
  const std::string path = dir / "ks.cfg";
  fs::create_symlink(victim, path);
  copy::write_file_atomic(path, "kickstart\n");
  CHECK(slurp(victim) == "precious\n");
  CHECK_FALSE(fs::is_symlink(path));
  CHECK(slurp(path) == "kickstart\n");
}

TEST_CASE("write_file_atomic: a failure leaves no temporary file behind") {
  test::TempDir dir;
  const std::string path = dir / "sub";
  fs::create_directory(path); // rename of a file over a directory fails
  CHECK_THROWS(copy::write_file_atomic(path, "x"));
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto &e : fs::directory_iterator(dir.path())) {
    ++entries;
  }
  CHECK(entries == 1);
}
