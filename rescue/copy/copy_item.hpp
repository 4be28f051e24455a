// The copy engine's one entry point: copy one ByteSource (a file, a block
// device, an LV's segment map) to a target file, sparse, hashed, verified,
// resumable and tolerant of unreadable sectors.
//
// Files beside the target NAME (or in CopyOptions::state_dir):
//   NAME.partial        the data while copying; renamed to NAME only after
//                       fsync and verification. Nothing incomplete ever
//                       carries the final name.
//   NAME.map            GNU ddrescue mapfile ('+' finished, '-' bad, '?'
//                       not tried); kept after success only when bad
//                       sectors remain, removed otherwise.
//   NAME.partial.state  resume state (per-chunk hashes), removed on success.
//
// Hashes. Every chunk (CopyOptions::chunk_size bytes of the source) is
// hashed as read from the source; these chunk hashes survive a resume, so
// finished parts are never read again. Verification re-reads the whole
// target from the device and compares it chunk by chunk against them, and
// at the same time hashes the target's whole logical content in order
// (holes as zeros): that is CopyResult::hash, equal to `xxh128sum` or
// `sha256sum` of the source's bytes (unreadable sectors read as zeros).
#pragma once

#include "rescue/copy/hash.hpp"
#include "rescue/copy/pipeline.hpp"
#include "rescue/copy/progress.hpp"
#include "rescue/io/byte_source.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::copy {

// What a host that holds the target computed over it with its own tools
// (a remote host's sha256sum): the whole file's hash and each chunk's, in
// order, as hex.
struct TargetHashes {
  std::string whole;
  std::vector<std::string> chunks;
};
// Hashes the target file at PATH (NAME.partial, as this machine sees it)
// where it lives, CHUNK_SIZE bytes at a time, CHUNKS of them.
using TargetHasher = std::function<TargetHashes(const std::string &path, std::uint64_t chunk_size,
                                                std::size_t chunks)>;

struct CopyOptions {
  HashKind hash = HashKind::xxh3_128;
  // Unit of reading, hashing and resuming; also the buffer size. A
  // multiple of sector_size and of zero_grain.
  std::size_t chunk_size = std::size_t{4} << 20U;
  std::size_t queue_depth = 4; // buffers in flight
  // Unreadable ranges are found down to this size (the source's logical
  // sector size).
  std::uint32_t sector_size = 512;
  // All-zero pieces of this size inside data are not written (stay holes).
  std::size_t zero_grain = 4096;
  // Passes over the bad ranges after the first pass.
  int retry_passes = 1;
  // A failed read is narrowed down to sectors with direct reads
  // (ByteSource::read_direct, O_DIRECT), and retry passes read directly.
  // false: with ordinary reads, which through a filesystem lose the whole
  // page-cache folio around each bad sector (1 MiB here); tests compare.
  bool direct_split = true;
  // The first pass reads the source with direct reads too (O_DIRECT: no
  // copy through the page cache; scripts/bench-copy measured the whole
  // copy about 20% faster than with buffered reads). false: buffered.
  bool direct_read = true;
  // The target is written with direct writes where the filesystem allows
  // (PartialFile: O_DIRECT, no copy through the page cache, the device
  // gets each chunk as it is written; the end of a file that is not a
  // multiple of the alignment goes the ordinary way). false: ordinary
  // writes, each chunk's writeback started as it is written.
  bool direct_write = true;
  // Verification re-reads the target with direct reads: from the device,
  // never from the page cache, and without copying through it. false:
  // buffered reads after dropping the target's page cache.
  bool direct_verify = true;
  // Verification trails the first pass: each chunk is read back as soon
  // as it is written (from the device as above), so the re-read overlaps
  // the copy (on separate source and target disks it is nearly free). A
  // first pass that meets unreadable sectors drops what was verified and
  // verifies it all after the retry passes. false: one pass after another.
  bool overlap_verify = true;
  // Verification by the host that holds the target, without reading it
  // back here (a target mounted over the network): after the copy,
  // NAME.partial is synced and this computes its hashes there; each chunk
  // is compared with the hash taken when it was read from the source (an
  // all-zero chunk with the hash of as many zeros). HASH must be the kind
  // the hasher computes (sha256); overlap_verify and direct_verify do not
  // apply. Empty: the target is read back here.
  TargetHasher target_hasher;
  // A source file whose mode, owner, times and xattrs the target takes.
  // Without it the target keeps mode 0600 and root's ownership.
  std::optional<std::string> metadata_from;
  // The source's identity in the resume state: a rerun resumes only when
  // it matches (with the size, chunk size and hash kind). Defaults to
  // src.describe(); a caller whose source path changes between runs (a
  // temporary mount point) passes something stable, e.g. the disk's
  // identity and the file's path on the old host.
  std::string source_id;
  // Where NAME.map and NAME.partial.state go; beside the target if unset.
  std::optional<std::string> state_dir;
  // Set (from a signal handler or another thread) to stop: the map and
  // state are saved, NAME.partial is left and Cancelled is thrown.
  const std::atomic<bool> *cancel = nullptr;
  // How often finished work is made durable (fdatasync of NAME.partial,
  // then state and map saved); at most this much is read again after a
  // crash, plus the buffers in flight.
  std::chrono::milliseconds save_interval{2000};
  std::chrono::milliseconds progress_interval{250};
  // The clock for rates and intervals (tests inject one).
  std::function<Clock::time_point()> clock;
};

struct CopyResult {
  std::string target;                // NAME
  std::string map_path;              // NAME.map if kept (bad sectors), else ""
  std::uint64_t size = 0;            // apparent size, bytes
  std::uint64_t data_bytes = 0;      // the source's data extents (not holes)
  std::uint64_t bytes_read = 0;      // read from the source by this run
  std::uint64_t bytes_written = 0;   // written to the target by this run
  std::uint64_t allocated_bytes = 0; // the target's, on disk
  HashKind hash_kind = HashKind::xxh3_128;
  std::string hash;                           // whole logical content of the target (hex)
  bool resumed = false;                       // continued an earlier run's NAME.partial
  std::vector<ByteRange> bad_ranges;          // zero-filled, unreadable after retries
  std::vector<std::string> xattrs_not_copied; // target fs lacks support
  // First pass and retries; re-read and compare. With the verification
  // trailing the first pass: the first pass, and what verification took
  // after it.
  double copy_seconds = 0;
  double verify_seconds = 0;
};

// Copies SRC to TARGET_PATH as described above. PROGRESS may be null.
// Throws Cancelled, SourceChanged, VerifyMismatch, SysError (naming the
// source or NAME.partial: ENOSPC, EIO on the target) and InputError (bad
// options); in every case NAME.partial is left and never renamed.
CopyResult copy_item(io::ByteSource &src, const std::string &target_path, const CopyOptions &opt,
                     ProgressSink *progress);

// The side files of TARGET_PATH under OPT.
std::string partial_path(const std::string &target_path);
std::string map_path(const std::string &target_path, const CopyOptions &opt);
std::string state_path(const std::string &target_path, const CopyOptions &opt);

} // namespace kvmr::copy
