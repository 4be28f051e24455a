// The copy engine's failures that are not a single failed system call
// (those are SysError, naming the source or the target file).
#pragma once

#include "rescue/util/error.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace kvmr::copy {

// The cancel flag was set: the map and resume state are saved and
// NAME.partial is left for a rerun to resume.
class Cancelled : public std::runtime_error {
public:
  explicit Cancelled(const std::string &target)
      : std::runtime_error(target + ": copy cancelled; rerun to resume") {}
};

// The source returned fewer bytes than its size promised (it shrank, or
// was replaced, during the copy).
class SourceChanged : public InputError {
public:
  using InputError::InputError;
};

// The target read back differs from what was read from the source.
class VerifyMismatch : public std::runtime_error {
public:
  VerifyMismatch(const std::string &what, std::uint64_t first_offset)
      : std::runtime_error(what), first_offset_(first_offset) {}
  [[nodiscard]] std::uint64_t first_offset() const { return first_offset_; }

private:
  std::uint64_t first_offset_;
};

} // namespace kvmr::copy
