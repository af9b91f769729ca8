// Online backup: a consistent, compacted copy of the data file, written
// while writes go on (LMDB copies one read snapshot), next to a manifest
// (backup.json) with its size, SHA-256 and the offsets it holds. The copy's
// directory is a data directory: `wharfd --data-dir DIR` serves it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "broker/storage/storage_options.h"
#include "wharf/errors.h"

namespace wharf::storage {

class LmdbEnv;

struct BackupPartition {
  std::string topic;
  std::uint32_t partition = 0;
  std::uint64_t log_start = 0;
  std::uint64_t next_offset = 0;  // the copy holds [log_start, next_offset)
};

struct BackupSummary {
  std::string dir;
  std::int64_t created_ms = 0;
  std::uint64_t bytes = 0;  // of data.mdb
  std::string sha256;       // of data.mdb, hex
  std::vector<BackupPartition> partitions;
  std::vector<std::string> queues;
};

inline constexpr const char* kBackupManifest = "backup.json";

// Writes the backup into `dir` (created; an existing one must be empty:
// invalid_argument otherwise). Blocks for as long as copying the data
// takes: run it off the I/O and writer threads. Errors: invalid_argument,
// io_error, and those of the copy.
result<BackupSummary> write_backup(const LmdbEnv& env, const StorageOptions& options, const std::filesystem::path& dir);

// The manifest's text (JSON).
std::string backup_manifest(const BackupSummary& summary);

}  // namespace wharf::storage
