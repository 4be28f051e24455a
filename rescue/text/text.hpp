// Text for people, shared by the CLI, the plan's review text and the
// wizard: human sizes, fitting and wrapping to a width in terminal columns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kvmr::text {

inline constexpr std::size_t kWidth = 80;

// "512 B", "1.0 MiB", "2.3 GiB".
std::string human_size(std::uint64_t bytes);

// "512", "12K", "1.0G": at most 4 columns, for tables.
std::string short_size(std::uint64_t bytes);

// TEXT cut to WIDTH columns (ending in "~" when cut) and padded with spaces
// to exactly WIDTH columns; wide characters are never split. Control
// characters (a name from a disk may hold them) become '?'.
std::string fit(const std::string &text, std::size_t width);

// Splits TEXT into lines of at most WIDTH columns (counting UTF-8 code
// points), the first prefixed by FIRST, the rest by REST. Words longer
// than a line are cut.
std::vector<std::string> wrap(const std::string &text, const std::string &first,
                              const std::string &rest, std::size_t width = kWidth);

// Number of terminal columns TEXT takes (UTF-8 code points; East Asian
// wide characters count two).
std::size_t columns(const std::string &text);

} // namespace kvmr::text
