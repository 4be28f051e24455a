// The copy's progress bar and log lines: rendering is a pure function of
// state, width and time, so it is checked here without a terminal; the
// view's output is captured through its injected writer and clock.
#include "rescue/cli/progress_bar.hpp"
#include "rescue/text/text.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace kvmr::cli; // NOLINT(google-build-using-namespace)
using kvmr::copy::Clock;
using kvmr::copy::CopyPhase;
using kvmr::copy::CopyProgress;
using kvmr::text::columns;

namespace {

constexpr std::uint64_t kGiB = 1ULL << 30U;
constexpr std::uint64_t kItem = 3113851289; // 2.9 GiB
constexpr std::uint64_t kDone = 1308000000; // 1.2 GiB, 42 %

// Item 3 of 12, 42 % copied at 85 MiB/s, 21 s to go, 31 % overall.
ProgressState sample() {
  ProgressState s;
  s.items_total = 12;
  s.bytes_total = 10 * kGiB;
  s.item_index = 3;
  s.item_name = "web01.img";
  s.item_bytes = kItem;
  s.bytes_before = 2030000000;
  CopyProgress p;
  p.item = "/mnt/target/web01.img";
  p.phase = CopyPhase::copying;
  p.done = kDone;
  p.total = kItem;
  p.rate = 85.0 * 1024 * 1024;
  p.eta_seconds = 21;
  s.current = p;
  return s;
}

struct Captured {
  std::vector<std::string> writes;
  Clock::time_point now{};
  ProgressView::Options options(bool tty) {
    ProgressView::Options o;
    o.tty = tty;
    o.width = 80;
    o.plain_interval = std::chrono::seconds(10);
    o.now = [this] { return now; };
    o.write = [this](std::string_view t) { writes.emplace_back(t); };
    return o;
  }
};

} // namespace

TEST_CASE("ETA and durations") {
  CHECK(format_eta(std::nullopt) == "--:--");
  CHECK(format_eta(0) == "0:00");
  CHECK(format_eta(21) == "0:21");
  CHECK(format_eta(59.6) == "1:00");
  CHECK(format_eta(725) == "12:05");
  CHECK(format_eta(3723) == "1:02:03");
  CHECK(format_eta(99 * 3600 + 59 * 60 + 59) == "99:59:59");
  CHECK(format_eta(100.0 * 3600) == "--:--");
  CHECK(format_eta(-1) == "--:--");
  CHECK(format_duration(34.2) == "34 s");
  CHECK(format_duration(125) == "2:05");
  CHECK(format_duration(3723) == "1:02:03");
}

TEST_CASE("the bar line at 132, 80 and 40 columns") {
  const auto s = sample();
  const std::string wide = render_progress_line(s, 132);
  CHECK(wide == "[3/12] web01.img  copying    #############-----------------   42%  "
                "1.2 GiB/2.9 GiB  85 MiB/s  ETA 0:21  overall 31%");

  // 80: the sizes give way to the name and a shorter bar.
  const std::string mid = render_progress_line(s, 80);
  CHECK(mid == "[3/12] web01.img  copying    #####-------   42%  85 MiB/s  ETA 0:21  overall 31%");
  CHECK(columns(mid) == 80);

  // 40: single spaces, the ETA is the one extra that fits.
  const std::string narrow = render_progress_line(s, 40);
  CHECK(narrow == "[3/12] web01.img copying    42% ETA 0:21");
  CHECK(columns(narrow) <= 40);

  for (std::size_t w = 1; w <= 140; ++w) {
    INFO("width " << w);
    CHECK(columns(render_progress_line(s, w)) <= w);
  }
}

TEST_CASE("unknown ETA, other phases, bad bytes") {
  auto s = sample();
  s.current->eta_seconds.reset();
  s.current->rate = 0;
  const std::string line = render_progress_line(s, 80);
  CHECK(line.find("ETA --:--") != std::string::npos);
  CHECK(line.find("MiB/s") == std::string::npos); // no rate yet: not shown as 0

  s = sample();
  s.current->bad_bytes = 4096;
  CHECK(render_progress_line(s, 132).ends_with("overall 31%  bad 4.0 KiB"));
  // At 40 columns the bad bytes stay; the name is cut for them.
  CHECK(render_progress_line(s, 40) == "[3/12] web01~ copying    42% bad 4.0 KiB");
  CHECK(render_plain_line(s).ends_with(" bad 4.0 KiB"));

  s = sample();
  s.current->phase = CopyPhase::verifying;
  CHECK(render_progress_line(s, 80).find("verifying") != std::string::npos);
  // Verifying: the item counts as copied in the overall figure.
  CHECK(overall_fraction(s) == doctest::Approx(static_cast<double>(2030000000 + kItem) /
                                               (10.0 * static_cast<double>(kGiB))));
}

