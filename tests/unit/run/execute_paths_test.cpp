// Pieces of the execution that need no old host: destinations kept inside
// the target, small payload files written and verified, a SourceTree file
// read as a ByteSource.
#include "rescue/run/execute.hpp"
#include "rescue/run/text_item.hpp"
#include "rescue/run/tree_byte_source.hpp"
#include "rescue/util/error.hpp"
#include "unit/rescue/test_util.hpp"

#include <doctest/doctest.h>

#include <array>
#include <map>
#include <sys/stat.h>

using namespace kvmr;
using namespace kvmr::test;

namespace {

// A tree of in-memory files; reads past FAIL_FROM throw.
class MemTree final : public io::SourceTree {
public:
  std::map<std::string, std::string> files;
  std::uint64_t fail_from = UINT64_MAX;
  std::optional<io::FileStat> lstat(const std::string &path) override {
    const auto it = files.find(path);
    if (it == files.end()) {
      return std::nullopt;
    }
    io::FileStat st;
    st.type = io::FileType::regular;
    st.size = it->second.size();
    return st;
  }
  std::string read_file(const std::string &path, std::uint64_t /*max_bytes*/) override {
    return files.at(path);
  }
  std::string read_range(const std::string &path, std::uint64_t offset,
                         std::uint64_t length) override {
    if (offset >= fail_from) {
      throw InputError("appliance: pread failed");
    }
    const std::string &f = files.at(path);
    if (offset >= f.size()) {
      return {};
    }
    // At most 3 bytes per call, like a source that returns short reads.
    return f.substr(offset, std::min<std::uint64_t>({length, 3, f.size() - offset}));
  }
  std::vector<io::DirEntry> list(const std::string & /*dir*/) override { return {}; }
  std::string readlink(const std::string & /*path*/) override { return {}; }
  std::string sha256(const std::string & /*path*/) override { return {}; }
  [[nodiscard]] std::string describe() const override { return "memory"; }
};

} // namespace

TEST_CASE("target_path: plan destinations stay inside the target") {
  CHECK(run::target_path("/mnt/t", "web01.img") == "/mnt/t/web01.img");
  CHECK(run::target_path("/mnt/t", "relocated/srv/vm/a b.img") ==
        "/mnt/t/relocated/srv/vm/a b.img");
  CHECK_THROWS_AS(run::target_path("/mnt/t", "/etc/passwd"), InputError);
  CHECK_THROWS_AS(run::target_path("/mnt/t", "../x"), InputError);
  CHECK_THROWS_AS(run::target_path("/mnt/t", "a/../../x"), InputError);
  CHECK_THROWS_AS(run::target_path("/mnt/t", ""), InputError);
}

TEST_CASE("text items: written, read back, hashed; secrets 0600") {
  TempDir dir;
  const std::string path = dir / "payload/etc/libvirt/secrets/abc.base64";
  const auto w = run::write_text_item(path, "c2VjcmV0\n", true, copy::HashKind::sha256);
  CHECK(w.hash == sha256_of(path));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777U) == 0600U);
  const std::string xml = dir / "web01.xml";
  run::write_text_item(xml, "<domain/>", false, copy::HashKind::xxh3_128);
  REQUIRE(::stat(xml.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777U) == 0644U);
}

TEST_CASE("TreeByteSource: whole reads over short ones; failures are EIO naming the file") {
  MemTree t;
  t.files["/var/lib/libvirt/images/a.img"] = "0123456789";
  run::TreeByteSource s(t, "/var/lib/libvirt/images/a.img");
  CHECK(s.size() == 10);
  std::array<std::byte, 8> buf{};
  CHECK(s.read_at(1, buf) == 8);
  CHECK(static_cast<char>(buf[0]) == '1');
  CHECK(static_cast<char>(buf[7]) == '8');
  CHECK(s.read_at(8, buf) == 2);
  CHECK(s.read_at(10, buf) == 0);
  t.fail_from = 4;
  try {
    s.read_at(4, buf);
    FAIL("no error");
  } catch (const SysError &e) {
    CHECK(e.error_code() == EIO);
    CHECK(std::string(e.what()).find("a.img at offset 4") != std::string::npos);
  }
  CHECK_THROWS_AS(run::TreeByteSource(t, "/nope"), InputError);
}
