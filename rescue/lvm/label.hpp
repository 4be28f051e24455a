// Reading an LVM2 physical volume without LVM tools and without writing:
// the LABELONE label in one of its first four sectors, the PV header after
// it (PV UUID, size, data and metadata area lists), and each metadata
// area's header and the VG metadata text it points at, all checksummed.
// Layout as in LVM2's lib/label/label.h and lib/format_text/layout.h; all
// fields little-endian; offsets are bytes from the start of the PV.
#pragma once

#include "rescue/lvm/config_tree.hpp"
#include "rescue/lvm/metadata.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kvmr::lvm {

// An area listed in the PV header. For a data area, size 0 means "up to
// the end of the device".
struct DiskArea {
  std::uint64_t offset = 0; // bytes from the PV start
  std::uint64_t size = 0;   // bytes
};

// One copy of the VG metadata text, parsed.
struct MetadataCopy {
  std::string text;         // without its trailing NUL
  VolumeGroup vg;           // the text, parsed
  std::uint64_t offset = 0; // where the text begins, bytes from the PV start
  std::size_t area = 0;     // index into PvLabel::metadata_areas
  bool verified = false;    // the metadata area header's checksum matched
};

enum class MdaState {
  ok,           // header and text checksums match, the text parses
  empty,        // a sound header pointing at no metadata (a PV in no VG)
  ignored,      // flagged ignored (pvchange --metadataignore y); not read
  unreadable,   // outside the readable size of the PV, or an I/O error
  bad_header,   // wrong checksum, magic, version or bounds in the area header
  bad_checksum, // the text does not match the checksum in the header
  bad_text,     // the checksum matches but the text is not a usable VG
};

struct MetadataArea {
  DiskArea location; // from the PV header
  MdaState state = MdaState::unreadable;
  std::string detail;               // what is wrong, with the byte offset
  std::uint64_t ring_size = 0;      // the area size its header records
  std::uint64_t text_offset = 0;    // from the area start (raw_locn)
  std::uint64_t text_size = 0;      // bytes including the NUL (raw_locn)
  std::uint32_t text_checksum = 0;  // as stored (raw_locn)
  bool wrapped = false;             // the text continues at byte 512 of the area
  std::optional<MetadataCopy> copy; // set when state is ok
};

struct PvLabel {
  std::string path;              // the device or image file read
  std::uint64_t pv_offset = 0;   // where the PV starts on it (a partition start)
  std::uint64_t available = 0;   // readable bytes of the PV (the partition size)
  unsigned label_sector = 0;     // 0..3
  std::string uuid;              // PV UUID with dashes, as pvs prints it
  std::uint64_t device_size = 0; // bytes, as the PV header records it
  std::vector<DiskArea> data_areas;
  std::vector<MetadataArea> metadata_areas;
  std::uint32_t ext_version = 0; // PV header extension (0: none)
  std::uint32_t ext_flags = 0;   // bit 0: the PV belongs to a VG
  // The verified copy with the highest seqno; none when the PV has no
  // metadata area (pvcreate --metadatacopies 0) or none of them is sound.
  std::optional<MetadataCopy> metadata;
  // Damaged areas, areas with older or differing copies, a PV larger than
  // what can be read. Empty for a sound PV.
  std::vector<std::string> problems;
};

// True when SECTOR (512 bytes) carries a LABELONE label whose CRC matches.
bool is_lvm_label_sector(std::span<const std::byte> sector, unsigned sector_number);

// Reads the PV that starts OFFSET bytes into the file FD (opened read-only;
// PATH is for messages) and is SIZE bytes long. Throws InputError naming
// PATH and the byte offset when there is no sound label or PV header, and
// SysError when the label cannot be read. Damaged metadata areas do not
// throw: they are reported in metadata_areas and problems.
PvLabel read_pv_label(int fd, const std::string &path, std::uint64_t offset, std::uint64_t size,
                      const ConfigLimits &limits = {});

// Searches the metadata areas of PV for the older copies LVM leaves behind
// in its ring buffer (each written at a 512-byte boundary after the one
// before). They carry no checksum: verified is false. Newest first, one per
// seqno, the current copy left out. For salvage when no verified copy is
// left; a copy older than the last change maps LVs as they were then.
std::vector<MetadataCopy> find_older_copies(int fd, const PvLabel &pv,
                                            const ConfigLimits &limits = {});

} // namespace kvmr::lvm
