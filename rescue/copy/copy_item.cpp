// The copy engine's passes: copy (reader, writer and hasher threads),
// retry bad sectors, then metadata, fsync and the atomic rename (see
// copy_item.hpp); verification is in copy_verify.cpp.
#include "rescue/copy/copy_item.hpp"

#include "rescue/copy/atomic_file.hpp"
#include "rescue/copy/copy_error.hpp"
#include "rescue/copy/copy_run.hpp"
#include "rescue/copy/tolerant_read.hpp"
#include "rescue/util/error.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <mutex>

namespace kvmr::copy {

std::string partial_path(const std::string &target_path) {
  return target_path + ".partial";
}

namespace {

std::string side_base(const std::string &target_path, const CopyOptions &opt) {
  if (!opt.state_dir) {
    return target_path;
  }
  return (std::filesystem::path(*opt.state_dir) / std::filesystem::path(target_path).filename())
      .string();
}

void check_options(const CopyOptions &o) {
  if (o.sector_size == 0 || o.zero_grain == 0 || o.chunk_size == 0 || o.queue_depth == 0 ||
      o.chunk_size % o.sector_size != 0 || o.chunk_size % o.zero_grain != 0 || o.retry_passes < 0) {
    throw InputError(fmt::format("copy options: chunk size {} must be a multiple of the sector "
                                 "size {} and of the zero grain {}, none of them 0",
                                 o.chunk_size, o.sector_size, o.zero_grain));
  }
  if (o.target_hasher && o.hash != HashKind::sha256) {
    throw InputError("copy options: a target verified where it is held needs sha256 hashes");
  }
}

bool file_size_is(const std::string &path, std::uint64_t size) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         static_cast<std::uint64_t>(st.st_size) == size;
}

} // namespace

