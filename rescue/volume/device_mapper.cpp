// DM_VERSION probe (see device_mapper.hpp).
#include "rescue/volume/device_mapper.hpp"

#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>

#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace kvmr::volume {

bool device_mapper_available() noexcept {
  const int fd = ::open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  dm_ioctl io{};
  io.version[0] = DM_VERSION_MAJOR;
  io.version[1] = 0;
  io.version[2] = 0;
  io.data_size = sizeof io;
  const bool ok = ::ioctl(fd, DM_VERSION, &io) == 0;
  ::close(fd);
  return ok;
}

} // namespace kvmr::volume
