// libfdisk wrapper (see fdisk.hpp).
#include "rescue/disk/fdisk.hpp"

#include "rescue/util/error.hpp"

#include <cerrno>

namespace kvmr::disk::fdisk {

int collect_messages(fdisk_context * /*cxt*/, fdisk_ask *ask, void *data) {
  auto *messages = static_cast<std::vector<std::string> *>(data);
  switch (fdisk_ask_get_type(ask)) {
  case FDISK_ASKTYPE_INFO:
  case FDISK_ASKTYPE_WARN:
  case FDISK_ASKTYPE_WARNX: {
    const char *msg = fdisk_ask_print_get_mesg(ask);
    if (msg != nullptr && messages != nullptr) {
      messages->emplace_back(msg);
    }
    return 0;
  }
  default: return -EINVAL;
  }
}

ContextHandle open_read_only(int fd, const std::string &path, std::vector<std::string> *messages) {
  ContextHandle cxt(fdisk_new_context());
  if (!cxt) {
    throw SysError(path, "fdisk_new_context", ENOMEM);
  }
  fdisk_set_ask(cxt.get(), collect_messages, messages);
  const int rc = fdisk_assign_device_by_fd(cxt.get(), fd, path.c_str(), 1);
  if (rc != 0) {
    throw SysError(path, "libfdisk: read partition table", -rc);
  }
  return cxt;
}

TableHandle partitions(fdisk_context *cxt, const std::string &path) {
  fdisk_table *tb = nullptr;
  const int rc = fdisk_get_partitions(cxt, &tb);
  if (rc != 0) {
    throw SysError(path, "libfdisk: list partitions", -rc);
  }
  return TableHandle(tb);
}

} // namespace kvmr::disk::fdisk
