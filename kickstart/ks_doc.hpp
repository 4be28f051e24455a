// The kickstart as the generator means it: command lines, comments and
// sections, each added as what it is. text() is what is written;
// intended() is the structure read_kickstart() must find in that text
// (ks_reader.hpp), so a value that would open or close a section, or add
// a command, shows as a difference (check_structure in safety.hpp).
#pragma once

#include "kickstart/ks_reader.hpp"

#include <string>
#include <vector>

namespace kvmr::kickstart {

class KsDoc {
public:
  void command(std::string line);
  void comment(std::string line); // "# ..."
  void blank();
  // HEADER ("%post --log=..."), BODY, and the closing %end.
  void section(std::string header, const std::vector<std::string> &body);

  [[nodiscard]] std::string text() const;
  [[nodiscard]] const std::vector<KsElement> &intended() const { return intended_; }

private:
  std::vector<std::string> lines_;
  std::vector<KsElement> intended_;
};

} // namespace kvmr::kickstart
