// xxh3-128 through libxxhash, SHA-256 through OpenSSL's EVP interface
// (see hash.hpp).
#include "rescue/copy/hash.hpp"

#include "rescue/util/error.hpp"

#include <openssl/evp.h>
#include <xxhash.h>
#ifdef KVMR_XXH_DISPATCH
#define XXH_DISPATCH_DISABLE_REPLACE
#include <xxh_x86dispatch.h>
#endif

#include <algorithm>
#include <array>
#include <stdexcept>

namespace kvmr::copy {

#ifdef KVMR_XXH_DISPATCH
const bool xxh3_simd_dispatch = true;
#else
const bool xxh3_simd_dispatch = false;
#endif

namespace {

XXH_errorcode xxh3_update(XXH3_state_t *state, const void *data, std::size_t len) {
#ifdef KVMR_XXH_DISPATCH
  return XXH3_128bits_update_dispatch(state, data, len);
#else
  return XXH3_128bits_update(state, data, len);
#endif
}

struct XxhStateDeleter {
  void operator()(XXH3_state_t *s) const noexcept { XXH3_freeState(s); }
};
struct EvpDeleter {
  void operator()(EVP_MD_CTX *c) const noexcept { EVP_MD_CTX_free(c); }
};

std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char b : bytes) {
    out.push_back(digits[b >> 4U]);
    out.push_back(digits[b & 0xFU]);
  }
  return out;
}

// A shared block of zeros for update_zeros().
std::span<const std::byte> zero_block() {
  static const std::array<std::byte, 64 * 1024> zeros{};
  return zeros;
}

} // namespace

std::string_view hash_kind_name(HashKind kind) {
  return kind == HashKind::sha256 ? "sha256" : "xxh3-128";
}

HashKind parse_hash_kind(std::string_view name) {
  if (name == "sha256") {
    return HashKind::sha256;
  }
  if (name == "xxh3-128") {
    return HashKind::xxh3_128;
  }
  throw InputError("unknown hash \"" + std::string(name) + "\" (xxh3-128 or sha256)");
}

struct Hasher::Impl {
  std::unique_ptr<XXH3_state_t, XxhStateDeleter> xxh;
  std::unique_ptr<EVP_MD_CTX, EvpDeleter> evp;
};

Hasher::Hasher(HashKind kind) : kind_(kind), impl_(std::make_unique<Impl>()) {
  if (kind_ == HashKind::xxh3_128) {
    impl_->xxh.reset(XXH3_createState());
    if (!impl_->xxh) {
      throw std::bad_alloc();
    }
  } else {
    impl_->evp.reset(EVP_MD_CTX_new());
    if (!impl_->evp) {
      throw std::bad_alloc();
    }
  }
  reset();
}

Hasher::Hasher(Hasher &&) noexcept = default;
Hasher &Hasher::operator=(Hasher &&) noexcept = default;
Hasher::~Hasher() = default;

void Hasher::reset() {
  if (impl_->xxh) {
    XXH3_128bits_reset(impl_->xxh.get());
  } else if (EVP_DigestInit_ex(impl_->evp.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL: SHA-256 init failed");
  }
}

void Hasher::update(std::span<const std::byte> bytes) {
  if (bytes.empty()) {
    return;
  }
  if (impl_->xxh) {
    if (xxh3_update(impl_->xxh.get(), bytes.data(), bytes.size()) != XXH_OK) {
      throw std::runtime_error("libxxhash: XXH3 update failed");
    }
  } else if (EVP_DigestUpdate(impl_->evp.get(), bytes.data(), bytes.size()) != 1) {
    throw std::runtime_error("OpenSSL: SHA-256 update failed");
  }
}

void Hasher::update_zeros(std::uint64_t count) {
  const auto zeros = zero_block();
  while (count > 0) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(count, zeros.size()));
    update(zeros.first(n));
    count -= n;
  }
}

std::string Hasher::hex_digest() {
  if (impl_->xxh) {
    const XXH128_hash_t h = XXH3_128bits_digest(impl_->xxh.get());
    XXH128_canonical_t c{};
    XXH128_canonicalFromHash(&c, h);
    reset();
    return to_hex(c.digest);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->evp.get(), md.data(), &len) != 1) {
    throw std::runtime_error("OpenSSL: SHA-256 final failed");
  }
  reset();
  return to_hex(std::span(md).first(len));
}

std::string hash_hex(HashKind kind, std::span<const std::byte> bytes) {
  Hasher h(kind);
  h.update(bytes);
  return h.hex_digest();
}

std::string zeros_hash_hex(HashKind kind, std::uint64_t count) {
  Hasher h(kind);
  h.update_zeros(count);
  return h.hex_digest();
}

} // namespace kvmr::copy
