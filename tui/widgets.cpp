// The wizard's widgets (see widgets.hpp).
#include "tui/widgets.hpp"

#include "rescue/text/text.hpp"

#include <algorithm>
#include <sstream>

namespace kvmr::tui {
namespace {

std::size_t page(int height) {
  return height > 1 ? static_cast<std::size_t>(height - 1) : 1;
}

// Moves POS within [0, COUNT) for the movement keys; true when K is one.
bool move(Key k, std::size_t &pos, std::size_t count, int height) {
  if (count == 0) {
    return k == kUp || k == kDown || k == kPageUp || k == kPageDown || k == kHome || k == kEnd;
  }
  switch (k) {
  case kUp: pos = pos > 0 ? pos - 1 : 0; return true;
  case kDown: pos = std::min(pos + 1, count - 1); return true;
  case kPageUp: pos = pos > page(height) ? pos - page(height) : 0; return true;
  case kPageDown: pos = std::min(pos + page(height), count - 1); return true;
  case kHome: pos = 0; return true;
  case kEnd: pos = count - 1; return true;
  default: return false;
  }
}

// Where a pop-up was drawn: its border's rectangle and the first inner
// row after the body (a blank one; an answer goes on the row below it).
struct Popup {
  int top = 0;
  int left = 0;
  int width = 0;
  int after_body = 0;
  [[nodiscard]] int inner_left() const { return left + 2; }
  [[nodiscard]] int inner_width() const { return width - 4; }
};

// Every pop-up is drawn by this: a box in the middle of the screen with
// a border (its title set in the top edge), and a margin of one blank
// cell cleared around it so nothing of the screen beneath touches it.
// EXTRA inner rows are kept after the body (2: a blank and an answer).
Popup popup(Ui &ui, const std::string &title, const std::vector<std::string> &body, int extra) {
  const int width = std::min(ui.cols() - 4, 72);
  const int left = (ui.cols() - width) / 2;
  // Rows 1 .. rows-2 are free (the frame's title and key bars): the box,
  // and its margin when there is room for it.
  const int height = std::min(static_cast<int>(body.size()) + 4 + extra, ui.rows() - 2);
  const int margin = height + 2 <= ui.rows() - 2 ? 1 : 0;
  const int top = std::clamp((ui.rows() - height) / 2, 1 + margin, ui.rows() - 1 - margin - height);
  ui.fill(top - margin, left - 1, height + (2 * margin), width + 2);
  ui.fill(top, left, height, width, Role::highlight);
  ui.border(top, left, height, width, Role::highlight);
  const std::string label = " " + title + " ";
  ui.put(top, left + 2, label, Role::title,
         std::min(static_cast<int>(text::columns(label)), width - 4));
  const Popup p{top, left, width, top + 2 + static_cast<int>(body.size())};
  const int last = top + height - 2 - extra; // the last inner row the body may use
  for (std::size_t n = 0; n < body.size() && top + 2 + static_cast<int>(n) <= last; ++n) {
    ui.put(top + 2 + static_cast<int>(n), p.inner_left(), body[n], Role::highlight,
           p.inner_width());
  }
  return p;
}

std::vector<std::string> wrapped(const Ui &ui, const std::string &text) {
  const std::size_t w = static_cast<std::size_t>(std::min(ui.cols() - 8, 68));
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string para;
  while (std::getline(in, para)) {
    if (para.empty()) {
      out.emplace_back();
      continue;
    }
    for (auto &l : text::wrap(para, "", "", w)) {
      out.push_back(std::move(l));
    }
  }
  return out;
}

} // namespace

bool ListBox::handle(Key k, int height) {
  if (k == kSpace && !checked.empty() && cursor < checked.size()) {
    if (cursor >= disabled.size() || !disabled[cursor]) {
      checked[cursor] = !checked[cursor];
    }
    return true;
  }
  return move(k, cursor, rows.size(), height);
}

void ListBox::draw(Ui &ui, int top, int height) const {
  if (height <= 0) {
    return;
  }
  const auto h = static_cast<std::size_t>(height);
  if (cursor < first_) {
    first_ = cursor;
  } else if (cursor >= first_ + h) {
    first_ = cursor - h + 1;
  }
  for (std::size_t n = 0; n < h && first_ + n < rows.size(); ++n) {
    const std::size_t i = first_ + n;
    std::string text = rows[i];
    if (!checked.empty()) {
      text.insert(0, checked[i] ? "[x] " : "[ ] ");
    }
    const bool off = i < disabled.size() && disabled[i];
    const Role role = i == cursor ? Role::highlight : off ? Role::dim : Role::normal;
    ui.line(top + static_cast<int>(n), (i == cursor ? ">" : " ") + text, role);
  }
  if (first_ > 0) {
    ui.put(top, ui.cols() - 3, " ^ ", Role::dim);
  }
  if (first_ + h < rows.size()) {
    ui.put(top + height - 1, ui.cols() - 3, " v ", Role::dim);
  }
}

bool TextView::handle(Key k, int height) {
  const std::size_t h = height > 0 ? static_cast<std::size_t>(height) : 1;
  const std::size_t last = lines.size() > h ? lines.size() - h : 0;
  std::size_t pos = first_;
  const bool used = move(k, pos, last + 1, height);
  first_ = std::min(pos, last);
  return used;
}

void TextView::draw(Ui &ui, int top, int height) const {
  for (int n = 0; n < height && first_ + static_cast<std::size_t>(n) < lines.size(); ++n) {
    ui.put(top + n, 0, lines[first_ + static_cast<std::size_t>(n)]);
  }
  if (first_ + static_cast<std::size_t>(height) < lines.size()) {
    ui.put(top + height - 1, ui.cols() - 12, " (more: Dn) ", Role::dim);
  }
}

void TextView::set_text(const std::string &text) {
  lines.clear();
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) {
    lines.push_back(l);
  }
  first_ = 0;
}

