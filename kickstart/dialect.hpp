// The installer dialects a kickstart is written for: EL7 (CentOS 7, the
// story's host), EL8 and EL9 (AlmaLinux, Rocky, CentOS Stream). Where
// their kickstart commands, packages or libvirt daemons differ, the
// renderer asks here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kvmr::kickstart {

enum class Dialect { el7, el8, el9 };

const char *to_string(Dialect d) noexcept; // "el7"
// "el7", "el8", "el9" (also "centos7", "rhel8", ...); throws InputError.
Dialect parse_dialect(std::string_view name);

// The pykickstart handler version that validates it ("RHEL7").
const char *ksvalidator_version(Dialect d) noexcept;

// The libvirt units the new host enables: libvirtd on EL7/EL8, the
// modular socket-activated daemons on EL9.
std::vector<std::string> libvirt_units(Dialect d);

// The UEFI firmware package and the directory its images are in.
const char *ovmf_package(Dialect d) noexcept;
const char *ovmf_dir(Dialect d) noexcept;

} // namespace kvmr::kickstart
