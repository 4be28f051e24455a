// Verification of a copy (see copy_item.hpp, verify_target.hpp): trailing
// the first pass on a thread of its own, gated by the chunks it has
// finished, or after the first pass and the retries.
#include "rescue/copy/copy_error.hpp"
#include "rescue/copy/copy_run.hpp"

#include <fmt/format.h>

#include <exception>
#include <thread>

namespace kvmr::copy::detail {

std::optional<std::size_t> CopyRun::finished_through(std::size_t c) {
  std::unique_lock lock(m_);
  for (;;) {
    if (abandon_verification_ || cancelled()) {
      return std::nullopt;
    }
    while (frontier_ < map_.chunk_count() && map_.finished(frontier_)) {
      ++frontier_;
    }
    if (frontier_ > c) {
      return frontier_;
    }
    if (first_pass_over_) {
      return std::nullopt;
    }
    advanced_.wait(lock);
  }
}

void CopyRun::end_first_pass(bool abandon_verification) {
  {
    std::lock_guard lock(m_);
    first_pass_over_ = true;
    abandon_verification_ = abandon_verification_ || abandon_verification;
  }
  advanced_.notify_all();
}

std::optional<VerifyOutcome> CopyRun::first_pass_verified(Pipeline &pipe) {
  // Its own buffers: both pipelines run at once.
  Pipeline trailing(opt_.queue_depth, opt_.chunk_size);
  std::optional<VerifyOutcome> outcome;
  std::exception_ptr failed;
  std::thread verifier([&] {
    try {
      outcome = verify_now(trailing, [this](std::size_t c) { return finished_through(c); });
    } catch (...) {
      failed = std::current_exception();
    }
  });
  try {
    first_pass(pipe);
  } catch (...) {
    end_first_pass(true);
    verifier.join();
    throw; // the first pass's error (or Cancelled) is the one to report
  }
  end_first_pass(false);
  first_pass_end_ = now();
  // What is left of verification is shown as its own phase.
  start_phase(CopyPhase::verifying, verified_.load(), result_.data_bytes);
  verify_reports_ = true;
  verifier.join();
  verify_reports_ = false;
  if (failed) {
    std::rethrow_exception(failed);
  }
  std::lock_guard lock(m_);
  if (abandon_verification_) {
    return std::nullopt; // unreadable sectors: verified again after the retries
  }
  return outcome;
}

VerifyOutcome CopyRun::verify_where_held() {
  // What was written must have reached the host that holds it.
  part_->sync();
  const TargetHashes got = opt_.target_hasher(partial_, opt_.chunk_size, map_.chunk_count());
  if (got.chunks.size() != map_.chunk_count()) {
    throw VerifyMismatch(fmt::format("{}: verification got {} chunk hashes from the target's "
                                     "host, {} expected; rerun to verify again",
                                     partial_, got.chunks.size(), map_.chunk_count()),
                         0);
  }
  VerifyOutcome out;
  out.complete = true;
  out.whole_hash = got.whole;
  out.bytes_read = result_.data_bytes;
  for (std::size_t c = 0; c < map_.chunk_count(); ++c) {
    const std::string &want = map_.state().chunk_hashes[c];
    const std::string expected =
        want == zero_chunk_marker ? zeros_hash_hex(opt_.hash, map_.chunk_length(c)) : want;
    if (got.chunks[c] != expected) {
      out.mismatched.push_back(c);
    }
  }
  return out;
}

VerifyOutcome CopyRun::verify_now(Pipeline &pipe, const ChunkGate &gate) {
  if (opt_.target_hasher) {
    return verify_where_held();
  }
  return verify_target(
      partial_, map_, pipe, opt_.cancel,
      [&](std::uint64_t offset, std::uint64_t length) {
        part_->write_back_and_drop(offset, length);
      },
      [&](std::uint64_t done) {
        verified_ = done;
        if (!gate || verify_reports_.load()) {
          done_ = done;
          tick('+', 1, done);
        }
      },
      opt_.direct_verify, gate);
}

void CopyRun::verify(Pipeline &pipe, std::optional<VerifyOutcome> early) {
  // Worth saving only when the copy took long enough to be worth resuming.
  if (now() - last_save_ >= opt_.save_interval) {
    save('+', 1);
  }
  VerifyOutcome outcome;
  if (early && early->complete) {
    // Verified while it was copied; the time it added is after the copy.
    outcome = std::move(*early);
    result_.verify_seconds = seconds_since(first_pass_end_, now());
  } else {
    // No fsync first: each chunk is written back (and dropped from the
    // page cache) just before it is read back, so the device writes the
    // later chunks while the earlier ones are verified.
    // finish_and_rename()'s fsync makes it durable. (Flushing the device's
    // cache beside verification was slower: a flush holds up the reads
    // behind it.)
    start_phase(CopyPhase::verifying, 0, result_.data_bytes);
    const auto start = now();
    outcome = verify_now(pipe, {});
    result_.verify_seconds = seconds_since(start, now());
  }
  if (!outcome.complete) {
    throw_cancelled('+', 1); // all is copied: the rerun only verifies
  }
  phase_total_ = outcome.bytes_read;
  tick('+', 1, outcome.bytes_read, true);
  if (!outcome.mismatched.empty()) {
    const std::uint64_t first = map_.chunk_offset(outcome.mismatched.front());
    {
      std::lock_guard lock(m_);
      for (const auto c : outcome.mismatched) {
        map_.unfinish(c);
      }
    }
    save('?', 1);
    throw VerifyMismatch(fmt::format("{}: verification failed: {} chunk(s) read back differ from "
                                     "the source, the first at offset {}; rerun to copy them "
                                     "again",
                                     partial_, outcome.mismatched.size(), first),
                         first);
  }
  result_.hash = outcome.whole_hash;
}

} // namespace kvmr::copy::detail
