// GNU ddrescue's mapfile format, so `ddrescuelog` and `ddrescue` itself can
// read what the copy engine recorded: a current position/status/pass line,
// then `pos size status` lines covering the whole source in order.
// Statuses: '?' non-tried, '*' non-trimmed, '/' non-scraped, '-' bad
// sector(s), '+' finished. See the GNU ddrescue manual, "Mapfile structure".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvmr::copy {

enum class MapStatus : char {
  non_tried = '?',
  non_trimmed = '*',
  non_scraped = '/',
  bad = '-',
  finished = '+',
};

struct MapBlock {
  std::uint64_t pos = 0;
  std::uint64_t size = 0;
  MapStatus status = MapStatus::non_tried;
  friend bool operator==(const MapBlock &, const MapBlock &) = default;
};

struct Mapfile {
  std::uint64_t current_pos = 0;
  // ddrescue's phase letter: '?' copying, '*' trimming, '/' scraping,
  // '-' retrying bad sectors, 'F' filling, 'G' generating, '+' finished.
  char current_status = '?';
  int current_pass = 1;
  std::vector<MapBlock> blocks; // adjacent, in order, from 0
  friend bool operator==(const Mapfile &, const Mapfile &) = default;
};

// Appends B to BLOCKS, merging it into the last block when they touch and
// share a status. Empty blocks are dropped.
void append_block(std::vector<MapBlock> &blocks, const MapBlock &b);

// The text ddrescue writes: comment lines (COMMENT's lines, each prefixed
// with "# "), the status line, the block lines.
std::string format_mapfile(const Mapfile &map, std::string_view comment = {});

// Parses mapfile text; throws InputError naming WHERE and the line on
// malformed input (unknown status, gaps or overlaps between blocks).
Mapfile parse_mapfile(std::string_view text, const std::string &where);

// Reads PATH; nullopt when it does not exist. Throws SysError/InputError.
std::optional<Mapfile> load_mapfile(const std::string &path);

// Bytes with status S in MAP.
std::uint64_t bytes_with_status(const Mapfile &map, MapStatus s);

} // namespace kvmr::copy