bool TextField::handle(Key k, const Ui &ui) {
  if (k == kBackspace) {
    // Drop the last UTF-8 character.
    while (!value.empty()) {
      const auto c = static_cast<unsigned char>(value.back());
      value.pop_back();
      if ((c & 0xC0U) != 0x80U) {
        break;
      }
    }
    return true;
  }
  if (k == kChar || (k >= 0x20 && k < 0x7f)) {
    value += ui.typed();
    return true;
  }
  return false;
}

void message_box(Ui &ui, const std::string &title, const std::string &text) {
  ui.note(title + ": " + text);
  auto body = wrapped(ui, text);
  for (;;) {
    popup(ui, title, body, 0);
    ui.put(ui.rows() - 1, 0, " Enter: OK", Role::title, ui.cols());
    ui.refresh();
    const Key k = ui.key();
    if (k == kEnter || k == kEsc || k == kStop || k == kSpace) {
      return;
    }
  }
}

bool ask_yes_no(Ui &ui, const std::string &title, const std::string &question) {
  auto body = wrapped(ui, question);
  bool yes = false;
  for (;;) {
    const int r = popup(ui, title, body, 2).after_body;
    ui.put(r + 1, (ui.cols() / 2) - 10, yes ? "[ Yes ]" : "  Yes  ",
           yes ? Role::title : Role::highlight);
    ui.put(r + 1, (ui.cols() / 2) + 2, yes ? "  No  " : "[ No ]",
           yes ? Role::highlight : Role::title);
    ui.put(ui.rows() - 1, 0, " y: yes  n/Esc: no  Left/Right/Tab: choose  Enter: answer",
           Role::title, ui.cols());
    ui.refresh();
    const Key k = ui.key();
    if (k == kStop || k == kEsc || k == 'n' || k == 'N') {
      ui.note(title + ": " + question + " -> no");
      return false;
    }
    if (k == 'y' || k == 'Y') {
      ui.note(title + ": " + question + " -> yes");
      return true;
    }
    if (k == kLeft || k == kRight || k == kTab || k == kBackTab) {
      yes = !yes;
    }
    if (k == kEnter) {
      ui.note(title + ": " + question + (yes ? " -> yes" : " -> no"));
      return yes;
    }
  }
}

namespace {

// One '*' per character typed (UTF-8 continuation bytes add none).
std::string stars(const std::string &value) {
  std::string out;
  for (const char c : value) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) {
      out += '*';
    }
  }
  return out;
}

std::optional<std::string> ask_field(Ui &ui, const std::string &title, const std::string &prompt,
                                     const std::string &initial, bool masked) {
  auto body = wrapped(ui, prompt);
  TextField field{initial};
  for (;;) {
    const Popup p = popup(ui, title, body, 2);
    ui.put(p.after_body + 1, p.inner_left(),
           "> " + (masked ? stars(field.value) : field.value) + "_", Role::title, p.inner_width());
    ui.put(ui.rows() - 1, 0, " Type, then Enter: OK  Esc: cancel", Role::title, ui.cols());
    ui.refresh();
    const Key k = ui.key();
    if (k == kStop || k == kEsc) {
      return std::nullopt;
    }
    if (k == kEnter) {
      return field.value;
    }
    field.handle(k, ui);
  }
}

} // namespace

std::optional<std::string> ask_text(Ui &ui, const std::string &title, const std::string &prompt,
                                    const std::string &initial) {
  return ask_field(ui, title, prompt, initial, false);
}

std::optional<std::string> ask_secret(Ui &ui, const std::string &title, const std::string &prompt) {
  return ask_field(ui, title, prompt, "", true);
}

void show_help(Ui &ui, const std::string &screen, const std::string &text) {
  message_box(ui, "Help: " + screen,
              text + "\n\nKeys everywhere: arrows move, Space ticks a box, Enter goes on, Esc "
                     "goes back a step, F1 or ? shows this help, q quits (asks first).");
}

} // namespace kvmr::tui
