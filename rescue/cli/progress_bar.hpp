// The copy's progress as the CLI shows it. ProgressView is the copy
// engine's ProgressSink plus the plan's totals (N items, total bytes): on a
// terminal it redraws one line in place ("\r", clear to end of line),
// fitted to the terminal's width:
//
//   [3/12] web01.img  copying  ####-----  42%  1.2 GiB/2.9 GiB  85 MiB/s  ETA 0:21  overall 31%
//
// and otherwise (a log, a pipe) prints plain lines at most every few
// seconds, plus one line at the end of each item:
//
//   copied web01.img 2.9 GiB in 34 s (85 MiB/s), verified
//
// What is drawn is a pure function of the state, the width and the time
// (render_progress_line, should_print_plain), so it is tested without a
// terminal; the view only keeps the state, under a mutex, since the copy
// engine reports from its copying thread.
#pragma once

#include "rescue/copy/progress.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace kvmr::cli {

// The overall view's state: the plan's totals, the item being copied and
// its latest progress.
struct ProgressState {
  std::size_t items_total = 0;
  std::uint64_t bytes_total = 0;             // overall bytes (what the plan copies)
  std::size_t item_index = 0;                // 1-based; 0 before the first item
  std::string item_name;                     // what is shown (the file name)
  std::uint64_t item_bytes = 0;              // this item's share of bytes_total
  std::uint64_t bytes_before = 0;            // shares of the items already finished
  std::optional<copy::CopyProgress> current; // latest report for this item
};

// "copying", "retrying", "verifying".
const char *phase_name(copy::CopyPhase p) noexcept;

// "0:21", "12:05", "1:02:03"; "--:--" when unknown (or absurd).
std::string format_eta(std::optional<double> seconds);

// Elapsed time for the end-of-item line: "34 s", "2:05", "1:02:03".
std::string format_duration(double seconds);

// Overall fraction done, 0..1: finished items, plus the current item's
// share in proportion to its copying pass (retrying and verifying count
// it as copied).
double overall_fraction(const ProgressState &s);

// The terminal line for S in at most WIDTH columns (no "\r", no escape
// codes). Fields are dropped, least useful first, when WIDTH is short: the
// bar, the sizes, the overall percentage, the rate; the name is cut last.
std::string render_progress_line(const ProgressState &s, std::size_t width);

// The same information as one plain log line, unabridged.
std::string render_plain_line(const ProgressState &s);

// How an item ended, for its closing line.
struct ItemDone {
  std::string name;
  std::uint64_t bytes = 0; // data bytes copied
  double seconds = 0;
  bool verified = false;
  std::uint64_t bad_bytes = 0;
  std::string note; // "resumed", "skipped: already copied", ...; optional
};

// "copied web01.img 2.9 GiB in 34 s (85 MiB/s), verified".
std::string render_item_done(const ItemDone &d);

// True when a plain line is due: none printed yet, or INTERVAL has passed.
bool should_print_plain(std::optional<copy::Clock::time_point> last, copy::Clock::time_point now,
                        std::chrono::steady_clock::duration interval);

// The width of the terminal on FD (TIOCGWINSZ), FALLBACK when it is not a
// terminal or reports 0 columns (a serial console).
std::size_t terminal_width(int fd, std::size_t fallback = 80);

class ProgressView final : public copy::ProgressSink {
public:
  struct Options {
    bool tty = false;
    // Columns to draw in; 0: ask the terminal on every redraw (fd 2).
    std::size_t width = 0;
    // Non-TTY: at most one progress line per interval.
    std::chrono::steady_clock::duration plain_interval = std::chrono::seconds(10);
    // Injected in tests; default steady_clock::now and writing to stderr.
    std::function<copy::Clock::time_point()> now;
    std::function<void(std::string_view)> write;
  };

  ProgressView(std::size_t items_total, std::uint64_t bytes_total, Options opts);
  // On stderr: a bar when stderr is a terminal, plain lines otherwise.
  static Options stderr_options();

  // Starts item NAME (shown by its last path component), whose share of
  // the total is BYTES. Items are numbered in the order they start.
  void begin_item(const std::string &name, std::uint64_t bytes);
  // From the copy thread. A report for an item that was not begun begins
  // it (with its copying pass's total as its share).
  void on_progress(const copy::CopyProgress &p) noexcept override;
  // Prints the item's closing line (clearing the bar first on a TTY).
  void end_item(const ItemDone &d);
  // Clears the bar line (TTY); call once when the copy is over.
  void finish();

  [[nodiscard]] ProgressState state() const;

private:
  void begin_locked(const std::string &name, std::uint64_t bytes);
  void clear_locked();
  void emit(std::string_view text) const;

  Options opts_;
  mutable std::mutex mu_;
  ProgressState state_;
  std::string current_key_; // CopyProgress::item of the current item
  bool bar_shown_ = false;
  std::optional<copy::Clock::time_point> last_plain_;
};

} // namespace kvmr::cli
