// A reader for LVM2's text configuration syntax, the format of the VG
// metadata kept on every PV (libdm/libdm-config.c reads the same):
//   name { key = value  key = [ "a", 1 ]  # comment  child { ... } }
// It builds a plain tree; metadata.hpp turns that tree into a VolumeGroup.
// Input is untrusted bytes from a damaged disk: every limit is checked and
// every failure is an InputError naming the line and what was expected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::lvm {

struct ConfigValue {
  enum class Kind { integer, real, string };
  Kind kind = Kind::string;
  std::int64_t integer = 0;
  double real = 0.0;
  std::string text; // for strings: the value with LVM's escapes undone
};

struct ConfigNode {
  std::string key;
  std::size_t line = 0;             // 1-based line of the key
  bool section = false;             // name { ... } rather than name = value
  bool array = false;               // the value was written as [ ... ]
  std::vector<ConfigValue> values;  // one for a plain value; any for an array
  std::vector<ConfigNode> children; // sections only, in file order

  // The child called KEY, or nullptr.
  [[nodiscard]] const ConfigNode *find(std::string_view name) const noexcept;
};

struct ConfigLimits {
  std::size_t max_bytes = std::size_t{16} << 20U; // text longer than this is refused
  std::size_t max_depth = 16;                     // sections inside sections
  std::size_t max_nodes = 1'000'000;              // keys and sections together
  std::size_t max_values = 2'000'000;             // all values, array elements included
};

// Parses TEXT up to its end or its first NUL byte (LVM stores the text
// NUL-terminated). The returned node is the unnamed root section.
// Lexical rules follow libdm: "..." strings in which \" stands for " (any
// other backslash stays as it is, as LVM writes it), '...' strings without
// escapes, decimal integers with an optional sign, decimals with one '.',
// bare words, # comments to the end of the line, array elements separated
// by commas or blanks. Stricter than libdm where libdm silently accepts
// nonsense: a duplicate key, a malformed number or a control character is
// an error. Throws InputError "line N: expected X, found Y".
ConfigNode parse_config(std::string_view text, const ConfigLimits &limits = {});

} // namespace kvmr::lvm
