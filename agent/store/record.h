// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sousveil::store {

// What a history row records. The names are stored and served as text.
enum class RecordKind : std::uint8_t {
  Finding,  // a rule fired on an event
  Watcher,  // a watcher appeared or ended
  Sensor,   // a sensor's health changed
  Lost,     // events (or store records) of a category were lost
  Agent,    // the agent started or stopped
  Prune,    // retention removed the oldest rows
};
std::string_view to_string(RecordKind k);
std::optional<RecordKind> parse_record_kind(std::string_view s);

// One record as the caller hands it to the store: the indexed columns plus the
// full JSON (the same shapes the CLI prints and the socket API serves).
struct Record {
  RecordKind kind = RecordKind::Finding;
  std::int64_t time_ns = 0;  // unix nanoseconds
  std::string category;
  std::string rule;
  std::string severity;
  std::optional<std::uint32_t> pid;
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> target_uid;  // the other process, for process_access
  std::string exe;
  std::optional<std::uint64_t> watcher_id;
  std::string json;  // compact JSON object
};

using Hash = std::array<std::uint8_t, 32>;

// A committed row: the record, its place in the chain and its hashes.
struct Row {
  std::uint64_t seq = 0;
  Record record;
  Hash prev_hash{};
  Hash hash{};
};

// The canonical encoding hashed for a row (docs/store.md): fixed field order,
// big-endian integers, u32-length-prefixed strings, a presence byte before
// each optional integer.
std::string canonical_encoding(std::uint64_t seq, const Record& r);
// SHA-256(prev_hash || canonical_encoding(seq, r)).
Hash row_hash(const Hash& prev, std::uint64_t seq, const Record& r);

std::string to_hex(const Hash& h);
std::optional<Hash> hash_from_hex(std::string_view hex);

// The history row served over the socket API and printed by `sousveil history --json`:
// {"seq","time","kind","category","rule","severity","pid","uid","exe","watcher","record":{...},
//  "prev_hash","hash"}.
nlohmann::json to_json(const Row& row);

}  // namespace sousveil::store
