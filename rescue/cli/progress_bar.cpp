// The copy's progress bar and log lines (see progress_bar.hpp).
#include "rescue/cli/progress_bar.hpp"

#include "rescue/text/text.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace kvmr::cli {

using text::columns;
using text::fit;
using text::human_size;

namespace {

constexpr std::size_t kNameMin = 6;
constexpr std::size_t kNameKeep = 16; // kept before optional fields
constexpr std::size_t kNameMax = 32;
constexpr std::size_t kBarMin = 5;
constexpr std::size_t kBarMax = 30;
constexpr std::size_t kPhaseCols = 9; // "verifying"

// The last path component ("web01.img" of "/mnt/t/web01.img").
std::string base_name(const std::string &path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos || slash + 1 == path.size() ? path : path.substr(slash + 1);
}

// TEXT with control characters replaced, at its own width.
std::string clean(const std::string &text) {
  return fit(text, columns(text));
}

copy::CopyProgress current_or_start(const ProgressState &s) {
  if (s.current) {
    return *s.current;
  }
  copy::CopyProgress p;
  p.item = s.item_name;
  p.total = s.item_bytes;
  return p;
}

unsigned percent(std::uint64_t done, std::uint64_t total) {
  if (total == 0) {
    return 100;
  }
  const std::uint64_t d = std::min(done, total);
  // In two steps: done * 100 could overflow for exabyte totals.
  return static_cast<unsigned>(static_cast<double>(d) / static_cast<double>(total) * 100.0);
}

std::string rate_text(double rate) {
  return rate > 0 ? human_size(static_cast<std::uint64_t>(rate)) + "/s" : std::string();
}

// The fields of a line, before fitting.
struct Fields {
  std::string index;   // "[3/12]"
  std::string name;    // cleaned
  std::string phase;   // "copying"
  std::string pct;     // " 42%"
  double fraction = 0; // of the phase, for the bar
  std::string sizes;   // "1.2 GiB/2.9 GiB"
  std::string rate;    // "85 MiB/s" or ""
  std::string eta;     // "ETA 0:21"
  std::string overall; // "overall 31%"
  std::string bad;     // "bad 4.0 KiB" or ""
};

Fields fields_of(const ProgressState &s) {
  const auto p = current_or_start(s);
  Fields f;
  f.index = fmt::format("[{}/{}]", s.item_index, s.items_total);
  f.name = clean(s.item_name.empty() ? base_name(p.item) : s.item_name);
  f.phase = phase_name(p.phase);
  const unsigned pc = percent(p.done, p.total);
  f.pct = fmt::format("{:3}%", pc);
  f.fraction = p.total == 0
                   ? 1.0
                   : std::min(1.0, static_cast<double>(p.done) / static_cast<double>(p.total));
  f.sizes = fmt::format("{}/{}", human_size(p.done), human_size(p.total));
  f.rate = rate_text(p.rate);
  f.eta = "ETA " + format_eta(p.eta_seconds);
  f.overall = fmt::format("overall {}%", static_cast<unsigned>(overall_fraction(s) * 100.0));
  if (p.bad_bytes != 0) {
    f.bad = "bad " + human_size(p.bad_bytes);
  }
  return f;
}

std::string bar(double fraction, std::size_t width) {
  const auto filled =
      std::min(width, static_cast<std::size_t>(std::lround(fraction * static_cast<double>(width))));
  return std::string(filled, '#') + std::string(width - filled, '-');
}

} // namespace

const char *phase_name(copy::CopyPhase p) noexcept {
  switch (p) {
  case copy::CopyPhase::copying: return "copying";
  case copy::CopyPhase::retrying: return "retrying";
  case copy::CopyPhase::verifying: return "verifying";
  }
  return "copying";
}

std::string format_eta(std::optional<double> seconds) {
  // Beyond 100 hours an estimate says nothing useful.
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0 || *seconds >= 100.0 * 3600) {
    return "--:--";
  }
  const auto total = static_cast<std::uint64_t>(std::llround(*seconds));
  const auto h = total / 3600;
  const auto m = (total / 60) % 60;
  const auto sec = total % 60;
  return h > 0 ? fmt::format("{}:{:02}:{:02}", h, m, sec) : fmt::format("{}:{:02}", m, sec);
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) {
    seconds = 0;
  }
  if (seconds < 60) {
    return fmt::format("{} s", static_cast<unsigned>(std::lround(seconds)));
  }
  return format_eta(seconds);
}

double overall_fraction(const ProgressState &s) {
  if (s.bytes_total == 0) {
    return s.items_total == 0 ? 0.0
                              : static_cast<double>(s.item_index == 0 ? 0 : s.item_index - 1) /
                                    static_cast<double>(s.items_total);
  }
  auto done = static_cast<double>(s.bytes_before);
  if (s.current) {
    const auto &p = *s.current;
    if (p.phase != copy::CopyPhase::copying || p.total == 0) {
      done += static_cast<double>(s.item_bytes);
    } else {
      done += static_cast<double>(s.item_bytes) *
              std::min(1.0, static_cast<double>(p.done) / static_cast<double>(p.total));
    }
  }
  return std::clamp(done / static_cast<double>(s.bytes_total), 0.0, 1.0);
}

