// The few widgets the screens are made of: a scrolling list (optionally
// with check boxes), a scrolling text, a one-line text field, and modal
// dialogs (a message, a yes/no question, a typed answer). Keyboard only.
#pragma once

#include "tui/ui.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::tui {

// A list drawn in rows [top, top + height) with a cursor; with check
// boxes, Space toggles the current row.
class ListBox {
public:
  std::vector<std::string> rows;
  std::vector<bool> checked;  // empty: no check boxes
  std::vector<bool> disabled; // drawn dim; cannot be checked
  std::size_t cursor = 0;

  // Up/Down/PageUp/PageDown/Home/End move, Space toggles. True when the
  // key was used.
  bool handle(Key k, int height);
  void draw(Ui &ui, int top, int height) const;

private:
  mutable std::size_t first_ = 0;
};

// Lines that scroll with the arrow keys, for details and the review.
class TextView {
public:
  std::vector<std::string> lines;
  bool handle(Key k, int height);
  void draw(Ui &ui, int top, int height) const;
  void set_text(const std::string &text); // splits at '\n'

private:
  std::size_t first_ = 0;
};

// A one-line editor. Printable keys (UTF-8 too) insert, Backspace deletes
// the last character.
struct TextField {
  std::string value;
  bool handle(Key k, const Ui &ui);
};

// Modal dialogs over the current screen, each a bordered box with a blank
// margin around it (the screen beneath never shows at its edges); each
// returns when answered.
// A stop (signal) answers "no"/nothing.
void message_box(Ui &ui, const std::string &title, const std::string &text);
bool ask_yes_no(Ui &ui, const std::string &title, const std::string &question);
// The text typed and confirmed with Enter; nothing on Esc.
std::optional<std::string> ask_text(Ui &ui, const std::string &title, const std::string &prompt,
                                    const std::string &initial = "");
// The same with every character shown as '*' (a password); never logged.
std::optional<std::string> ask_secret(Ui &ui, const std::string &title, const std::string &prompt);
// A help screen for F1 or '?': TEXT until any key.
void show_help(Ui &ui, const std::string &screen, const std::string &text);

} // namespace kvmr::tui
