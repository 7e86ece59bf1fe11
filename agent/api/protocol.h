// SPDX-License-Identifier: Apache-2.0
// The socket API's wire format (docs/api.md): JSON lines, requests, replies, pushes.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sousveil::api {

inline constexpr int kProtocolVersion = 1;
// A request line longer than this is refused ("too_large") and skipped.
inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;
// What a client accepts from the agent: a reply listing every watcher can be large.
inline constexpr std::size_t kMaxReplyBytes = 64 * 1024 * 1024;
inline constexpr std::string_view kDefaultSocketPath = "/run/sousveil/sousveil.sock";

enum class ErrorCode : std::uint8_t {
  BadJson,
  BadRequest,
  UnknownMethod,
  UnsupportedVersion,
  Forbidden,
  TooLarge,
  Unavailable,
  Internal,
};
std::string_view to_string(ErrorCode code);
std::optional<ErrorCode> error_code_from_string(std::string_view s);

enum class Method : std::uint8_t { Hello, Status, Watchers, History, Subscribe, Reload };
std::string_view to_string(Method m);
std::optional<Method> method_from_string(std::string_view s);

// Push topics a client can subscribe to.
inline constexpr std::string_view kTopicWatcher = "watcher";
inline constexpr std::string_view kTopicFinding = "finding";
inline constexpr std::string_view kTopicStatus = "status";
inline constexpr std::string_view kTopicSensor = "sensor";
inline constexpr std::string_view kTopicLost = "lost";
// Not subscribable: sent when a slow client's oldest pushes were dropped.
inline constexpr std::string_view kTopicLagged = "lagged";
const std::vector<std::string>& all_topics();

struct Request {
  nlohmann::json id;  // number or string, echoed back
  Method method = Method::Hello;
  nlohmann::json params = nlohmann::json::object();
};

// Why a line is not a request; id is null when it could not be read.
struct RequestError {
  nlohmann::json id;
  ErrorCode code = ErrorCode::BadRequest;
  std::string message;
};

using ParsedRequest = std::variant<Request, RequestError>;
// Checks the envelope: JSON object, "v", "id", "method", "params" object.
ParsedRequest parse_request(std::string_view line);

// watchers {"state": ...}
enum class WatcherFilter : std::uint8_t { All, Active, Ended };
std::variant<WatcherFilter, RequestError> parse_watchers_params(const Request& request);

// history: what the store is asked for. Times are unix nanoseconds.
struct HistoryQuery {
  std::optional<std::int64_t> since_ns;
  std::optional<std::int64_t> until_ns;
  std::optional<std::string> category;
  std::optional<std::string> rule;
  std::optional<std::uint32_t> pid;
  std::optional<std::string> exe;
  std::optional<std::string> kind;
  std::size_t limit = 1000;
  // Set by the server for a peer with scope "own": only rows this uid may see.
  std::optional<std::uint32_t> visible_uid;
};
inline constexpr std::size_t kHistoryDefaultLimit = 1000;
inline constexpr std::size_t kHistoryMaxLimit = 10000;
std::variant<HistoryQuery, RequestError> parse_history_params(const Request& request);

// subscribe {"topics": [...]}; missing means every topic.
std::variant<std::vector<std::string>, RequestError> parse_subscribe_params(const Request& request);

// RFC 3339 ("2026-11-29T10:00:00Z", "...T10:00:00.5+01:00") to unix nanoseconds.
std::optional<std::int64_t> parse_rfc3339(std::string_view s);

// Lines the agent writes, each ending in '\n'. Invalid UTF-8 in strings is replaced, never thrown.
std::string success_line(const nlohmann::json& id, const nlohmann::json& result);
std::string error_line(const nlohmann::json& id, ErrorCode code, std::string_view message);
std::string push_line(std::string_view topic, const nlohmann::json& data);
std::string request_line(const nlohmann::json& id, std::string_view method, const nlohmann::json& params);
std::string dump_compact(const nlohmann::json& j);

// Splits a byte stream into lines. A line longer than the limit is reported once,
// as soon as it passes the limit, as too_large; the rest of it (up to its '\n') is skipped. Empty lines and a
// trailing '\r' are dropped.
class LineBuffer {
 public:
  struct Line {
    std::string text;
    bool too_large = false;
  };

  explicit LineBuffer(std::size_t max_line = kMaxRequestBytes) : m_max(max_line) {}
  void append(std::string_view data);
  std::optional<Line> next();
  bool has_line() const { return !m_lines.empty(); }
  std::size_t partial_bytes() const { return m_partial.size(); }

 private:
  void finish_line();

  std::size_t m_max;
  std::string m_partial;
  bool m_discarding = false;
  std::deque<Line> m_lines;
};

}  // namespace sousveil::api
