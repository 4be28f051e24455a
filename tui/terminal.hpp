// What the wizard demands of a terminal and how it adapts: the minimum
// size and the choice between colour and monochrome. Pure functions so they
// are tested without a terminal.
#pragma once

#include <optional>
#include <string>

namespace kvmr::tui {

inline constexpr int kMinRows = 24;
inline constexpr int kMinCols = 80;

// Why the terminal is too small, or nothing when it fits. A serial console
// reports 0x0: that is "size unknown", and the message says how to set it.
std::optional<std::string> size_problem(int rows, int cols);

enum class Palette { colour, monochrome };

// Colour only when the terminal has it and the user did not ask for
// NO_COLOR (https://no-color.org).
Palette choose_palette(bool has_colors, const char *no_color_env);

} // namespace kvmr::tui
