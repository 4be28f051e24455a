// Re-reading and comparing the target (see verify_target.hpp).
#include "rescue/copy/verify_target.hpp"

#include "rescue/copy/tolerant_read.hpp"
#include "rescue/io/file_byte_source.hpp"
#include "rescue/util/error.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace kvmr::copy {

namespace {

// One verification. The pipeline's reading thread runs produce(); its
// two consumer threads run compare() and hash_all(), each on members of
// its own (the hashes of zeros are all made before the threads start, so
// those threads only look them up).
class Verifier {
public:
  Verifier(const std::string &path, const CopyMap &map, const std::atomic<bool> *cancel,
           const RangeHook &before_read, const std::function<void(std::uint64_t)> &on_block,
           bool direct, const ChunkGate &gate)
      : path_(path), map_(map), state_(map.state()), cancel_(cancel), before_read_(before_read),
        on_block_(on_block), direct_(direct), gate_(gate), target_(path), whole_(state_.hash) {
    // The target's extents over the first KNOWN chunks: all of them at
    // once, or, behind a GATE, each run of chunks as the copy finishes it.
    if (!gate_) {
      extents_ = target_.extents(0, target_.size());
      known_ = map_.chunk_count();
    }
  }

  VerifyOutcome run(Pipeline &pipe) {
    if (target_.size() != state_.source_size) {
      throw SysError(path_,
                     "verify: size is " + std::to_string(target_.size()) + ", expected " +
                         std::to_string(state_.source_size),
                     EIO);
    }
    // At most two lengths of chunk occur.
    zeros_hash(state_.chunk_size);
    if (map_.chunk_count() > 0) {
      zeros_hash(map_.chunk_length(map_.chunk_count() - 1));
    }
    pipe.run([this](Block &b) { return produce(b); },
             {[this](Block &b) { compare(b); }, [this](Block &b) { hash_all(b); }}, [](Block &) {});
    return outcome();
  }

private:
  // Whether chunk C is finished; behind a gate, waits for it and reads
  // the extents of the chunks finished meanwhile.
  bool finished_through(std::size_t c) {
    if (c < known_) {
      return true;
    }
    const auto upto = gate_(c);
    if (!upto || *upto <= c) {
      return false;
    }
    const std::uint64_t from = map_.chunk_offset(known_);
    const std::uint64_t to = map_.chunk_offset(*upto - 1) + map_.chunk_length(*upto - 1);
    for (const auto &e : target_.extents(from, to - from)) {
      io::append_extent(extents_, e);
    }
    known_ = *upto;
    return true;
  }

  // The hash of a chunk of zeros of LEN bytes.
  const std::string &zeros_hash(std::uint64_t len) {
    auto it = zero_hashes_.find(len);
    if (it == zero_hashes_.end()) {
      it = zero_hashes_.emplace(len, zeros_hash_hex(state_.hash, len)).first;
    }
    return it->second;
  }

  // Passes over the chunks that are holes in the target from next_ on: a
  // hole is checked here (its recorded hash must be that of zeros) and
  // its zeros reach the whole-content hash through the next block's
  // zeros_before (or after the run, at the end), so it costs no trip
  // through the pipeline. False when there is nothing more to read.
  bool skip_holes() {
    for (;;) {
      if ((cancel_ != nullptr && cancel_->load()) || next_ == map_.chunk_count() ||
          !finished_through(next_)) {
        return false;
      }
      const std::uint64_t off = map_.chunk_offset(next_);
      const std::uint64_t len = map_.chunk_length(next_);
      if (!holes_only(extents_within(extents_, off, off + len))) {
        return true;
      }
      const std::string &expected = state_.chunk_hashes[next_];
      if (expected != zero_chunk_marker && expected != zeros_hash(len)) {
        holes_mismatched_.push_back(next_);
      }
      ++holes_compared_;
      zeros_pending_ += len;
      ++next_;
    }
  }

  bool produce(Block &b) {
    if (!skip_holes()) {
      return false;
    }
    const std::size_t c = next_++;
    b.chunk = c;
    b.offset = map_.chunk_offset(c);
    b.zeros_before = std::exchange(zeros_pending_, 0);
    b.data = b.data.first(static_cast<std::size_t>(map_.chunk_length(c)));
    if (before_read_) {
      before_read_(b.offset, b.data.size());
    }
    auto ext = extents_within(extents_, b.offset, b.offset + b.data.size());
    const ReadWay way = direct_ ? ReadWay::direct : ReadWay::buffered;
    fill_block(target_, b, std::move(ext), 512, way, way);
    if (!b.bad.empty()) {
      throw SysError(path_, "verify: read at offset " + std::to_string(b.bad.front().offset), EIO);
    }
    return true;
  }

  void compare(Block &b) {
    const std::string &expected = state_.chunk_hashes[b.chunk];
    bool same = false;
    if (b.all_zero) {
      same = expected == zero_chunk_marker || expected == zeros_hash(b.data.size());
    } else {
      const std::string actual = hash_hex(state_.hash, b.data);
      same = actual == (expected == zero_chunk_marker ? zeros_hash(b.data.size()) : expected);
    }
    if (!same) {
      out_.mismatched.push_back(b.chunk);
    }
    ++compared_;
    read_ += b.data_bytes;
    if (on_block_) {
      on_block_(read_);
    }
  }

  void hash_all(Block &b) {
    whole_.update_zeros(b.zeros_before);
    if (b.all_zero) {
      whole_.update_zeros(b.data.size());
    } else {
      whole_.update(b.data);
    }
  }

  VerifyOutcome outcome() {
    VerifyOutcome out = std::move(out_);
    out.bytes_read = read_;
    out.complete = compared_ + holes_compared_ == map_.chunk_count();
    out.mismatched.insert(out.mismatched.end(), holes_mismatched_.begin(), holes_mismatched_.end());
    std::sort(out.mismatched.begin(), out.mismatched.end());
    if (out.complete) {
      whole_.update_zeros(zeros_pending_); // the holes at the end
      out.whole_hash = whole_.hex_digest();
    }
    return out;
  }

  const std::string &path_;
  const CopyMap &map_;
  const ResumeState &state_;
  const std::atomic<bool> *cancel_;
  const RangeHook &before_read_;
  const std::function<void(std::uint64_t)> &on_block_;
  bool direct_;
  const ChunkGate &gate_;
  io::FileByteSource target_;
  std::vector<io::Extent> extents_;
  std::size_t known_ = 0;
  std::map<std::uint64_t, std::string> zero_hashes_;
  // The reading thread's.
  std::size_t next_ = 0;
  std::uint64_t zeros_pending_ = 0;
  std::size_t holes_compared_ = 0;
  std::vector<std::size_t> holes_mismatched_;
  // The comparing thread's.
  VerifyOutcome out_;
  std::size_t compared_ = 0;
  std::uint64_t read_ = 0;
  // The hashing thread's.
  Hasher whole_;
};

} // namespace

VerifyOutcome verify_target(const std::string &path, const CopyMap &map, Pipeline &pipe,
                            const std::atomic<bool> *cancel, const RangeHook &before_read,
                            const std::function<void(std::uint64_t)> &on_block, bool direct,
                            const ChunkGate &gate) {
  return Verifier(path, map, cancel, before_read, on_block, direct, gate).run(pipe);
}

} // namespace kvmr::copy
