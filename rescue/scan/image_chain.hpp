// A VM disk's backing chain on the old host: the image the domain XML
// names, then each backing file its header names (qcow2, qed, qcow v1, a
// VMDK delta's parentFileNameHint), down to a base image. Every member is read through
// io::SourceTree (headers only) and described as a value, problems included: a missing backing
// file, a loop, a corrupt header or a format mismatch never throws, it stops or annotates the walk.
// This is what a disk's rescue must copy: every member plus any qcow2 external data file.
#pragma once

#include "rescue/io/source_tree.hpp"
#include "rescue/scan/image_format.hpp"
#include "rescue/scan/qcow2.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::scan {

enum class Severity { info, warning, error };

struct Problem {
  Severity severity = Severity::error;
  std::string message; // names the file it is about
};

// A file on the old host that a member refers to (the qcow2 external data
// file, a VMDK extent), resolved and looked up.
struct ReferencedFile {
  std::string name;    // as written in the header
  std::string path;    // resolved old-host path; empty when not a local file
  bool exists = false; // after following symlinks
  std::uint64_t size = 0;
  std::uint64_t allocated = 0;
};

struct ChainMember {
  std::string path;      // old-host path as named (XML, or resolved backing name)
  std::string real_path; // after following symlinks; == path when none
  bool exists = false;
  io::FileType type = io::FileType::other; // of real_path
  std::uint64_t size = 0;                  // apparent bytes
  std::uint64_t allocated = 0;             // bytes on disk
  std::optional<ImageFormat> format;       // detected; unset when not read
  // The format qemu opens it as: the declared one where it is known and
  // differs (a raw disk whose guest wrote a VMDK header stays raw).
  std::optional<ImageFormat> opened_as;
  // What the layer above says the format is: the domain XML for the top
  // member, the backing format in the parent's header for the others.
  std::string declared_format;
  // qcow2 and the other formats: header (unset where not simple: vhdx);
  // raw: file size.
  std::optional<std::uint64_t> virtual_size;
  std::optional<Qcow2Header> qcow2; // when the header was parsed

  std::string backing_name;   // as written in the header; empty: none
  std::string backing_format; // as written in the header; empty: none
  std::string backing_path;   // resolved local path followed next; empty: none/not followed
  std::optional<ReferencedFile> data_file; // qcow2 external data file
  std::vector<ReferencedFile> extents;     // VMDK extents in other files, in order

  std::vector<Problem> problems;
};

struct ImageChain {
  std::vector<ChainMember> members; // top (the image the VM writes) first
  std::vector<Problem> problems;    // about the chain: loop, depth, ...
  std::size_t depth = 0;            // members.size()
  // True when the walk reached a member without a backing file and read
  // every member's header.
  bool complete = false;

  // True when neither the chain nor any member has an error.
  [[nodiscard]] bool ok() const;
  // Every local file the VM's disk consists of: members that exist, then
  // their external data files and VMDK extents, in chain order, without
  // duplicates.
  [[nodiscard]] std::vector<std::string> files() const;
};

inline constexpr std::size_t default_max_chain_depth = 16;

// Walks the chain starting at IMAGE_PATH (absolute, as the domain XML
// names it) whose format the XML declares as DECLARED_FORMAT (may be
// empty). Never throws for anything found on the old host.
ImageChain walk_image_chain(io::SourceTree &tree, const std::string &image_path,
                            std::string_view declared_format,
                            std::size_t max_depth = default_max_chain_depth);

// True when qemu would take NAME as a protocol or json: pseudo-file rather
// than a local file name ("nbd:host:10809", "json:{...}", "http://..."):
// a colon before any slash. "file:NAME" is a local name.
bool is_protocol_name(std::string_view name);

std::string_view severity_name(Severity s) noexcept;

} // namespace kvmr::scan
