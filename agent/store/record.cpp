// SPDX-License-Identifier: Apache-2.0
#include "store/record.h"

#include <sodium.h>

#include <array>

#include "common/boot_clock.h"

namespace sousveil::store {
namespace {

constexpr std::array<std::string_view, 6> kKindNames = {"finding", "watcher", "sensor", "lost", "agent", "prune"};

void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_text(std::string& out, std::string_view s) {
  const auto n = static_cast<std::uint32_t>(s.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(s);
}

template <class T>
void put_optional(std::string& out, const std::optional<T>& v) {
  out.push_back(v ? '\x01' : '\x00');
  if (v) put_u64(out, static_cast<std::uint64_t>(*v));
}

}  // namespace

std::string_view to_string(RecordKind k) { return kKindNames.at(static_cast<std::size_t>(k)); }

std::optional<RecordKind> parse_record_kind(std::string_view s) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i)
    if (kKindNames[i] == s) return static_cast<RecordKind>(i);
  return std::nullopt;
}

std::string canonical_encoding(std::uint64_t seq, const Record& r) {
  std::string out;
  out.reserve(64 + r.category.size() + r.rule.size() + r.severity.size() + r.exe.size() + r.json.size() + 64);
  put_text(out, "sousveil-history-v1");
  put_u64(out, seq);
  put_u64(out, static_cast<std::uint64_t>(r.time_ns));
  put_text(out, to_string(r.kind));
  put_text(out, r.category);
  put_text(out, r.rule);
  put_text(out, r.severity);
  put_optional(out, r.pid);
  put_optional(out, r.uid);
  put_optional(out, r.target_uid);
  put_text(out, r.exe);
  put_optional(out, r.watcher_id);
  put_text(out, r.json);
  return out;
}

Hash row_hash(const Hash& prev, std::uint64_t seq, const Record& r) {
  static const bool kInit = sodium_init() >= 0;  // picks implementations once; SHA-256 works either way
  (void)kInit;
  std::string enc = canonical_encoding(seq, r);
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, prev.data(), prev.size());
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(enc.data()), enc.size());
  Hash out{};
  crypto_hash_sha256_final(&st, out.data());
  return out;
}

std::string to_hex(const Hash& h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (auto b : h) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::optional<Hash> hash_from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  Hash out{};
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

nlohmann::json to_json(const Row& row) {
  const auto& r = row.record;
  nlohmann::json j = {{"seq", row.seq},
                      {"time", BootClock::format_unix_ns(static_cast<std::uint64_t>(r.time_ns))},
                      {"time_ns", r.time_ns},
                      {"kind", to_string(r.kind)},
                      {"category", r.category},
                      {"rule", r.rule},
                      {"severity", r.severity},
                      {"pid", r.pid ? nlohmann::json(*r.pid) : nlohmann::json()},
                      {"uid", r.uid ? nlohmann::json(*r.uid) : nlohmann::json()},
                      {"exe", r.exe},
                      {"watcher", r.watcher_id ? nlohmann::json(*r.watcher_id) : nlohmann::json()}};
  if (r.target_uid) j["target_uid"] = *r.target_uid;
  // The stored text is the record as written; a row that no longer parses is shown as text.
  auto parsed = nlohmann::json::parse(r.json, nullptr, false);
  j["record"] = parsed.is_discarded() ? nlohmann::json(r.json) : parsed;
  j["prev_hash"] = to_hex(row.prev_hash);
  j["hash"] = to_hex(row.hash);
  return j;
}

}  // namespace sousveil::store
