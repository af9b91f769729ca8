#include "wharf/client.h"

#include <fmt/format.h>

#include "client/client_impl.h"
#include "protocol/names.h"
#include "protocol/frame_builder.h"

namespace wharf {

status unexpected_reply(const wire::Frame& frame) {
  return {errc::internal, fmt::format("unexpected reply type {} from the broker",
                                      static_cast<int>(frame.body_type()))};
}

namespace {

TopicInfo to_topic_info(const wire::TopicInfo& t) {
  TopicInfo info;
  info.name = str(t.name());
  info.partitions = t.partitions();
  info.retention_ms = t.retention_ms();
  info.retention_bytes = t.retention_bytes();
  info.created_ms = t.created_ms();
  if (t.partition_info() != nullptr)
    for (const auto* p : *t.partition_info())
      info.partition_info.push_back({p->partition(), static_cast<std::int64_t>(p->log_start()),
                                     static_cast<std::int64_t>(p->high_watermark()), p->bytes(), p->batches()});
  return info;
}

}  // namespace

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

result<std::unique_ptr<Client>> Client::connect(ClientOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (status st = impl->conn.connect(); !st.ok()) return st;
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

status Client::reconnect() {
  impl_->conn.disconnect();
  return impl_->conn.connect();
}

bool Client::connected() const { return impl_->conn.connected(); }
const ClientOptions& Client::options() const noexcept { return impl_->options; }

BrokerInfo Client::broker_info() const {
  auto [version, durability] = impl_->conn.broker_identity();
  return {std::move(version), std::move(durability), impl_->conn.broker_max_frame()};
}

status Client::create_topic(const TopicSpec& spec) {
  if (status st = protocol::validate_name(spec.name, "topic"); !st.ok()) return st;
  return to_status(impl_->call<bool>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto name = fbb.CreateString(spec.name);
        auto body = wire::CreateCreateTopic(fbb, name, spec.partitions, spec.retention_ms, spec.retention_bytes);
        protocol::finish_frame(fbb, corr, body);
      },
      expect_ok));
}

status Client::delete_topic(std::string_view name) {
  auto r = impl_->call<bool>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto n = fbb.CreateString(name.data(), name.size());
        auto body = wire::CreateDeleteTopic(fbb, n);
        protocol::finish_frame(fbb, corr, body);
      },
      expect_ok);
  {
    MutexLock lock(impl_->metadata_mu);
    impl_->partitions.erase(std::string(name));
  }
  return to_status(r);
}

status Client::alter_topic(std::string_view name, const TopicChanges& changes) {
  if (status st = protocol::validate_name(name, "topic"); !st.ok()) return st;
  auto r = impl_->call<bool>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto n = fbb.CreateString(name.data(), name.size());
        wire::AlterTopicBuilder b(fbb);
        b.add_name(n);
        if (changes.partitions) b.add_partitions(*changes.partitions);
        if (changes.retention_ms) b.add_retention_ms(*changes.retention_ms);
        if (changes.retention_bytes) b.add_retention_bytes(*changes.retention_bytes);
        auto body = b.Finish();
        protocol::finish_frame(fbb, corr, body);
      },
      expect_ok);
  {
    MutexLock lock(impl_->metadata_mu);
    impl_->partitions.erase(std::string(name));
  }
  return to_status(r);
}

result<std::int64_t> Client::delete_records(std::string_view topic, std::uint32_t partition,
                                            std::int64_t before_offset) {
  if (before_offset < 0) return status(errc::invalid_argument, "the offset must be >= 0");
  return impl_->call<std::int64_t>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto t = fbb.CreateString(topic.data(), topic.size());
        auto body = wire::CreateDeleteRecords(fbb, t, partition, static_cast<std::uint64_t>(before_offset));
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<std::int64_t> {
        const auto* ok = f.body_as_DeleteRecordsOk();
        if (ok == nullptr) return unexpected_reply(f);
        return static_cast<std::int64_t>(ok->log_start());
      });
}

result<std::vector<TopicInfo>> Client::list_topics() {
  return impl_->call<std::vector<TopicInfo>>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto body = wire::CreateListTopics(fbb);
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<std::vector<TopicInfo>> {
        const auto* list = f.body_as_TopicList();
        if (list == nullptr) return unexpected_reply(f);
        std::vector<TopicInfo> out;
        if (list->topics() != nullptr)
          for (const auto* t : *list->topics()) out.push_back(to_topic_info(*t));
        return out;
      });
}

