// Hand-built inputs for the plan tests: an inventory shaped like the
// dead-host fixture's (web01 raw, mail01 over centos7-base, app01 UEFI),
// with helpers to add VMs, chains and LVs, and a directory target.
#pragma once

#include "rescue/disk/model.hpp"
#include "rescue/scan/inventory.hpp"
#include "rescue/target/target.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kvmr::test {

inline constexpr std::uint64_t MiB = std::uint64_t{1} << 20U;
inline constexpr std::uint64_t GiB = std::uint64_t{1} << 30U;
inline const std::string kImages = "/var/lib/libvirt/images";

// One chain member; BACKING: the next member's path (empty: a base).
scan::ChainMember member(const std::string &path, scan::ImageFormat format, std::uint64_t allocated,
                         const std::string &backing_name = "",
                         const std::string &backing_path = "");

// A file disk whose chain is MEMBERS (top first).
scan::VmDisk file_disk(const std::string &target, std::vector<scan::ChainMember> members,
                       const std::string &type = "file");

// A block disk on LV NAME ("centos/db01").
scan::VmDisk lv_disk(const std::string &target, const std::string &lv, std::uint64_t size,
                     bool readable = true);

scan::VmInfo vm(const std::string &name, std::vector<scan::VmDisk> disks,
                scan::Readiness r = scan::Readiness::ready);

// web01, mail01 (over centos7-base.qcow2), app01 (UEFI, NVRAM), the
// default network and pool, one secret with its value, a snapshot of
// web01; hostname kvmhost01.example.jp.
scan::HostInventory story_inventory();

// A mounted directory target with CAPACITY bytes free.
target::TargetInfo dir_target(std::uint64_t capacity = 100 * GiB);

// A probed disk: SIZE bytes, a GPT with the given partition UUIDs and
// filesystem UUIDs (one per partition).
disk::Disk gpt_disk(const std::string &path, std::uint64_t size, const std::string &table_id,
                    const std::vector<std::string> &partuuids,
                    const std::vector<std::string> &fs_uuids, const std::string &serial = "");

} // namespace kvmr::test
