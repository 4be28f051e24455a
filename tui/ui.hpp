// The wizard's terminal: ncurses set up and torn down (RAII), the frame
// every screen shares (title, step, key help), text drawn clipped to the
// screen, keys read with a timeout so work on other threads can be shown,
// and a terminal that is too small answered with a message until it grows.
#pragma once

#include "tui/curses.hpp"
#include "tui/terminal.hpp"

#include <atomic>
#include <functional>
#include <string>

namespace kvmr::tui {

// Keys the screens look at, with ncurses' codes folded: Enter, Esc, Tab...
enum Key : int {
  kNone = -1, // the timeout passed
  kEnter = '\n',
  kEsc = 27,
  kTab = '\t',
  kSpace = ' ',
  kCtrlC = 3,
  kBackspace = 0x7f,
  kUp = 0x1000,
  kDown,
  kLeft,
  kRight,
  kPageUp,
  kPageDown,
  kHome,
  kEnd,
  kBackTab,
  kHelp,   // F1 or '?' where no text is being typed
  kResize, // the terminal changed size
  kStop,   // SIGTERM/SIGHUP/SIGINT came: leave cleanly
  kChar,   // a printable non-ASCII character: typed() holds it
};

enum class Role { normal, title, highlight, warning, good, dim, bar };

class Ui {
public:
  // STOP: set by the signal watcher; key() then returns kStop.
  explicit Ui(const std::atomic<bool> &stop);
  Ui(const Ui &) = delete;
  Ui &operator=(const Ui &) = delete;
  Ui(Ui &&) = delete;
  Ui &operator=(Ui &&) = delete;
  ~Ui();

  [[nodiscard]] int rows() const;
  [[nodiscard]] int cols() const;
  [[nodiscard]] Palette palette() const { return palette_; }

  // Clears the screen and draws the frame: TITLE with "step N of 10" on the
  // first line, KEYS on the last. Returns false (after drawing the reason)
  // when the terminal is smaller than 80x24; the screen then only waits.
  bool frame(const std::string &title, int step, const std::string &keys);
  // TEXT at ROW, COL, cut to WIDTH columns (0: to the right edge).
  void put(int row, int col, const std::string &text, Role role = Role::normal, int width = 0);
  // A full-width line at ROW, padded (for the highlighted list row).
  void line(int row, const std::string &text, Role role = Role::normal);
  // Blanks the rectangle of HEIGHT rows and WIDTH columns at TOP, LEFT in
  // ROLE's colours (clipped to the screen).
  void fill(int top, int left, int height, int width, Role role = Role::normal);
  // A border (+, -, |) on that rectangle's outermost cells.
  void border(int top, int left, int height, int width, Role role = Role::normal);
  void show_cursor(bool on, int row = 0, int col = 0);
  void refresh();

  // The next key, waiting at most TIMEOUT_MS (-1: until one comes, but the
  // stop flag is still looked at every 200 ms).
  Key key(int timeout_ms = -1);
  // The last printable character (UTF-8): printable ASCII comes back as
  // itself, anything else as kChar.
  [[nodiscard]] const std::string &typed() const { return typed_; }

  // Where the screens shown, message boxes and answers are noted (the
  // session log); empty: nowhere.
  void set_journal(std::function<void(const std::string &)> journal) {
    journal_ = std::move(journal);
  }
  void note(const std::string &text) const {
    if (journal_) {
      journal_(text);
    }
  }

private:
  const std::atomic<bool> &stop_;
  WINDOW *win_ = nullptr; // stdscr
  Palette palette_ = Palette::monochrome;
  std::string typed_;
  std::function<void(const std::string &)> journal_;
  std::string last_title_; // the screen last noted
};

} // namespace kvmr::tui
