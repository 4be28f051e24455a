// The wizard's session log and its one-wizard-at-a-time lock.
#include "rescue/util/error.hpp"
#include "tui/model.hpp"
#include "tui/session_log.hpp"
#include "tui/wizard_lock.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

using namespace kvmr::tui; // NOLINT(google-build-using-namespace)
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kvmr-session-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string slurp(const fs::path &p) {
  std::ifstream f(p);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("a session log that is off writes nothing") {
  SessionLog log;
  CHECK_FALSE(log.on());
  log.line("nothing");
  std::string why;
  CHECK_FALSE(log.copy_to("/nonexistent", why));
  CHECK(why == "no session log");
}

TEST_CASE("the session log appends timestamped lines and copies itself beside a report") {
  TempDir t;
  const fs::path file = t.path / "log" / "session-ttyS0.log"; // its directory is made
  SessionLog log(file.string());
  CHECK(log.on());
  log.line("screen: Welcome");
  log.line("Copy: two\nlines");
  const std::string text = slurp(file);
  CHECK(text.find(" screen: Welcome\n") != std::string::npos);
  CHECK(text.find(" Copy: two\n    lines\n") != std::string::npos);
  CHECK(text.substr(0, 2) == "20"); // a date first

  SessionLog again(file.string()); // appends, never truncates
  again.line("second run");
  CHECK(slurp(file).find(" screen: Welcome\n") != std::string::npos);

  fs::create_directories(t.path / "target" / "kvm-rescue");
  std::string why;
  REQUIRE(again.copy_to((t.path / "target" / "kvm-rescue").string(), why));
  CHECK(slurp(t.path / "target" / "kvm-rescue" / "session.log") == slurp(file));
  CHECK_FALSE(again.copy_to((t.path / "missing" / "dir").string(), why));
  CHECK(why.find("missing") != std::string::npos);
}

TEST_CASE("a session log that cannot be opened is an error naming the file") {
  TempDir t;
  const fs::path file = t.path / "a-directory";
  fs::create_directories(file);
  try {
    SessionLog log(file.string());
    FAIL("no error for a directory as the log");
  } catch (const kvmr::InputError &e) {
    CHECK(std::string(e.what()).find(file.string()) != std::string::npos);
  }
}

TEST_CASE("only one wizard holds the lock; the second is told who holds it") {
  TempDir t;
  const std::string path = (t.path / "lock" / "wizard.lock").string();
  std::string holder;
  auto first = WizardLock::take(holder, path);
  REQUIRE(first);
  CHECK(first->held());

  // A second open file description conflicts even in this process, as a
  // second wizard's would.
  std::string who;
  const auto second = WizardLock::take(who, path);
  CHECK_FALSE(second);
  CHECK(who.find("pid " + std::to_string(::getpid())) != std::string::npos);

  WizardLock moved = std::move(*first);
  first.reset(); // the moved-from lock releases nothing
  CHECK_FALSE(WizardLock::take(who, path));

  moved = WizardLock(); // released
  const auto third = WizardLock::take(who, path);
  CHECK(third);
}

TEST_CASE("a symlink at the lock's path is refused, its target untouched") {
  TempDir t;
  const auto victim = t.path / "victim";
  std::ofstream(victim) << "precious\n";
  const auto link = t.path / "wizard.lock";
  std::filesystem::create_symlink(victim, link);
  std::string why;
  CHECK_FALSE(WizardLock::take(why, link.string()));
  CHECK(why.find(link.string()) != std::string::npos);
  std::ifstream in(victim);
  std::string back;
  std::getline(in, back);
  CHECK(back == "precious");
}

TEST_CASE("a lock file that cannot be opened is named") {
  std::string why;
  const auto l = WizardLock::take(why, "/proc/self/no-such-dir/wizard.lock");
  CHECK_FALSE(l);
  CHECK(why.find("/proc/self/no-such-dir/wizard.lock") != std::string::npos);
}

TEST_CASE("the summary says where the session log is") {
  WizardState s;
  CHECK(session_log_words(s).empty()); // no log

  TempDir t;
  s.log = std::make_shared<SessionLog>((t.path / "s.log").string());
  CHECK(session_log_words(s).find("only (not on any target") != std::string::npos);
  s.log_on_target = "kvm-rescue/session.log on /dev/vdb";
  const std::string w = session_log_words(s);
  CHECK(w.find("kvm-rescue/session.log on /dev/vdb") != std::string::npos);
  CHECK(w.find((t.path / "s.log").string()) != std::string::npos);
}
