// Exceptions of the core library (see error.hpp).
#include "rescue/util/error.hpp"

#include <cstring>

namespace kvmr {

SysError::SysError(std::string path, std::string action, int err)
    : std::runtime_error(path + ": " + action + ": " + std::strerror(err)), path_(std::move(path)),
      reason_(action + ": " + std::strerror(err)), errno_(err) {
}

} // namespace kvmr
