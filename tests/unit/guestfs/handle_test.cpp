// guestfs::Handle without an appliance: failing calls become GuestfsError
// naming the call and its subject, nothing is printed, events reach the
// sink (also after a move), and GuestfsTree refuses bad sources before it
// would launch anything.
#include "rescue/guestfs/guestfs_tree.hpp"
#include "rescue/guestfs/handle.hpp"
#include "rescue/util/error.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace kvmr::guestfs; // NOLINT(google-build-using-namespace)

namespace {

struct RecordingSink final : EventSink {
  std::vector<std::pair<LogKind, std::string>> messages;
  int progress_calls = 0;
  void message(LogKind kind, std::string_view text) override {
    messages.emplace_back(kind, std::string(text));
  }
  void progress(std::uint64_t /*done*/, std::uint64_t /*total*/) override { ++progress_calls; }
  [[nodiscard]] bool saw(LogKind kind, const std::string &needle) const {
    return std::any_of(messages.begin(), messages.end(), [&](const auto &m) {
      return m.first == kind && m.second.find(needle) != std::string::npos;
    });
  }
};

// Everything written to file descriptor 2 while it lives.
class StderrCapture {
public:
  StderrCapture() : path_("/tmp/kvmr-guestfs-stderr-XXXXXX") {
    fd_ = ::mkstemp(path_.data());
    REQUIRE(fd_ >= 0);
    static_cast<void>(std::fflush(stderr));
    saved_ = ::dup(2);
    ::dup2(fd_, 2);
  }
  StderrCapture(const StderrCapture &) = delete;
  StderrCapture &operator=(const StderrCapture &) = delete;
  StderrCapture(StderrCapture &&) = delete;
  StderrCapture &operator=(StderrCapture &&) = delete;
  ~StderrCapture() {
    restore();
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  std::string text() {
    restore();
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

private:
  void restore() {
    if (saved_ >= 0) {
      static_cast<void>(std::fflush(stderr));
      ::dup2(saved_, 2);
      ::close(saved_);
      saved_ = -1;
    }
  }
  std::string path_;
  int fd_ = -1;
  int saved_ = -1;
};

const std::string kMissing = "/nonexistent/kvmr-guestfs-test/no-such.img";

} // namespace

TEST_CASE("adding a drive that does not exist raises GuestfsError naming the path") {
  Handle g;
  try {
    g.add_drive_ro(kMissing);
    FAIL("add_drive_ro did not throw");
  } catch (const GuestfsError &e) {
    CHECK(e.call() == "add_drive_opts");
    CHECK(e.subject() == kMissing);
    CHECK(std::string(e.what()).find(kMissing) != std::string::npos);
    CHECK(e.message().find("No such file") != std::string::npos);
    CHECK(e.error_code() == ENOENT);
  }
}

TEST_CASE("a GuestfsError is a std::runtime_error") {
  Handle g;
  CHECK_THROWS_AS(g.add_drive_ro(kMissing), std::runtime_error);
}

TEST_CASE("an appliance call before launch raises, it does not report a missing file") {
  Handle g;
  CHECK_THROWS_AS(static_cast<void>(g.lstatns("/etc/fstab")), GuestfsError);
  try {
    static_cast<void>(g.read_file("/etc/fstab"));
    FAIL("read_file before launch did not throw");
  } catch (const GuestfsError &e) {
    CHECK(e.call() == "read_file");
    CHECK(e.subject() == "/etc/fstab");
    CHECK_FALSE(e.message().empty());
  }
}

TEST_CASE("bad arguments are refused with the argument named") {
  Handle g;
  try {
    g.set_memsize(-5);
    FAIL("set_memsize(-5) did not throw");
  } catch (const GuestfsError &e) {
    CHECK(e.call() == "set_memsize");
    CHECK(e.subject() == "-5");
  }
}

TEST_CASE("errors and traces are never printed, with or without a sink") {
  StderrCapture cap;
  {
    Handle g;
    g.set_trace(true);
    g.set_verbose(true);
    g.set_memsize(700);
    CHECK_THROWS_AS(g.add_drive_ro(kMissing), GuestfsError);
  }
  {
    RecordingSink sink;
    Handle g(&sink);
    g.set_trace(true);
    CHECK_THROWS_AS(g.add_drive_ro(kMissing), GuestfsError);
  }
  CHECK(cap.text().empty());
}

TEST_CASE("trace messages reach the sink, also after the handle moved") {
  RecordingSink sink;
  Handle a(&sink);
  a.set_trace(true);
  a.set_memsize(700);
  CHECK(sink.saw(LogKind::trace, "set_memsize 700"));
  Handle b(std::move(a));
  b.set_memsize(720);
  CHECK(sink.saw(LogKind::trace, "set_memsize 720"));
  Handle c;
  c = std::move(b);
  c.set_memsize(740);
  CHECK(sink.saw(LogKind::trace, "set_memsize 740"));
  CHECK(sink.progress_calls == 0);
}

TEST_CASE("a sink that throws does not unwind through libguestfs") {
  struct ThrowingSink final : EventSink {
    void message(LogKind /*kind*/, std::string_view /*text*/) override {
      throw std::runtime_error("sink failure");
    }
    void progress(std::uint64_t /*done*/, std::uint64_t /*total*/) override {}
  } sink;
  Handle g(&sink);
  g.set_trace(true);
  CHECK_NOTHROW(g.set_memsize(700));
}

TEST_CASE("a bad LIBGUESTFS_* variable surfaces as an exception from the constructor") {
  ::setenv("LIBGUESTFS_MEMSIZE", "lots", 1);
  try {
    Handle g;
    FAIL("a non-numeric LIBGUESTFS_MEMSIZE was accepted");
  } catch (const GuestfsError &e) {
    CHECK(e.call() == "parse_environment");
    CHECK(e.message().find("LIBGUESTFS_MEMSIZE") != std::string::npos);
  }
  ::unsetenv("LIBGUESTFS_MEMSIZE");
  CHECK_NOTHROW(Handle{});
}

TEST_CASE("the backend is reported") {
  Handle g;
  CHECK_FALSE(g.backend().empty());
}

TEST_CASE("GuestfsTree refuses an empty source list and a missing source before launching") {
  CHECK_THROWS_AS(GuestfsTree({}), kvmr::InputError);
  try {
    GuestfsTree tree({kMissing});
    FAIL("GuestfsTree opened a missing image");
  } catch (const GuestfsError &e) {
    CHECK(e.call() == "add_drive_opts");
    CHECK(e.subject() == kMissing);
  }
}

TEST_CASE("LogKind and MountState have names") {
  CHECK(std::string(to_string(LogKind::appliance)) == "appliance");
  CHECK(std::string(to_string(LogKind::warning)) == "warning");
  CHECK(std::string(to_string(MountState::unresolved)) == "unresolved");
  CHECK(std::string(to_string(MountState::mounted)) == "mounted");
}
