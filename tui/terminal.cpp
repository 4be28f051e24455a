// Terminal requirements of the wizard (see terminal.hpp).
#include "tui/terminal.hpp"

#include <fmt/format.h>

namespace kvmr::tui {

std::optional<std::string> size_problem(int rows, int cols) {
  if (rows <= 0 || cols <= 0) {
    return std::string("the terminal does not report its size (a serial "
                       "console?): run 'stty rows 24 cols 80' first");
  }
  if (rows < kMinRows || cols < kMinCols) {
    return fmt::format("the terminal is {}x{}; the wizard needs at least {}x{}", cols, rows,
                       kMinCols, kMinRows);
  }
  return std::nullopt;
}

Palette choose_palette(bool has_colors, const char *no_color_env) {
  const bool no_color = no_color_env != nullptr && *no_color_env != '\0';
  return has_colors && !no_color ? Palette::colour : Palette::monochrome;
}

} // namespace kvmr::tui
