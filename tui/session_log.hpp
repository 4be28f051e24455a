// The wizard's session log: one timestamped line per screen shown, message
// box, choice, copy note and result, appended to a file as it happens (a
// killed wizard leaves what it did). A copy goes onto the target while it
// is mounted, so the log travels with the rescued VMs.
#pragma once

#include <mutex>
#include <string>

namespace kvmr::tui {

class SessionLog {
public:
  // PATH empty: nothing is written (the log is off). Otherwise the file is
  // created (with its directory) or appended to; throws InputError naming
  // the path when it cannot be opened.
  explicit SessionLog(std::string path = {});

  [[nodiscard]] bool on() const { return !path_.empty(); }
  [[nodiscard]] const std::string &path() const { return path_; }

  // Appends "YYYY-MM-DD HH:MM:SS TEXT" (each line of a multi-line TEXT
  // indented under the first). Safe from any thread; never throws.
  void line(const std::string &text);

  // Copies the log so far to DIR/session.log (atomically). False, and the
  // reason in WHY, when it could not.
  bool copy_to(const std::string &dir, std::string &why) const;

private:
  std::string path_;
  mutable std::mutex mu_;
};

} // namespace kvmr::tui
