// Reading integers of a given byte order out of on-disk structures, and a
// few byte-buffer helpers. Every accessor checks its bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kvmr {

using Bytes = std::span<const std::byte>;

std::uint16_t le16(Bytes b, std::size_t off);
std::uint32_t le32(Bytes b, std::size_t off);
std::uint64_t le64(Bytes b, std::size_t off);
std::uint16_t be16(Bytes b, std::size_t off);
std::uint32_t be32(Bytes b, std::size_t off);
std::uint64_t be64(Bytes b, std::size_t off);

// True when every byte of B is zero (an empty span counts as zero).
bool all_zero(Bytes b) noexcept;

// True when B holds NEEDLE starting at OFF.
bool has_at(Bytes b, std::size_t off, std::string_view needle) noexcept;

// True when B holds NEEDLE anywhere.
bool contains(Bytes b, std::string_view needle) noexcept;

// The bytes as text, stopping at the first NUL.
std::string c_string(Bytes b);

} // namespace kvmr
