#include "broker/storage/backup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>

#include "broker/storage/lmdb_env.h"
#include "broker/storage/log_store.h"
#include "broker/storage/queue_store.h"
#include "broker/storage/txn.h"

namespace wharf::storage {
namespace {

result<std::string> sha256_of(const std::filesystem::path& file, std::uint64_t* bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return status(errc::io_error, fmt::format("cannot read {}", file.string()));
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return status(errc::internal, "SHA-256 is not available");
  std::vector<char> buf(1u << 20);
  *bytes = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    EVP_DigestUpdate(ctx.get(), buf.data(), n);
    *bytes += n;
  }
  if (in.bad()) return status(errc::io_error, fmt::format("reading {} failed", file.string()));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  std::string hex;
  for (unsigned i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

// What the copy holds, read from the copy itself.
status read_contents(const StorageOptions& options, const std::filesystem::path& dir, BackupSummary* out) {
  StorageOptions copy_options = options;
  copy_options.dir = dir;
  copy_options.faults = nullptr;
  copy_options.compact_on_start = false;
  {
    auto env = LmdbEnv::open(copy_options);
    if (!env) return env.error();
    auto txn = ReadTxn::begin(**env);
    if (!txn) return txn.error();
    LogStore logs(**env);
    auto topics = logs.load_topics(*txn);
    if (!topics) return topics.error();
    for (const auto& t : *topics)
      for (std::uint32_t p = 0; p < t.partitions; ++p) {
        auto rec = logs.get_partition(*txn, t.id, p);
        if (!rec) return rec.error();
        if (*rec) out->partitions.push_back({t.name, p, (*rec)->log_start, (*rec)->next_offset});
      }
    QueueStore queues(**env);
    auto qs = queues.load_queues(*txn);
    if (!qs) return qs.error();
    for (const auto& q : *qs) out->queues.push_back(q.name);
  }
  // Opening it made LMDB's reader table; a data directory gets its own.
  std::error_code ignored;
  std::filesystem::remove(dir / "data.mdb-lock", ignored);
  return {};
}

status write_file_synced(const std::filesystem::path& file, const std::string& text) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return status(errc::io_error, fmt::format("cannot write {}", file.string()));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return status(errc::io_error, fmt::format("writing {} failed", file.string()));
  return {};
}

result<BackupSummary> write_backup_files(const LmdbEnv& env, const StorageOptions& options,
                                         const std::filesystem::path& dir) {
  std::error_code ec;
  BackupSummary s;
  s.dir = std::filesystem::absolute(dir, ec).string();
  s.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  if (status st = env.copy_compacted(dir / "data.mdb"); !st.ok()) return st;
  if (status st = read_contents(options, dir, &s); !st.ok()) return st;
  auto sum = sha256_of(dir / "data.mdb", &s.bytes);
  if (!sum) return sum.error();
  s.sha256 = std::move(*sum);
  if (status st = write_file_synced(dir / kBackupManifest, backup_manifest(s)); !st.ok()) return st;
  if (status st = sync_directory(dir); !st.ok()) return st;
  return s;
}

}  // namespace

result<BackupSummary> write_backup(const LmdbEnv& env, const StorageOptions& options, const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec))
    return status(errc::invalid_argument, fmt::format("backup directory {} is not empty", dir.string()));
  std::filesystem::create_directories(dir, ec);
  if (ec) return status(errc::io_error, fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  auto summary = write_backup_files(env, options, dir);
  if (!summary) {
    // The directory was empty: a failed backup leaves nothing that could
    // pass for one, and the directory ready for another try.
    std::error_code ignored;
    for (const char* name : {"data.mdb", "data.mdb-lock", kBackupManifest}) std::filesystem::remove(dir / name, ignored);
  }
  return summary;
}

std::string backup_manifest(const BackupSummary& s) {
  // Topic and queue names are limited to [A-Za-z0-9._-] (protocol/names.h):
  // nothing in them needs escaping.
  std::string out = fmt::format("{{\n  \"created_ms\": {},\n  \"data_file\": \"data.mdb\",\n  \"bytes\": {},\n"
                                "  \"sha256\": \"{}\",\n  \"partitions\": [",
                                s.created_ms, s.bytes, s.sha256);
  for (std::size_t i = 0; i < s.partitions.size(); ++i) {
    const auto& p = s.partitions[i];
    out += fmt::format("{}\n    {{\"topic\": \"{}\", \"partition\": {}, \"log_start\": {}, \"next_offset\": {}}}",
                       i == 0 ? "" : ",", p.topic, p.partition, p.log_start, p.next_offset);
  }
  out += s.partitions.empty() ? "],\n  \"queues\": [" : "\n  ],\n  \"queues\": [";
  for (std::size_t i = 0; i < s.queues.size(); ++i) out += fmt::format("{}\"{}\"", i == 0 ? "" : ", ", s.queues[i]);
  out += "]\n}\n";
  return out;
}

}  // namespace wharf::storage
