// The reader/writer/hasher pipeline (see pipeline.hpp).
#include "rescue/copy/pipeline.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

namespace kvmr::copy {

namespace {

// A closable FIFO of slot numbers. abort() drops what is queued and makes
// every pop() return nullopt at once; close() lets consumers drain first.
class Channel {
public:
  bool push(std::size_t v) {
    {
      std::lock_guard lock(m_);
      if (closed_) {
        return false;
      }
      q_.push_back(v);
    }
    cv_.notify_one();
    return true;
  }
  std::optional<std::size_t> pop() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return closed_ || !q_.empty(); });
    if (q_.empty() || aborted_) {
      return std::nullopt;
    }
    const std::size_t v = q_.front();
    q_.pop_front();
    return v;
  }
  void close() {
    {
      std::lock_guard lock(m_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  void abort() {
    {
      std::lock_guard lock(m_);
      closed_ = true;
      aborted_ = true;
      q_.clear();
    }
    cv_.notify_all();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::size_t> q_;
  bool closed_ = false;
  bool aborted_ = false;
};

} // namespace

Pipeline::Pipeline(std::size_t depth, std::size_t block_size) : block_size_(block_size) {
  buffers_.reserve(depth);
  for (std::size_t i = 0; i < depth; ++i) {
    buffers_.emplace_back(block_size);
  }
}

void Pipeline::run(const Producer &producer, const std::vector<Consumer> &consumers,
                   const Consumer &finished) {
  const std::size_t depth = buffers_.size();
  std::vector<Block> blocks(depth);
  std::vector<std::atomic<std::size_t>> pending(depth);
  Channel free_slots;
  std::vector<Channel> queues(consumers.size());
  for (std::size_t i = 0; i < depth; ++i) {
    free_slots.push(i);
  }

  std::mutex error_m;
  std::exception_ptr error;
  const auto fail = [&](std::exception_ptr e) {
    {
      std::lock_guard lock(error_m);
      if (!error) {
        error = std::move(e);
      }
    }
    free_slots.abort();
    for (auto &q : queues) {
      q.abort();
    }
  };

  const auto produce = [&] {
    try {
      while (const auto slot = free_slots.pop()) {
        Block &b = blocks[*slot];
        b = Block{};
        b.data = buffers_[*slot].span().first(block_size_);
        if (!producer(b)) {
          break;
        }
        pending[*slot].store(consumers.size());
        for (auto &q : queues) {
          q.push(*slot);
        }
      }
      for (auto &q : queues) {
        q.close();
      }
    } catch (...) {
      fail(std::current_exception());
    }
  };
  const auto consume = [&](std::size_t k) {
    try {
      while (const auto slot = queues[k].pop()) {
        consumers[k](blocks[*slot]);
        if (pending[*slot].fetch_sub(1) == 1) {
          finished(blocks[*slot]);
          free_slots.push(*slot);
        }
      }
    } catch (...) {
      fail(std::current_exception());
    }
  };

  {
    std::vector<std::jthread> threads;
    threads.emplace_back(produce);
    for (std::size_t k = 1; k < consumers.size(); ++k) {
      threads.emplace_back(consume, k);
    }
    consume(0);
  }
  if (error) {
    std::rethrow_exception(error);
  }
}

} // namespace kvmr::copy
