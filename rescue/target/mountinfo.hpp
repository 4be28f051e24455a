// /proc/self/mountinfo as values (volume/mountinfo.hpp), and what sysfs says about a block
// device's users (partitions, holders, loop devices over a file): the facts
// inspect_target reports as "in use".
#pragma once

#include "rescue/volume/mountinfo.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kvmr::target {

using volume::has_option;
using volume::MountEntry;
using volume::read_mountinfo;

// The kernel name of a block device node ("sdb", "loop3") from its
// major:minor (/sys/dev/block/M:m), empty when sysfs does not know it.
std::string block_name(unsigned major, unsigned minor);

// The names of the partitions of whole disk NAME (/sys/class/block/NAME/NAMEp*).
std::vector<std::string> partitions_of(const std::string &name);

// major:minor of block device NAME from /sys/class/block/NAME/dev.
bool block_numbers(const std::string &name, unsigned &major, unsigned &minor);

// The holders of block device NAME (/sys/class/block/NAME/holders).
std::vector<std::string> holders_of(const std::string &name);

// When NAME is a partition, the whole disk's name; else empty.
std::string parent_disk(const std::string &name);

// Loop devices ("/dev/loopN") whose backing file is the file with device
// DEV and inode INO (compared by identity, not by name).
std::vector<std::string> loops_backed_by(std::uint64_t dev, std::uint64_t ino);

// One attribute line of sysfs, trailing newline removed ("" when missing).
std::string read_sys_line(const std::string &path);

} // namespace kvmr::target
