// The state of one copy_item call and its passes, shared by the files that
// implement them: copy_item.cpp (open or resume, first pass, retries,
// rename) and copy_verify.cpp (verification, trailing the first pass or
// after it). Internal to the copy engine.
#pragma once

#include "rescue/copy/copy_item.hpp"
#include "rescue/copy/copy_map.hpp"
#include "rescue/copy/file_metadata.hpp"
#include "rescue/copy/partial_file.hpp"
#include "rescue/copy/pipeline.hpp"
#include "rescue/copy/verify_target.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kvmr::copy::detail {

inline double seconds_since(Clock::time_point start, Clock::time_point now) {
  return std::chrono::duration<double>(now - start).count();
}

// One copy_item call.
class CopyRun {
public:
  CopyRun(io::ByteSource &src, const std::string &target, const CopyOptions &opt,
          ProgressSink *sink)
      : src_(src), opt_(opt), sink_(sink), partial_(partial_path(target)),
        map_file_(map_path(target, opt)), state_file_(state_path(target, opt)),
        map_(ResumeState{}) {
    result_.target = target;
    result_.hash_kind = opt.hash;
  }

  CopyResult run();

private:
  [[nodiscard]] Clock::time_point now() const { return opt_.clock ? opt_.clock() : Clock::now(); }
  [[nodiscard]] bool cancelled() const { return opt_.cancel != nullptr && opt_.cancel->load(); }

  void open_or_resume();
  void first_pass(Pipeline &pipe);
  std::optional<VerifyOutcome> first_pass_verified(Pipeline &pipe);
  std::optional<std::size_t> finished_through(std::size_t c);
  void end_first_pass(bool abandon_verification);
  void retry_passes();
  void retry_chunk(std::size_t c);
  void verify(Pipeline &pipe, std::optional<VerifyOutcome> early);
  VerifyOutcome verify_now(Pipeline &pipe, const ChunkGate &gate);
  VerifyOutcome verify_where_held();
  void finish_and_rename();

  void save(char phase, int pass);
  std::string map_text(char phase, int pass);
  void save_best_effort(char phase, int pass) noexcept;
  void start_phase(CopyPhase phase, std::uint64_t done, std::uint64_t total);
  void tick(char phase, int pass, std::uint64_t done, bool force = false);
  void emit(Clock::time_point t, std::uint64_t done);
  [[noreturn]] void throw_cancelled(char phase, int pass);

  io::ByteSource &src_;
  const CopyOptions &opt_;
  ProgressSink *sink_;
  std::string partial_, map_file_, state_file_;
  std::optional<FileMetadata> meta_;
  std::optional<PartialFile> part_;
  std::vector<io::Extent> extents_;
  std::mutex m_; // guards map_ and the trailing verification's gate below
  CopyMap map_;
  // Verification trailing the first pass (overlap_verify): the leading
  // chunks finished, whether the first pass is over, whether what was
  // verified is to be dropped (bad sectors met: retries may rewrite).
  std::condition_variable advanced_;
  std::size_t frontier_ = 0;
  bool first_pass_over_ = false;
  bool abandon_verification_ = false;
  std::atomic<bool> verify_reports_{false}; // verification's progress is shown
  std::atomic<std::uint64_t> verified_{0};
  Clock::time_point first_pass_end_{};
  CopyResult result_;
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> read_{0};

  CopyPhase phase_ = CopyPhase::copying;
  std::uint64_t phase_total_ = 0;
  RateMeter meter_;
  Clock::time_point last_save_{}, last_progress_{};
};

} // namespace kvmr::copy::detail
