// The doctest runner shared by every unit test binary. It counts the cases
// that skipped (tests/unit/skip.hpp), prints "SKIP: <test case>: <reason>"
// for each and a count, and exits 77 when any case skipped and none failed,
// so ctest (SKIP_RETURN_CODE 77) shows the entry as skipped, never as
// passed. Its own options, taken out before doctest sees the rest:
//   --kvmr-no-skip  a skip fails the run (the entry for cases that need
//                   nothing: a skip there means a case lacks its suite)
// A run filtered to a test suite that holds no case fails: the ctest entry
// for that suite would prove nothing.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "unit/skip.hpp"

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int kSkipExit = 77;

struct Skip {
  std::string test_case;
  std::string reason;
};

struct SkipState {
  const doctest::TestCaseData *current = nullptr;
  int cases_run = 0;
  std::vector<Skip> skips;
};

SkipState &state() {
  static SkipState s;
  return s;
}

// Follows which test case is running; reports nothing itself.
class SkipListener : public doctest::IReporter {
public:
  explicit SkipListener(const doctest::ContextOptions & /*options*/) {}
  void report_query(const doctest::QueryData & /*data*/) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats & /*stats*/) override {}
  void test_case_start(const doctest::TestCaseData &tc) override {
    state().current = &tc;
    ++state().cases_run;
  }
  void test_case_reenter(const doctest::TestCaseData & /*tc*/) override {}
  void test_case_end(const doctest::CurrentTestCaseStats & /*stats*/) override {
    state().current = nullptr;
  }
  void test_case_exception(const doctest::TestCaseException & /*e*/) override {}
  void subcase_start(const doctest::SubcaseSignature & /*sig*/) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData & /*data*/) override {}
  void log_message(const doctest::MessageData & /*data*/) override {}
  void test_case_skipped(const doctest::TestCaseData & /*tc*/) override {}
};

REGISTER_LISTENER("kvmr_skips", 1, SkipListener);

bool starts_with_any(std::string_view arg, std::initializer_list<std::string_view> prefixes) {
  for (const auto p : prefixes) {
    if (arg.starts_with(p)) {
      return true;
    }
  }
  return false;
}

bool filters_by_suite(const std::vector<char *> &args) {
  for (const char *a : args) {
    if (starts_with_any(a, {"-ts=", "--test-suite=", "--dt-ts=", "--dt-test-suite="})) {
      return true;
    }
  }
  return false;
}

// The arguments for doctest, without the driver's own; NO_SKIP is set when
// --kvmr-no-skip was among them.
std::vector<char *> doctest_args(int argc, char **argv, bool &no_skip) {
  std::vector<char *> out;
  for (int i = 0; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--kvmr-no-skip") {
      no_skip = true;
    } else {
      out.push_back(argv[i]);
    }
  }
  return out;
}

// Prints the skips and returns the exit code for a run that had no failure.
int report_skips(bool no_skip) {
  const auto &s = state();
  if (s.skips.empty()) {
    return 0;
  }
  std::cout << "kvmr: " << s.skips.size() << " of " << s.cases_run
            << " test cases skipped (doctest's line above counts them as passed): this machine "
               "lacks what they need";
  if (no_skip) {
    std::cout << "; no case run without a test suite may skip (tests/unit/skip.hpp)\n";
    return 1;
  }
  std::cout << " (exit " << kSkipExit << ": ctest counts the entry as skipped)\n";
  return kSkipExit;
}

} // namespace

void kvmr::test::skip(const std::string &reason) {
  auto &s = state();
  const doctest::TestCaseData *tc = s.current;
  const std::string name = tc == nullptr ? "(outside a test case)" : tc->m_name;
  if (tc == nullptr || std::string_view(tc->m_test_suite).empty()) {
    const std::string why = "a skip in a case that names no need: put \"" + name +
                            "\" in the test suite of what it needs (tests/unit/skip.hpp); " +
                            reason;
    FAIL_CHECK(why);
  }
  for (auto &k : s.skips) {
    if (k.test_case == name) { // a second reason, or another subcase
      if (k.reason.find(reason) == std::string::npos) {
        k.reason += "; " + reason;
      }
      return;
    }
  }
  s.skips.push_back({name, reason});
}

int main(int argc, char **argv) {
  bool no_skip = false;
  auto args = doctest_args(argc, argv, no_skip);
  doctest::Context context;
  context.applyCommandLine(static_cast<int>(args.size()), args.data());
  const int res = context.run();
  for (const auto &k : state().skips) {
    std::cout << "SKIP: " << k.test_case << ": " << k.reason << "\n";
  }
  if (context.shouldExit() || res != 0) {
    return res;
  }
  if (filters_by_suite(args) && state().cases_run == 0) {
    std::cout << "kvmr: no test case in the selected test suite: this entry proves nothing\n";
    return 1;
  }
  return report_skips(no_skip);
}
