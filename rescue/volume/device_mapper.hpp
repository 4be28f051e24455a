// The kernel's device-mapper, driven directly through /dev/mapper/control:
// whether it really works (the control node can exist without the driver,
// as on the build machine, so ask the driver itself with DM_VERSION), and
// read-only devices made from a table (an LV in several pieces shown as
// one block device). Creating is all this project does: never a writable
// table, never a change to a device it did not create.
#pragma once

#include "rescue/volume/dm_table.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kvmr::volume {

bool device_mapper_available() noexcept;
// Empty when device-mapper works; otherwise why not, e.g. "DM_VERSION
// failed: cannot open /dev/mapper/control: No such device".
std::string device_mapper_problem();

// "kvmr-<pid>-<vg>-<lv>": the name of the device a run makes for an LV, so
// a later run can tell whose it is. Throws InputError past DM's 127 chars.
std::string dm_device_name(int pid, const std::string &vg, const std::string &lv);

class DmDevice {
public:
  // DM_DEV_CREATE (read-only), DM_TABLE_LOAD with DM_READONLY_FLAG, then
  // resume (DM_DEV_SUSPEND without the suspend flag). Waits for the node
  // /dev/dm-MINOR. Throws SysError naming NAME; a half-made device is
  // removed again.
  static DmDevice create_read_only(const std::string &name, const std::vector<DmTarget> &table);

  DmDevice() = default;
  DmDevice(const DmDevice &) = delete;
  DmDevice &operator=(const DmDevice &) = delete;
  DmDevice(DmDevice &&other) noexcept;
  DmDevice &operator=(DmDevice &&other) noexcept;
  ~DmDevice(); // removes the device; never throws

  [[nodiscard]] const std::string &name() const { return name_; }
  [[nodiscard]] const std::string &path() const { return path_; } // /dev/dm-N
  // Removes now (retrying briefly while busy); throws SysError.
  void remove();
  // Leaves the device in place (a mount-ro session; `umount` removes it).
  void release() noexcept;

private:
  std::string name_;
  std::string path_;
};

// Removes the device-mapper device NAME if it exists. Never throws;
// returns whether it removed one.
bool dm_remove_if_exists(const std::string &name) noexcept;

} // namespace kvmr::volume
