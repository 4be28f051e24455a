// The wizard's terminal (see ui.hpp).
#include "tui/ui.hpp"

#include "rescue/text/text.hpp"
#include "tui/curses.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <clocale>
#include <cstdlib>
#include <cwchar>

namespace kvmr::tui {
namespace {

constexpr short kPairTitle = 1;
constexpr short kPairHighlight = 2;
constexpr short kPairWarning = 3;
constexpr short kPairGood = 4;
constexpr short kPairBar = 5;

std::string utf8_of(wint_t c) {
  std::array<char, MB_LEN_MAX + 1> buf{};
  std::mbstate_t st{};
  const std::size_t n = std::wcrtomb(buf.data(), static_cast<wchar_t>(c), &st);
  return n == static_cast<std::size_t>(-1) ? std::string("?") : std::string(buf.data(), n);
}

} // namespace

Ui::Ui(const std::atomic<bool> &stop) : stop_(stop) {
  (void)std::setlocale(LC_ALL, "");
  win_ = ::initscr();
  ::raw(); // Ctrl-C is a key here: the wizard asks before it stops
  ::noecho();
  ::keypad(stdscr, TRUE);
  ::set_escdelay(50);
  ::curs_set(0);
  palette_ = choose_palette(::has_colors() == TRUE, std::getenv("NO_COLOR"));
  if (palette_ == Palette::colour) {
    ::start_color();
    ::use_default_colors();
    ::init_pair(kPairTitle, COLOR_WHITE, COLOR_BLUE);
    ::init_pair(kPairHighlight, COLOR_BLACK, COLOR_CYAN);
    ::init_pair(kPairWarning, COLOR_RED, -1);
    ::init_pair(kPairGood, COLOR_GREEN, -1);
    ::init_pair(kPairBar, COLOR_BLACK, COLOR_GREEN);
  }
}

Ui::~Ui() {
  ::endwin();
}

int Ui::rows() const {
  return ::getmaxy(win_);
}

int Ui::cols() const {
  return ::getmaxx(win_);
}

namespace {

attr_t pair(short n) {
  return static_cast<attr_t>(COLOR_PAIR(n));
}

attr_t attr_of(Role r, Palette p) {
  const bool c = p == Palette::colour;
  switch (r) {
  case Role::title: return c ? pair(kPairTitle) | A_BOLD : A_REVERSE;
  case Role::highlight: return c ? pair(kPairHighlight) : A_REVERSE;
  case Role::warning: return c ? pair(kPairWarning) | A_BOLD : A_BOLD;
  case Role::good: return c ? pair(kPairGood) : A_NORMAL;
  case Role::dim: return A_DIM;
  case Role::bar: return c ? pair(kPairBar) : A_REVERSE;
  case Role::normal: break;
  }
  return A_NORMAL;
}

} // namespace

void Ui::put(int row, int col, const std::string &text, Role role, int width) {
  if (row < 0 || row >= rows() || col < 0 || col >= cols()) {
    return;
  }
  const int room = cols() - col;
  const int w = width <= 0 || width > room ? room : width;
  // The last cell of the last line cannot be written without scrolling.
  const int usable = row == rows() - 1 && col + w == cols() ? w - 1 : w;
  if (usable <= 0) {
    return;
  }
  const std::string shown = text::fit(text, static_cast<std::size_t>(usable));
  const attr_t a = attr_of(role, palette_);
  ::attr_on(a, nullptr);
  ::mvaddstr(row, col, shown.c_str());
  ::attr_off(a, nullptr);
}

void Ui::line(int row, const std::string &text, Role role) {
  put(row, 0, text, role, cols());
}

void Ui::fill(int top, int left, int height, int width, Role role) {
  const int l = std::max(left, 0);
  const int r = std::min(left + width, cols());
  if (r <= l) {
    return;
  }
  const std::string blank(static_cast<std::size_t>(r - l), ' ');
  for (int row = std::max(top, 0); row < top + height && row < rows(); ++row) {
    put(row, l, blank, role, r - l);
  }
}

void Ui::border(int top, int left, int height, int width, Role role) {
  if (height < 2 || width < 2 || top < 0 || left < 0 || top + height > rows() ||
      left + width > cols()) {
    return; // never drawn in part: a broken frame reads worse than none
  }
  // Plain ASCII: the same on every terminal and serial console, and in a
  // captured screen (line-drawing characters depend on terminfo and locale).
  const std::string edge = "+" + std::string(static_cast<std::size_t>(width - 2), '-') + "+";
  put(top, left, edge, role, width);
  for (int r = top + 1; r < top + height - 1; ++r) {
    put(r, left, "|", role, 1);
    put(r, left + width - 1, "|", role, 1);
  }
  put(top + height - 1, left, edge, role, width);
}

bool Ui::frame(const std::string &title, int step, const std::string &keys) {
  ::erase();
  if (const auto why = size_problem(rows(), cols())) {
    put(0, 0, "kvm-rescue", Role::title);
    const auto lines = text::wrap(*why, "", "", static_cast<std::size_t>(cols() > 2 ? cols() : 2));
    int r = 2;
    for (const auto &l : lines) {
      put(r++, 0, l);
    }
    put(r + 1, 0, "Make the window larger; the wizard goes on by itself.");
    return false;
  }
  if (title != last_title_) {
    last_title_ = title;
    note("screen: " + title);
  }
  const std::string right = step > 0 ? fmt::format("step {} of 10 ", step) : "";
  line(0, " kvm-rescue: " + title, Role::title);
  put(0, cols() - static_cast<int>(right.size()), right, Role::title);
  line(rows() - 1, " " + keys, Role::title);
  return true;
}

void Ui::show_cursor(bool on, int row, int col) {
  ::curs_set(on ? 1 : 0);
  if (on) {
    ::wmove(win_, row, col);
  }
}

void Ui::refresh() {
  ::wrefresh(win_);
}

Key Ui::key(int timeout_ms) {
  int waited = 0;
  for (;;) {
    if (stop_.load()) {
      return kStop;
    }
    const int slice = timeout_ms < 0 ? 200 : std::min(200, timeout_ms - waited);
    ::timeout(slice);
    wint_t c = 0;
    const int got = ::get_wch(&c);
    if (got == ERR) {
      waited += slice;
      if (timeout_ms >= 0 && waited >= timeout_ms) {
        return kNone;
      }
      continue;
    }
    if (got == KEY_CODE_YES) {
      switch (c) {
      case KEY_UP: return kUp;
      case KEY_DOWN: return kDown;
      case KEY_LEFT: return kLeft;
      case KEY_RIGHT: return kRight;
      case KEY_PPAGE: return kPageUp;
      case KEY_NPAGE: return kPageDown;
      case KEY_HOME: return kHome;
      case KEY_END: return kEnd;
      case KEY_BTAB: return kBackTab;
      case KEY_F(1): return kHelp;
      case KEY_RESIZE: return kResize;
      case KEY_ENTER: return kEnter;
      case KEY_BACKSPACE: return kBackspace;
      default: continue;
      }
    }
    switch (c) {
    case '\r':
    case '\n': return kEnter;
    case 27: return kEsc;
    case '\t': return kTab;
    case 3: return kCtrlC;
    case 8:
    case 0x7f: return kBackspace;
    default: break;
    }
    if (c < 0x20) {
      continue;
    }
    typed_ = utf8_of(c);
    return c < 0x7f ? static_cast<Key>(c) : kChar;
  }
}

} // namespace kvmr::tui