std::string render_progress_line(const ProgressState &s, std::size_t width) {
  const Fields f = fields_of(s);
  const std::size_t sep = width >= 60 ? 2 : 1;

  // Optional fields, most useful first; each is shown when it fits beside
  // the ones before it and the name (up to kNameKeep columns of it).
  enum Opt : std::size_t { bad, eta, overall, rate, sizes, count };
  const std::array<const std::string *, count> opt_text{&f.bad, &f.eta, &f.overall, &f.rate,
                                                        &f.sizes};
  std::array<bool, count> shown{};
  const std::size_t name_keep = std::clamp(columns(f.name), kNameMin, kNameKeep);
  std::size_t used = columns(f.index) + 1 + sep + kPhaseCols + sep + columns(f.pct);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t w = columns(*opt_text[i]);
    // Bad bytes matter more than the name's tail.
    const std::size_t keep = i == bad ? kNameMin : name_keep;
    if (w != 0 && used + sep + w + keep <= width) {
      shown[i] = true;
      used += sep + w;
    }
  }
  const std::size_t left = width > used ? width - used : 0;
  const std::size_t name_cols = std::clamp(std::min(columns(f.name), kNameMax), std::size_t{1},
                                           std::max(left, std::size_t{1}));
  const std::size_t after_name = left > name_cols ? left - name_cols : 0;
  const std::size_t bar_cols =
      after_name >= sep + kBarMin ? std::min(after_name - sep, kBarMax) : 0;

  const std::string gap(sep, ' ');
  std::string line = f.index + " " + fit(f.name, name_cols) + gap + fit(f.phase, kPhaseCols);
  if (bar_cols != 0) {
    line += gap + bar(f.fraction, bar_cols);
  }
  line += gap + f.pct;
  for (const Opt o : {sizes, rate, eta, overall, bad}) {
    if (shown[o]) {
      line += gap + *opt_text[o];
    }
  }
  // Never wider than WIDTH, whatever the fields held (a tiny terminal).
  return columns(line) > width ? fit(line, width) : line;
}

std::string render_plain_line(const ProgressState &s) {
  const Fields f = fields_of(s);
  std::string line = fmt::format("{} {} {} {} {}", f.index, f.name, f.phase,
                                 f.pct.substr(f.pct.find_first_not_of(' ')), f.sizes);
  if (!f.rate.empty()) {
    line += " " + f.rate;
  }
  line += " " + f.eta + " " + f.overall;
  if (!f.bad.empty()) {
    line += " " + f.bad;
  }
  return line;
}

std::string render_item_done(const ItemDone &d) {
  std::string line = fmt::format("copied {} {} in {}", clean(d.name), human_size(d.bytes),
                                 format_duration(d.seconds));
  if (d.seconds > 0 && d.bytes > 0) {
    line += " (" + rate_text(static_cast<double>(d.bytes) / d.seconds) + ")";
  }
  line += d.verified ? ", verified" : ", not verified";
  if (d.bad_bytes != 0) {
    line += fmt::format(", {} unreadable (zero-filled)", human_size(d.bad_bytes));
  }
  if (!d.note.empty()) {
    line += ", " + clean(d.note);
  }
  return line;
}

bool should_print_plain(std::optional<copy::Clock::time_point> last, copy::Clock::time_point now,
                        std::chrono::steady_clock::duration interval) {
  return !last || now - *last >= interval;
}

std::size_t terminal_width(int fd, std::size_t fallback) {
  winsize ws{};
  if (::isatty(fd) == 0 || ::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) {
    return fallback;
  }
  return ws.ws_col;
}

ProgressView::ProgressView(std::size_t items_total, std::uint64_t bytes_total, Options opts)
    : opts_(std::move(opts)) {
  state_.items_total = items_total;
  state_.bytes_total = bytes_total;
  if (!opts_.now) {
    opts_.now = [] { return copy::Clock::now(); };
  }
  if (!opts_.write) {
    opts_.write = [](std::string_view text) {
      (void)std::fwrite(text.data(), 1, text.size(), stderr);
      (void)std::fflush(stderr);
    };
  }
}

ProgressView::Options ProgressView::stderr_options() {
  Options o;
  o.tty = ::isatty(STDERR_FILENO) != 0;
  return o;
}

void ProgressView::begin_item(const std::string &name, std::uint64_t bytes) {
  const std::lock_guard lock(mu_);
  begin_locked(name, bytes);
}

void ProgressView::begin_locked(const std::string &name, std::uint64_t bytes) {
  if (state_.item_index != 0) {
    state_.bytes_before += state_.item_bytes;
  }
  ++state_.item_index;
  current_key_ = name;
  state_.item_name = base_name(name);
  state_.item_bytes = bytes;
  state_.current.reset();
}

void ProgressView::on_progress(const copy::CopyProgress &p) noexcept {
  try {
    const std::lock_guard lock(mu_);
    if (state_.item_index == 0 || p.item != current_key_) {
      begin_locked(p.item, p.total);
    }
    state_.current = p;
    if (opts_.tty) {
      const std::size_t width = opts_.width != 0 ? opts_.width : terminal_width(STDERR_FILENO);
      // One column short: a line that fills the last column wraps on some
      // terminals, and "\r" would then redraw on the next row.
      emit("\r" + render_progress_line(state_, width > 1 ? width - 1 : 1) + "\x1b[K");
      bar_shown_ = true;
    } else if (const auto now = opts_.now();
               should_print_plain(last_plain_, now, opts_.plain_interval)) {
      emit(render_plain_line(state_) + "\n");
      last_plain_ = now;
    }
  } catch (...) { // NOLINT(bugprone-empty-catch): progress must never stop the copy
  }
}

void ProgressView::end_item(const ItemDone &d) {
  const std::lock_guard lock(mu_);
  clear_locked();
  emit(render_item_done(d) + "\n");
}

void ProgressView::finish() {
  const std::lock_guard lock(mu_);
  clear_locked();
}

ProgressState ProgressView::state() const {
  const std::lock_guard lock(mu_);
  return state_;
}

void ProgressView::clear_locked() {
  if (bar_shown_) {
    emit("\r\x1b[K");
    bar_shown_ = false;
  }
}

void ProgressView::emit(std::string_view text) const {
  opts_.write(text);
}

} // namespace kvmr::cli
