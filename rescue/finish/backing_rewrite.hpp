// Writing a new backing file name into a copied qcow2 overlay, when the
// plan moved its backing file (PlanItem::new_backing_name): `qemu-img
// rebase -u`, the unsafe mode, which only rewrites the header's name and
// format and never reads or writes guest data. Afterwards the header is
// read back with the project's own parser (scan/qcow2.hpp) to prove the
// name is the one asked for.
#pragma once

#include "rescue/scan/qcow2.hpp"
#include "rescue/util/command.hpp"

#include <string>

namespace kvmr::finish {

// Reads the qcow2 header of the file at PATH. Throws SysError naming PATH
// when it cannot be read, InputError when it is not a usable qcow2 header.
scan::Qcow2Header read_qcow2_header(const std::string &path);

// Sets the backing file name of the qcow2 IMAGE to NEW_NAME (written as
// given: an absolute path, or a name relative to IMAGE's directory on the
// new host) with format NEW_FORMAT ("raw", "qcow2"; empty: keep the
// format the header names). Runs `qemu-img rebase -q -u -f qcow2 -F FMT
// -b NAME IMAGE` through RUNNER (null: the system's); the backing file
// need not exist here. Throws InputError naming IMAGE when it is not a
// qcow2 image, NEW_NAME is empty or longer than qemu accepts, qemu-img is
// missing or fails, or the header does not read back as asked.
void set_backing_name(const std::string &image, const std::string &new_name,
                      const std::string &new_format, CommandRunner *runner = nullptr);

} // namespace kvmr::finish