result<TopicInfo> Client::describe_topic(std::string_view name) {
  return impl_->call<TopicInfo>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto n = fbb.CreateString(name.data(), name.size());
        auto body = wire::CreateDescribeTopic(fbb, n);
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<TopicInfo> {
        const auto* t = f.body_as_TopicInfo();
        if (t == nullptr) return unexpected_reply(f);
        return to_topic_info(*t);
      });
}

namespace {
result<std::int64_t> list_offset(Client::Impl& impl, std::string_view topic, std::uint32_t partition,
                                 wire::OffsetSpec spec, std::int64_t ts) {
  return impl.call<std::int64_t>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto t = fbb.CreateString(topic.data(), topic.size());
        auto body = wire::CreateListOffsets(fbb, t, partition, spec, ts);
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<std::int64_t> {
        const auto* o = f.body_as_OffsetOk();
        if (o == nullptr) return unexpected_reply(f);
        return static_cast<std::int64_t>(o->offset());
      });
}
}  // namespace

result<std::int64_t> Client::earliest_offset(std::string_view topic, std::uint32_t partition) {
  return list_offset(*impl_, topic, partition, wire::OffsetSpec::Earliest, 0);
}
result<std::int64_t> Client::latest_offset(std::string_view topic, std::uint32_t partition) {
  return list_offset(*impl_, topic, partition, wire::OffsetSpec::Latest, 0);
}
result<std::int64_t> Client::offset_for_time(std::string_view topic, std::uint32_t partition,
                                             std::int64_t timestamp_ms) {
  return list_offset(*impl_, topic, partition, wire::OffsetSpec::Timestamp, timestamp_ms);
}

status Client::commit_offsets(std::string_view group, std::string_view topic,
                              const std::vector<std::pair<std::uint32_t, std::int64_t>>& offsets) {
  return impl_->commit_offsets(group, topic, offsets, -1, {});
}

status Client::Impl::commit_offsets(std::string_view group, std::string_view topic,
                                    const std::vector<std::pair<std::uint32_t, std::int64_t>>& offsets,
                                    std::int32_t generation, std::string_view member_id) {
  for (const auto& [p, o] : offsets)
    if (o < 0) return {errc::invalid_argument, fmt::format("offset {} for partition {} is negative", o, p)};
  return to_status(call<bool>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        std::vector<flatbuffers::Offset<wire::PartitionOffset>> entries;
        for (const auto& [p, o] : offsets)
          entries.push_back(wire::CreatePartitionOffset(fbb, p, static_cast<std::uint64_t>(o)));
        auto g = fbb.CreateString(group.data(), group.size());
        auto t = fbb.CreateString(topic.data(), topic.size());
        auto v = fbb.CreateVector(entries);
        auto m = member_id.empty() ? 0 : fbb.CreateString(member_id.data(), member_id.size());
        auto body = wire::CreateCommitOffsets(fbb, g, t, v, generation, m);
        protocol::finish_frame(fbb, corr, body);
      },
      expect_ok));
}

result<std::vector<CommittedOffset>> Client::committed_offsets(std::string_view group, std::string_view topic) {
  return impl_->call<std::vector<CommittedOffset>>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto g = fbb.CreateString(group.data(), group.size());
        auto t = fbb.CreateString(topic.data(), topic.size());
        auto body = wire::CreateFetchOffsets(fbb, g, t);
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<std::vector<CommittedOffset>> {
        const auto* g = f.body_as_GroupOffsets();
        if (g == nullptr) return unexpected_reply(f);
        std::vector<CommittedOffset> out;
        if (g->offsets() != nullptr)
          for (const auto* o : *g->offsets())
            out.push_back({str(o->topic()), o->partition(), static_cast<std::int64_t>(o->offset()),
                           o->commit_time_ms()});
        return out;
      });
}

result<std::uint32_t> Client::Impl::partition_count(std::string_view topic) {
  {
    MutexLock lock(metadata_mu);
    if (auto it = partitions.find(std::string(topic)); it != partitions.end()) return it->second;
  }
  auto r = call<std::uint32_t>(
      [&](flatbuffers::FlatBufferBuilder& fbb, std::uint64_t corr) {
        auto n = fbb.CreateString(topic.data(), topic.size());
        auto body = wire::CreateDescribeTopic(fbb, n);
        protocol::finish_frame(fbb, corr, body);
      },
      [](const wire::Frame& f) -> result<std::uint32_t> {
        const auto* t = f.body_as_TopicInfo();
        if (t == nullptr) return unexpected_reply(f);
        return t->partitions();
      });
  if (r) {
    MutexLock lock(metadata_mu);
    partitions[std::string(topic)] = *r;
  }
  return r;
}

}  // namespace wharf
