// A remark about one of the old host's files: something missing, odd or
// guessed while reading it. Discovery never stops on bad input; it records a
// note naming the file (and the line, when there is one) and goes on.
#pragma once

#include <string>

namespace kvmr::scan {

struct SourceNote {
  std::string file; // path as the old host saw it ("/etc/hostname")
  int line = 0;     // 1-based; 0 when the note is about the whole file
  std::string message;

  // "/etc/hostname: message" or "/etc/x:12: message".
  [[nodiscard]] std::string text() const {
    return line > 0 ? file + ":" + std::to_string(line) + ": " + message : file + ": " + message;
  }
};

} // namespace kvmr::scan
