// Content hashes of the copy engine: xxh3-128 (the default, printed as
// `xxh128sum` prints it) and SHA-256 (printed as `sha256sum` prints it).
// A Hasher is fed bytes in order and gives a lowercase hex digest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace kvmr::copy {

enum class HashKind { xxh3_128, sha256 };

// "xxh3-128" / "sha256"; parse_hash_kind throws InputError on other names.
std::string_view hash_kind_name(HashKind kind);
HashKind parse_hash_kind(std::string_view name);

class Hasher {
public:
  explicit Hasher(HashKind kind);
  Hasher(const Hasher &) = delete;
  Hasher &operator=(const Hasher &) = delete;
  Hasher(Hasher &&) noexcept;
  Hasher &operator=(Hasher &&) noexcept;
  ~Hasher();

  [[nodiscard]] HashKind kind() const { return kind_; }
  void update(std::span<const std::byte> bytes);
  // Feeds COUNT zero bytes (a hole reads as zeros).
  void update_zeros(std::uint64_t count);
  // The digest of everything fed since construction or the last reset;
  // the hasher then starts over.
  [[nodiscard]] std::string hex_digest();
  void reset();

private:
  struct Impl;
  HashKind kind_;
  std::unique_ptr<Impl> impl_;
};

// The hex digest of BYTES, or of COUNT zero bytes.
std::string hash_hex(HashKind kind, std::span<const std::byte> bytes);
std::string zeros_hash_hex(HashKind kind, std::uint64_t count);

// True when xxh3 goes through libxxhash's x86 dispatcher (AVX2/AVX-512
// when the CPU has them) rather than its SSE2-only entry points.
extern const bool xxh3_simd_dispatch;

} // namespace kvmr::copy