TEST_CASE("names from the old disk: wide characters and control characters") {
  auto s = sample();
  s.item_name = "ウェブ\x1b[31m\"shop\".img";
  for (const std::size_t w : {40U, 80U, 132U}) {
    const std::string line = render_progress_line(s, w);
    CHECK(columns(line) <= w);
    CHECK(line.find('\x1b') == std::string::npos);
  }
  CHECK(render_plain_line(s).find('\x1b') == std::string::npos);
}

TEST_CASE("plain lines and the end-of-item line") {
  const auto s = sample();
  CHECK(render_plain_line(s) ==
        "[3/12] web01.img copying 42% 1.2 GiB/2.9 GiB 85 MiB/s ETA 0:21 overall 31%");
  ItemDone d;
  d.name = "web01.img";
  d.bytes = kItem;
  d.seconds = 34;
  d.verified = true;
  CHECK(render_item_done(d) == "copied web01.img 2.9 GiB in 34 s (87 MiB/s), verified");
  d.verified = false;
  d.bad_bytes = 1024;
  d.note = "resumed";
  CHECK(render_item_done(d) == "copied web01.img 2.9 GiB in 34 s (87 MiB/s), not verified, "
                               "1.0 KiB unreadable (zero-filled), resumed");
}

TEST_CASE("not a TTY: at most one line per interval, and one at each item's end") {
  Captured cap;
  ProgressView view(2, 2 * kGiB, cap.options(false));
  view.begin_item("/mnt/t/a.img", kGiB);
  CopyProgress p;
  p.item = "/mnt/t/a.img";
  p.total = kGiB;
  for (int t = 0; t <= 25; ++t) { // a report every second for 25 s
    cap.now = Clock::time_point(std::chrono::seconds(t));
    p.done = static_cast<std::uint64_t>(t) * (kGiB / 32);
    view.on_progress(p);
  }
  // t = 0, 10 and 20.
  REQUIRE(cap.writes.size() == 3);
  CHECK(cap.writes[0].starts_with("[1/2] a.img copying 0% "));
  CHECK(cap.writes[1].starts_with("[1/2] a.img copying 31% "));
  for (const auto &w : cap.writes) {
    CHECK(w.ends_with("\n"));
    CHECK(w.find('\r') == std::string::npos);
  }
  ItemDone d;
  d.name = "a.img";
  d.bytes = kGiB;
  d.seconds = 25;
  d.verified = true;
  view.end_item(d);
  REQUIRE(cap.writes.size() == 4);
  CHECK(cap.writes[3] == "copied a.img 1.0 GiB in 25 s (41 MiB/s), verified\n");

  // The next item, reported without begin_item: it starts by itself.
  p.item = "/mnt/t/b.img";
  p.done = 0;
  cap.now = Clock::time_point(std::chrono::seconds(31));
  view.on_progress(p);
  REQUIRE(cap.writes.size() == 5);
  CHECK(cap.writes[4].starts_with("[2/2] b.img copying 0% "));
  CHECK(view.state().bytes_before == kGiB);
  CHECK(overall_fraction(view.state()) == doctest::Approx(0.5));
}

TEST_CASE("a TTY: one line redrawn in place, cleared before an item's end line") {
  Captured cap;
  ProgressView view(12, 10 * kGiB, cap.options(true));
  const auto s = sample();
  CopyProgress p = *s.current;
  view.on_progress(p);
  view.on_progress(p);
  REQUIRE(cap.writes.size() == 2);
  CHECK(cap.writes[0].starts_with("\r[1/12] web01.img"));
  CHECK(cap.writes[0].ends_with("\x1b[K"));
  CHECK(columns(cap.writes[0].substr(1, cap.writes[0].size() - 4)) <= 79);
  view.end_item(ItemDone{"web01.img", kItem, 34, true, 0, ""});
  REQUIRE(cap.writes.size() == 4);
  CHECK(cap.writes[2] == "\r\x1b[K");
  CHECK(cap.writes[3].starts_with("copied web01.img"));
  view.finish(); // nothing drawn since: nothing to clear
  CHECK(cap.writes.size() == 4);
}

TEST_CASE("reports from a copy thread while the main thread reads the state") {
  Captured cap;
  std::atomic<std::size_t> written{0};
  auto o = cap.options(true);
  o.write = [&written](std::string_view) { ++written; };
  ProgressView view(1, kGiB, o);
  view.begin_item("/t/x.img", kGiB);
  std::thread copier([&view] {
    CopyProgress p;
    p.item = "/t/x.img";
    p.total = kGiB;
    for (std::uint64_t i = 0; i < 2000; ++i) {
      p.done = i * (kGiB / 2000);
      view.on_progress(p);
    }
  });
  double last = 0;
  for (int i = 0; i < 2000; ++i) {
    const double f = overall_fraction(view.state());
    CHECK(f >= last);
    last = f;
  }
  copier.join();
  CHECK(written == 2000);
}
