// A fresh GPT through libfdisk, old signatures wiped (see gpt_writer.hpp).
#include "rescue/target/gpt_writer.hpp"

#include "rescue/disk/fdisk.hpp"

#include "rescue/util/error.hpp"
#include "rescue/util/fd.hpp"

#include <libfdisk/libfdisk.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <unistd.h>
#include <vector>

namespace kvmr::target {
namespace {

UniqueFd open_for_writing(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw SysError(path, "stat", errno);
  }
  // O_EXCL on a block device: refused while anything mounts or holds it.
  const int flags = O_RDWR | O_CLOEXEC | (S_ISBLK(st.st_mode) ? O_EXCL : 0);
  UniqueFd fd(::open(path.c_str(), flags));
  if (!fd.valid()) {
    throw SysError(path,
                   S_ISBLK(st.st_mode) ? "open exclusively for writing (is it in use?)"
                                       : "open for writing",
                   errno);
  }
  return fd;
}

void zero_range(int fd, const std::string &path, bool regular, std::uint64_t offset,
                std::uint64_t len) {
  if (regular && ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                             static_cast<off_t>(offset), static_cast<off_t>(len)) == 0) {
    return;
  }
  const std::vector<char> zeros(kMiB, 0);
  while (len > 0) {
    const std::size_t n = len < zeros.size() ? static_cast<std::size_t>(len) : zeros.size();
    const ssize_t w = ::pwrite(fd, zeros.data(), n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw SysError(path, "write zeros at offset " + std::to_string(offset), errno);
    }
    offset += static_cast<std::uint64_t>(w);
    len -= static_cast<std::uint64_t>(w);
  }
}

// Zeroes the first and last MiB of [START, START+SIZE) (all of it when smaller).
void wipe_ends(int fd, const std::string &path, bool regular, std::uint64_t start,
               std::uint64_t size) {
  if (size <= 2 * kMiB) {
    zero_range(fd, path, regular, start, size);
    return;
  }
  zero_range(fd, path, regular, start, kMiB);
  zero_range(fd, path, regular, start + size - kMiB, kMiB);
}

std::uint64_t size_of(int fd, const std::string &path, bool regular) {
  if (regular) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      throw SysError(path, "fstat", errno);
    }
    return static_cast<std::uint64_t>(st.st_size);
  }
  std::uint64_t bytes = 0;
  if (::ioctl(fd, BLKGETSIZE64, &bytes) != 0) {
    throw SysError(path, "BLKGETSIZE64", errno);
  }
  return bytes;
}

[[noreturn]] void fail(const std::string &path, const std::string &what, int rc,
                       const std::vector<std::string> &messages) {
  std::string action = "libfdisk: " + what;
  for (const auto &m : messages) {
    action += " [" + m + "]";
  }
  throw SysError(path, action, rc < 0 ? -rc : EINVAL);
}

void add_partition(fdisk_context *cxt, const std::string &path, std::size_t partno,
                   std::uint64_t start, std::uint64_t size, unsigned ss, const char *type_guid,
                   const char *name, const std::vector<std::string> &messages) {
  fdisk_label *lb = fdisk_get_label(cxt, nullptr);
  disk::fdisk::TypeHandle type(fdisk_label_get_parttype_from_string(lb, type_guid));
  if (!type) {
    fail(path, std::string("unknown GPT type ") + type_guid, -EINVAL, messages);
  }
  disk::fdisk::PartitionHandle pa(fdisk_new_partition());
  if (!pa) {
    fail(path, "new partition", -ENOMEM, messages);
  }
  fdisk_partition_set_partno(pa.get(), partno);
  fdisk_partition_set_start(pa.get(), start / ss);
  fdisk_partition_set_size(pa.get(), size / ss);
  fdisk_partition_set_name(pa.get(), name);
  fdisk_partition_set_type(pa.get(), type.get());
  std::size_t got = 0;
  if (const int rc = fdisk_add_partition(cxt, pa.get(), &got); rc != 0) {
    fail(path, std::string("add partition ") + name, rc, messages);
  }
}

} // namespace

void check_writable(const std::string &path) {
  UniqueFd fd = open_for_writing(path);
  fd.close(path);
}

void wipe_signatures(const std::string &path, const PartitionPlan &plan) {
  UniqueFd fd = open_for_writing(path);
  struct stat st {};
  ::fstat(fd.get(), &st);
  const bool regular = S_ISREG(st.st_mode);
  wipe_ends(fd.get(), path, regular, 0, size_of(fd.get(), path, regular));
  wipe_ends(fd.get(), path, regular, plan.data_start, plan.data_size);
  if (plan.oemdrv_size != 0) {
    wipe_ends(fd.get(), path, regular, plan.oemdrv_start, plan.oemdrv_size);
  }
  if (::fsync(fd.get()) != 0) {
    throw SysError(path, "fsync", errno);
  }
  fd.close(path);
}

void write_gpt(const std::string &path, const PartitionPlan &plan) {
  UniqueFd fd = open_for_writing(path);
  std::vector<std::string> messages;
  disk::fdisk::ContextHandle cxt(fdisk_new_context());
  if (!cxt) {
    throw SysError(path, "fdisk_new_context", ENOMEM);
  }
  fdisk_set_ask(cxt.get(), disk::fdisk::collect_messages, &messages);
  if (const int rc = fdisk_assign_device_by_fd(cxt.get(), fd.get(), path.c_str(), 0); rc != 0) {
    fail(path, "open", rc, messages);
  }
  if (const int rc = fdisk_create_disklabel(cxt.get(), "gpt"); rc != 0) {
    fail(path, "create a GPT", rc, messages);
  }
  const auto ss = static_cast<unsigned>(fdisk_get_sector_size(cxt.get()));
  if (ss != plan.sector_size) {
    throw InputError(path + ": libfdisk sees " + std::to_string(ss) +
                     "-byte sectors, the layout was planned for " +
                     std::to_string(plan.sector_size));
  }
  add_partition(cxt.get(), path, 0, plan.data_start, plan.data_size, ss, kLinuxDataType,
                kDataPartName, messages);
  if (plan.oemdrv_size != 0) {
    add_partition(cxt.get(), path, 1, plan.oemdrv_start, plan.oemdrv_size, ss, kMsBasicDataType,
                  kOemdrvPartName, messages);
  }
  if (const int rc = fdisk_write_disklabel(cxt.get()); rc != 0) {
    fail(path, "write the GPT", rc, messages);
  }
  if (fdisk_is_regfile(cxt.get()) == 0) {
    // The kernel's view of the partitions; failing is fine (loop devices
    // here have no partition scanning; the data is reached by offset).
    fdisk_reread_partition_table(cxt.get());
  }
  if (const int rc = fdisk_deassign_device(cxt.get(), 1); rc != 0) {
    fail(path, "close", rc, messages);
  }
  if (::fsync(fd.get()) != 0) {
    throw SysError(path, "fsync after writing the GPT", errno);
  }
  fd.close(path);
}

void flush_device(const std::string &path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    throw SysError(path, "open to flush", errno);
  }
  if (::fsync(fd.get()) != 0) {
    throw SysError(path, "fsync", errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && S_ISBLK(st.st_mode)) {
    ::ioctl(fd.get(), BLKFLSBUF, 0); // best effort: only drops clean buffers
  }
}

} // namespace kvmr::target
