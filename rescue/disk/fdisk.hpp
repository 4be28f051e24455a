// The one wrapper around libfdisk: owning handles for context, table and
// iterator, and a read-only context whose warnings are collected instead of
// printed (the library never talks to the terminal).
#pragma once

#include <libfdisk/libfdisk.h>

#include <memory>
#include <string>
#include <vector>

namespace kvmr::disk::fdisk {

struct ContextDeleter {
  void operator()(fdisk_context *c) const noexcept { fdisk_unref_context(c); }
};
struct TableDeleter {
  void operator()(fdisk_table *t) const noexcept { fdisk_unref_table(t); }
};
struct IterDeleter {
  void operator()(fdisk_iter *i) const noexcept { fdisk_free_iter(i); }
};
struct PartitionDeleter {
  void operator()(fdisk_partition *p) const noexcept { fdisk_unref_partition(p); }
};
struct TypeDeleter {
  void operator()(fdisk_parttype *t) const noexcept { fdisk_unref_parttype(t); }
};
using ContextHandle = std::unique_ptr<fdisk_context, ContextDeleter>;
using TableHandle = std::unique_ptr<fdisk_table, TableDeleter>;
using IterHandle = std::unique_ptr<fdisk_iter, IterDeleter>;
using PartitionHandle = std::unique_ptr<fdisk_partition, PartitionDeleter>;
using TypeHandle = std::unique_ptr<fdisk_parttype, TypeDeleter>;

// libfdisk's "ask" callback for fdisk_set_ask(): keeps info and warnings
// in the std::vector<std::string> DATA points to (may be null), answers
// no question (-EINVAL), so the library never talks to the terminal.
int collect_messages(fdisk_context *cxt, fdisk_ask *ask, void *data);

// A libfdisk context on FD (opened read-only by the caller), assigned
// read-only. Messages libfdisk would print land in *MESSAGES, which must
// outlive the context.
ContextHandle open_read_only(int fd, const std::string &path, std::vector<std::string> *messages);

// All partitions of the context's label. Throws when libfdisk fails.
TableHandle partitions(fdisk_context *cxt, const std::string &path);

} // namespace kvmr::disk::fdisk