namespace detail {

std::string CopyRun::map_text(char phase, int pass) {
  std::lock_guard lock(m_);
  return format_mapfile(map_.to_mapfile(phase, pass),
                        fmt::format("Mapfile. Created by kvm-rescue (GNU ddrescue format)\n"
                                    "Source: {}\nTarget: {}",
                                    src_.describe(), result_.target));
}

void CopyRun::save(char phase, int pass) {
  std::string state_text;
  {
    std::lock_guard lock(m_);
    state_text = to_json_text(map_.state());
  }
  std::string map = map_text(phase, pass);
  // What the state calls finished must be on disk before the state says
  // so. The state and map files themselves need no sync: a torn one does
  // not parse, and the rerun starts over.
  part_->datasync();
  write_file_atomic(state_file_, state_text, Durability::none);
  write_file_atomic(map_file_, map, Durability::none);
  last_save_ = now();
}

void CopyRun::save_best_effort(char phase, int pass) noexcept {
  try {
    save(phase, pass);
  } catch (...) { // NOLINT(bugprone-empty-catch): the first error is the one to report
  }
}

void CopyRun::throw_cancelled(char phase, int pass) {
  save(phase, pass);
  throw Cancelled(result_.target);
}

void CopyRun::start_phase(CopyPhase phase, std::uint64_t done, std::uint64_t total) {
  phase_ = phase;
  phase_total_ = total;
  done_ = done;
  const auto t = now();
  meter_.start(t, done);
  last_progress_ = t;
  emit(t, done);
}

void CopyRun::emit(Clock::time_point t, std::uint64_t done) {
  if (sink_ == nullptr) {
    return;
  }
  CopyProgress p;
  p.item = result_.target;
  p.phase = phase_;
  p.done = done;
  p.total = phase_total_;
  p.rate = meter_.rate();
  p.eta_seconds = meter_.eta_seconds(phase_total_ > done ? phase_total_ - done : 0);
  {
    std::lock_guard lock(m_);
    p.bad_bytes = map_.bad_bytes();
  }
  sink_->on_progress(p);
  last_progress_ = t;
}

void CopyRun::tick(char phase, int pass, std::uint64_t done, bool force) {
  const auto t = now();
  if (!force && phase_ != CopyPhase::verifying && t - last_save_ >= opt_.save_interval) {
    save(phase, pass);
  }
  if (sink_ != nullptr && (force || t - last_progress_ >= opt_.progress_interval)) {
    meter_.sample(t, done);
    emit(t, done);
  }
}

void CopyRun::open_or_resume() {
  const std::uint64_t size = src_.size();
  ResumeState fresh;
  fresh.source = opt_.source_id.empty() ? src_.describe() : opt_.source_id;
  fresh.source_size = size;
  fresh.chunk_size = opt_.chunk_size;
  fresh.hash = opt_.hash;
  fresh.chunk_hashes.assign(
      static_cast<std::size_t>((size + opt_.chunk_size - 1) / opt_.chunk_size), std::string());

  std::optional<Mapfile> old_map;
  try {
    old_map = load_mapfile(map_file_);
  } catch (const std::exception &) {
    old_map.reset(); // unreadable: start over
  }
  auto old_state = load_resume_state(state_file_);
  result_.resumed =
      old_state && old_map && old_state->matches(fresh) && file_size_is(partial_, size);
  map_ = result_.resumed ? CopyMap::resume(std::move(*old_state), *old_map)
                         : CopyMap(std::move(fresh));
  part_.emplace(partial_, !result_.resumed, opt_.direct_write);
  part_->set_size(size);
  result_.size = size;
  extents_ = src_.extents(0, size);
  for (const auto &e : extents_) {
    if (e.kind != io::ExtentKind::hole) {
      result_.data_bytes += e.length;
    }
  }
  // Nothing is saved yet: a run that dies before its first save starts
  // over, which costs less than a save (an fdatasync) per small file.
  last_save_ = now();
}

void CopyRun::first_pass(Pipeline &pipe) {
  std::vector<std::size_t> todo;
  std::uint64_t done = 0;
  for (std::size_t c = 0; c < map_.chunk_count(); ++c) {
    if (!map_.finished(c)) {
      todo.push_back(c);
      continue;
    }
    const auto off = map_.chunk_offset(c);
    for (const auto &e : extents_within(extents_, off, off + map_.chunk_length(c))) {
      done += e.kind == io::ExtentKind::hole ? 0 : e.length;
    }
  }
  start_phase(CopyPhase::copying, done, result_.data_bytes);
  // Chunks that are holes in the source need no reading, writing or
  // hashing: they are finished here instead of passing through the
  // threads, where each costs a few hand-offs (a sparse image is mostly
  // such chunks).
  std::erase_if(todo, [&](std::size_t c) {
    const std::uint64_t off = map_.chunk_offset(c);
    if (!holes_only(extents_within(extents_, off, off + map_.chunk_length(c)))) {
      return false;
    }
    if (result_.resumed) { // an unfinished chunk may hold an older attempt's bytes
      part_->punch_hole(off, map_.chunk_length(c));
    }
    std::lock_guard lock(m_);
    map_.finish(c, std::string(zero_chunk_marker), {});
    return true;
  });
  advanced_.notify_all();
  if (todo.empty()) {
    return;
  }

  const std::uint32_t sector = opt_.sector_size;
  const ReadWay split = opt_.direct_split ? ReadWay::direct : ReadWay::buffered;
  const ReadWay first = opt_.direct_read ? ReadWay::direct : ReadWay::buffered;
  std::size_t next = 0;
  const auto produce = [&](Block &b) {
    if (next == todo.size() || cancelled()) {
      return false;
    }
    const std::size_t c = todo[next++];
    b.chunk = c;
    b.offset = map_.chunk_offset(c);
    b.data = b.data.first(static_cast<std::size_t>(map_.chunk_length(c)));
    read_ += fill_block(src_, b, extents_within(extents_, b.offset, b.offset + b.data.size()),
                        sector, first, split);
    return true;
  };
  const auto write = [&](Block &b) {
    if (result_.resumed) { // an unfinished chunk may hold an older attempt's bytes
      part_->punch_hole(b.offset, b.data.size());
    }
    if (!b.all_zero) {
      result_.bytes_written += part_->write_sparse(b.offset, b.data, opt_.zero_grain);
      part_->start_writeback(b.offset, b.data.size());
    }
    tick('?', 1, done_.load());
  };
  const auto hash = [&](Block &b) {
    b.hash = b.all_zero ? std::string(zero_chunk_marker) : hash_hex(opt_.hash, b.data);
  };
  const auto finished = [&](Block &b) {
    {
      std::lock_guard lock(m_);
      abandon_verification_ = abandon_verification_ || !b.bad.empty();
      map_.finish(b.chunk, std::move(b.hash), std::move(b.bad));
      done_ += b.data_bytes;
    }
    advanced_.notify_all();
  };
  try {
    pipe.run(produce, {write, hash}, finished);
  } catch (...) {
    save_best_effort('?', 1);
    throw;
  }
  tick('?', 1, done_.load(), true);
  if (cancelled() && map_.finished_count() < map_.chunk_count()) {
    throw_cancelled('?', 1);
  }
}

void CopyRun::retry_chunk(std::size_t c) {
  const std::uint64_t off = map_.chunk_offset(c);
  std::vector<std::byte> buf(static_cast<std::size_t>(map_.chunk_length(c)));
  part_->read_exact(off, buf);
  std::string stored;
  std::vector<ByteRange> bad;
  {
    std::lock_guard lock(m_);
    stored = map_.state().chunk_hashes[c];
    bad = map_.bad_in(c);
  }
  // The chunk as written must still be what was read, or patching it
  // would bless whatever is there now.
  const bool intact =
      stored == zero_chunk_marker ? all_zero(buf) : hash_hex(opt_.hash, buf) == stored;
  if (!intact) {
    {
      std::lock_guard lock(m_);
      map_.unfinish(c);
    }
    save('?', 1);
    throw VerifyMismatch(fmt::format("{}: the chunk at offset {} no longer matches what was "
                                     "copied; rerun to copy it again",
                                     partial_, off),
                         off);
  }
  std::vector<ByteRange> still_bad;
  for (const auto &r : bad) {
    // Ranges the source knows it cannot read (a missing PV) stay bad.
    for (const auto &e : extents_within(extents_, r.offset, r.end())) {
      if (e.kind != io::ExtentKind::data) {
        append_range(still_bad, {e.offset, e.length});
        continue;
      }
      const auto part = std::span(buf).subspan(static_cast<std::size_t>(e.offset - off),
                                               static_cast<std::size_t>(e.length));
      const ReadWay way = opt_.direct_split ? ReadWay::direct : ReadWay::buffered;
      read_ += read_tolerant(src_, e.offset, part, opt_.sector_size, still_bad, way, way);
      result_.bytes_written += part_->write_sparse(e.offset, part, opt_.zero_grain);
    }
  }
  std::string hash = all_zero(buf) ? std::string(zero_chunk_marker) : hash_hex(opt_.hash, buf);
  std::lock_guard lock(m_);
  map_.finish(c, std::move(hash), std::move(still_bad));
}

void CopyRun::retry_passes() {
  for (int pass = 1; pass <= opt_.retry_passes; ++pass) {
    std::vector<std::size_t> chunks;
    std::uint64_t total = 0;
    {
      std::lock_guard lock(m_);
      chunks = map_.chunks_with_bad();
      total = map_.bad_bytes();
    }
    if (chunks.empty()) {
      return;
    }
    start_phase(CopyPhase::retrying, 0, total);
    std::uint64_t done = 0;
    for (const std::size_t c : chunks) {
      if (cancelled()) {
        throw_cancelled('-', pass);
      }
      std::uint64_t chunk_bad = 0;
      {
        std::lock_guard lock(m_);
        for (const auto &r : map_.bad_in(c)) {
          chunk_bad += r.length;
        }
      }
      retry_chunk(c);
      done += chunk_bad;
      tick('-', pass, done);
    }
    tick('-', pass, done, true);
    save('-', pass + 1);
  }
}

void CopyRun::finish_and_rename() {
  if (meta_) {
    result_.xattrs_not_copied = apply_metadata(*meta_, part_->fd(), partial_);
  }
  part_->sync();
  result_.allocated_bytes = part_->allocated_bytes();
  part_->close();
  if (::rename(partial_.c_str(), result_.target.c_str()) != 0) {
    throw SysError(result_.target, "rename from " + partial_, errno);
  }
  fsync_parent_dir(result_.target);
  remove_if_exists(state_file_);
  result_.bad_ranges = map_.bad_ranges();
  if (result_.bad_ranges.empty()) {
    remove_if_exists(map_file_);
  } else {
    write_file_atomic(map_file_, map_text('+', 1));
    result_.map_path = map_file_;
  }
  remove_if_exists(state_file_ + ".tmp");
  remove_if_exists(map_file_ + ".tmp");
}

CopyResult CopyRun::run() {
  check_options(opt_);
  if (opt_.metadata_from) {
    meta_ = read_metadata(*opt_.metadata_from);
  }
  open_or_resume();
  Pipeline pipe(opt_.queue_depth, opt_.chunk_size);
  const auto start = now();
  std::optional<VerifyOutcome> early;
  // A target verified where it is held is hashed there once, at the end.
  if (opt_.overlap_verify && !opt_.target_hasher) {
    early = first_pass_verified(pipe);
  } else {
    first_pass(pipe);
    first_pass_end_ = now();
  }
  retry_passes();
  // The copy's own time: with verification trailing it, up to the end of
  // the first pass (what verification adds after that is its time).
  result_.copy_seconds = seconds_since(start, early ? first_pass_end_ : now());
  result_.bytes_read = read_.load();
  verify(pipe, std::move(early));
  finish_and_rename();
  return result_;
}

} // namespace detail

std::string map_path(const std::string &target_path, const CopyOptions &opt) {
  return side_base(target_path, opt) + ".map";
}

std::string state_path(const std::string &target_path, const CopyOptions &opt) {
  return side_base(target_path, opt) + ".partial.state";
}

CopyResult copy_item(io::ByteSource &src, const std::string &target_path, const CopyOptions &opt,
                     ProgressSink *progress) {
  detail::CopyRun run(src, target_path, opt, progress);
  return run.run();
}

} // namespace kvmr::copy
