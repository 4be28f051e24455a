// VMDK descriptors: the text that says which files hold a VMDK disk's data
// (its extents) and which image it is a delta of (parentFileNameHint). The
// text is either a file of its own ("# Disk DescriptorFile", the
// twoGbMaxExtent*, monolithicFlat and vmfs kinds) or embedded in a sparse
// "KDMV" file (monolithicSparse, streamOptimized), whose header says where.
// Parsing never throws: the text comes from the old host and may be
// anything; what is not understood is reported, not guessed.
#pragma once

#include "rescue/util/bytes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::scan {

// Descriptors are a few hundred bytes; a larger one is refused.
inline constexpr std::size_t vmdk_descriptor_max = std::size_t{64} * 1024U;

struct VmdkExtent {
  std::string access;        // RW, RDONLY, NOACCESS
  std::uint64_t sectors = 0; // 512-byte sectors of the virtual disk it holds
  std::string kind;          // SPARSE, FLAT, ZERO, VMFS, VMFSSPARSE, SESPARSE, ...
  std::string file;          // as written (relative to the descriptor's directory); empty: ZERO
  std::uint64_t offset = 0;  // FLAT: sectors into FILE
};

struct VmdkDescriptor {
  std::string create_type; // createType="..."
  std::string parent_hint; // parentFileNameHint="..."; empty: no parent
  std::vector<VmdkExtent> extents;
  std::vector<std::string> problems; // lines that are not understood

  // The virtual disk size the extents add up to, in bytes.
  [[nodiscard]] std::uint64_t virtual_size() const;
};

// Parses descriptor TEXT (stops at the first NUL, as qemu does).
VmdkDescriptor parse_vmdk_descriptor(std::string_view text);

// The fields of a sparse "KDMV" header that locate its embedded descriptor.
struct VmdkSparseHeader {
  std::uint32_t version = 0;
  std::uint64_t capacity = 0;          // sectors
  std::uint64_t descriptor_offset = 0; // sectors; 0: none embedded
  std::uint64_t descriptor_size = 0;   // sectors
};

// The header at the start of a "KDMV" file; nullopt when HEAD is too short
// or has another magic.
std::optional<VmdkSparseHeader> parse_vmdk_sparse_header(Bytes head) noexcept;

} // namespace kvmr::scan
