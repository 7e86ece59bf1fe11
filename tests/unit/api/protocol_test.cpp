// SPDX-License-Identifier: Apache-2.0
#include "api/protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace sousveil::api {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

struct ParseCase {
  std::string name;
  std::string line;
  std::optional<ErrorCode> code;  // nullopt: a valid request
  std::string message_has;        // the field or word the error must name
  json id = nullptr;              // the id the error must echo
};

void PrintTo(const ParseCase& c, std::ostream* os) { *os << c.name; }

class ParseRequestTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseRequestTest, AcceptsOrNamesTheProblem) {
  const auto& c = GetParam();
  auto parsed = parse_request(c.line);
  if (!c.code) {
    ASSERT_TRUE(std::holds_alternative<Request>(parsed)) << std::get<RequestError>(parsed).message;
    return;
  }
  ASSERT_TRUE(std::holds_alternative<RequestError>(parsed)) << "accepted: " << c.line;
  const auto& e = std::get<RequestError>(parsed);
  EXPECT_EQ(to_string(e.code), to_string(*c.code)) << e.message;
  EXPECT_THAT(e.message, HasSubstr(c.message_has));
  EXPECT_EQ(e.id, c.id);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseRequestTest,
    ::testing::Values(
        ParseCase{"Hello", R"({"v":1,"id":1,"method":"hello"})", std::nullopt, "", nullptr},
        ParseCase{"StringIdWithParams", R"({"v":1,"id":"a","method":"watchers","params":{"state":"active"}})",
                  std::nullopt, "", nullptr},
        ParseCase{"NullParams", R"({"v":1,"id":1,"method":"status","params":null})", std::nullopt, "", nullptr},
        ParseCase{"NotJson", R"({"v":1,"id":1,)", ErrorCode::BadJson, "not valid JSON", nullptr},
        ParseCase{"BinaryGarbage", std::string("\x01\xff\xfe{", 4), ErrorCode::BadJson, "not valid JSON", nullptr},
        ParseCase{"Array", R"([1,2])", ErrorCode::BadRequest, "JSON object", nullptr},
        ParseCase{"MissingId", R"({"v":1,"method":"hello"})", ErrorCode::BadRequest, "\"id\"", nullptr},
        ParseCase{"ObjectId", R"({"v":1,"id":{},"method":"hello"})", ErrorCode::BadRequest, "\"id\"", nullptr},
        ParseCase{"MissingVersion", R"({"id":3,"method":"hello"})", ErrorCode::BadRequest, "\"v\"", 3},
        ParseCase{"StringVersion", R"({"v":"1","id":3,"method":"hello"})", ErrorCode::BadRequest, "\"v\"", 3},
        ParseCase{"FutureVersion", R"({"v":2,"id":"x","method":"hello"})", ErrorCode::UnsupportedVersion,
                  "version 2", "x"},
        ParseCase{"MissingMethod", R"({"v":1,"id":4})", ErrorCode::BadRequest, "\"method\"", 4},
        ParseCase{"NumberMethod", R"({"v":1,"id":4,"method":7})", ErrorCode::BadRequest, "\"method\"", 4},
        ParseCase{"UnknownMethod", R"({"v":1,"id":5,"method":"shutdown"})", ErrorCode::UnknownMethod,
                  "\"shutdown\"", 5},
        ParseCase{"ArrayParams", R"({"v":1,"id":6,"method":"status","params":[]})", ErrorCode::BadRequest,
                  "\"params\"", 6}),
    [](const auto& param_info) { return param_info.param.name; });

Request given_request(Method m, json params) {
  Request r;
  r.id = 9;
  r.method = m;
  r.params = std::move(params);
  return r;
}

TEST(ErrorCodes, RoundTripEveryCode) {
  for (auto c : {ErrorCode::BadJson, ErrorCode::BadRequest, ErrorCode::UnknownMethod, ErrorCode::UnsupportedVersion,
                 ErrorCode::Forbidden, ErrorCode::TooLarge, ErrorCode::Unavailable, ErrorCode::Internal}) {
    auto back = error_code_from_string(to_string(c));
    ASSERT_TRUE(back.has_value()) << to_string(c);
    EXPECT_EQ(*back, c);
  }
  EXPECT_EQ(to_string(ErrorCode::TooLarge), "too_large");
  EXPECT_FALSE(error_code_from_string("nope"));
}

TEST(WatchersParams, StateIsCheckedAndNamed) {
  EXPECT_EQ(std::get<WatcherFilter>(parse_watchers_params(given_request(Method::Watchers, json::object()))),
            WatcherFilter::All);
  EXPECT_EQ(std::get<WatcherFilter>(parse_watchers_params(given_request(Method::Watchers, {{"state", "ended"}}))),
            WatcherFilter::Ended);
  auto bad = parse_watchers_params(given_request(Method::Watchers, {{"state", "gone"}}));
  ASSERT_TRUE(std::holds_alternative<RequestError>(bad));
  EXPECT_THAT(std::get<RequestError>(bad).message, HasSubstr("params.state"));
  EXPECT_EQ(std::get<RequestError>(bad).id, 9);
  auto typo = parse_watchers_params(given_request(Method::Watchers, {{"sate", "active"}}));
  ASSERT_TRUE(std::holds_alternative<RequestError>(typo));
  EXPECT_THAT(std::get<RequestError>(typo).message, HasSubstr("params.sate"));
}

TEST(HistoryParams, ParsesEveryField) {
  auto q = parse_history_params(given_request(
      Method::History, {{"since", "2026-11-29T10:00:00Z"}, {"until", 1800000000}, {"category", "keystrokes"},
                        {"rule", "input-grab"}, {"pid", 42}, {"exe", "/usr/bin/x"}, {"kind", "device_open"},
                        {"limit", 10}}));
  ASSERT_TRUE(std::holds_alternative<HistoryQuery>(q)) << std::get<RequestError>(q).message;
  const auto& h = std::get<HistoryQuery>(q);
  EXPECT_EQ(*h.since_ns, 1795946400LL * 1'000'000'000);
  EXPECT_EQ(*h.until_ns, 1800000000LL * 1'000'000'000);
  EXPECT_EQ(*h.category, "keystrokes");
  EXPECT_EQ(*h.rule, "input-grab");
  EXPECT_EQ(*h.pid, 42U);
  EXPECT_EQ(*h.exe, "/usr/bin/x");
  EXPECT_EQ(*h.kind, "device_open");
  EXPECT_EQ(h.limit, 10U);
  auto d = parse_history_params(given_request(Method::History, json::object()));
  EXPECT_EQ(std::get<HistoryQuery>(d).limit, kHistoryDefaultLimit);
}

struct BadHistoryCase {
  std::string name;
  json params;
  std::string field;
};
void PrintTo(const BadHistoryCase& c, std::ostream* os) { *os << c.name; }
class BadHistoryTest : public ::testing::TestWithParam<BadHistoryCase> {};

TEST_P(BadHistoryTest, NamesTheField) {
  auto q = parse_history_params(given_request(Method::History, GetParam().params));
  ASSERT_TRUE(std::holds_alternative<RequestError>(q));
  EXPECT_EQ(std::get<RequestError>(q).code, ErrorCode::BadRequest);
  EXPECT_THAT(std::get<RequestError>(q).message, HasSubstr(GetParam().field));
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadHistoryTest,
    ::testing::Values(BadHistoryCase{"SinceNotATime", {{"since", "yesterday"}}, "params.since"},
                      BadHistoryCase{"UntilBool", {{"until", true}}, "params.until"},
                      BadHistoryCase{"LimitTooBig", {{"limit", 10001}}, "params.limit"},
                      BadHistoryCase{"LimitZero", {{"limit", 0}}, "params.limit"},
                      BadHistoryCase{"NegativePid", {{"pid", -1}}, "params.pid"},
                      BadHistoryCase{"EmptyRule", {{"rule", ""}}, "params.rule"},
                      BadHistoryCase{"CategoryNumber", {{"category", 3}}, "params.category"},
                      BadHistoryCase{"Unknown", {{"sinse", 1}}, "params.sinse"},
                      BadHistoryCase{"Reversed", {{"since", 20}, {"until", 10}}, "params.since"}),
    [](const auto& param_info) { return param_info.param.name; });

TEST(SubscribeParams, DefaultsToAllAndChecksNames) {
  EXPECT_EQ(std::get<std::vector<std::string>>(parse_subscribe_params(given_request(Method::Subscribe, {}))),
            all_topics());
  auto two = parse_subscribe_params(given_request(Method::Subscribe, {{"topics", {"finding", "lost", "finding"}}}));
  EXPECT_EQ(std::get<std::vector<std::string>>(two), (std::vector<std::string>{"finding", "lost"}));
  auto bad = parse_subscribe_params(given_request(Method::Subscribe, {{"topics", {"finding", "keys"}}}));
  ASSERT_TRUE(std::holds_alternative<RequestError>(bad));
  EXPECT_THAT(std::get<RequestError>(bad).message, HasSubstr("params.topics[1]"));
  auto empty = parse_subscribe_params(given_request(Method::Subscribe, {{"topics", json::array()}}));
  ASSERT_TRUE(std::holds_alternative<RequestError>(empty));
  auto lagged = parse_subscribe_params(given_request(Method::Subscribe, {{"topics", {"lagged"}}}));
  ASSERT_TRUE(std::holds_alternative<RequestError>(lagged));
}

TEST(Rfc3339, ParsesZonesAndFractionsRefusesNonsense) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:01.5Z"), 1'500'000'000);
  EXPECT_EQ(parse_rfc3339("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(parse_rfc3339("2000-02-29T00:00:00Z"), 951782400LL * 1'000'000'000);
  EXPECT_FALSE(parse_rfc3339("2001-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-29T10:00:00"));
  EXPECT_FALSE(parse_rfc3339("2026-13-01T10:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-29T10:00:00Zjunk"));
  EXPECT_FALSE(parse_rfc3339(""));
}

TEST(Builders, LinesAreOneObjectEach) {
  auto ok = json::parse(success_line(7, {{"a", 1}}));
  EXPECT_EQ(ok["v"], 1);
  EXPECT_EQ(ok["id"], 7);
  EXPECT_EQ(ok["ok"], true);
  EXPECT_EQ(ok["result"]["a"], 1);
  std::string err = error_line(nullptr, ErrorCode::Forbidden, "reload is for root");
  EXPECT_EQ(err.back(), '\n');
  EXPECT_EQ(err.find('\n'), err.size() - 1);
  auto e = json::parse(err);
  EXPECT_TRUE(e["id"].is_null());
  EXPECT_EQ(e["error"]["code"], "forbidden");
  auto p = json::parse(push_line("lagged", {{"dropped", 3}}));
  EXPECT_EQ(p["event"], "lagged");
  EXPECT_EQ(p["data"]["dropped"], 3);
  // Invalid UTF-8 from the outside world never throws.
  std::string bad_utf8 = push_line("finding", {{"exe", std::string("\xff\xfe")}});
  EXPECT_TRUE(json::accept(bad_utf8));
}

TEST(LineBuffer, SplitsJoinsAndSkipsOversizedLines) {
  LineBuffer b(10);
  b.append("ab");
  EXPECT_FALSE(b.next());
  b.append("c\nde\r\n\nf");
  EXPECT_EQ(b.next()->text, "abc");
  EXPECT_EQ(b.next()->text, "de");  // \r dropped, empty line skipped
  EXPECT_FALSE(b.next());
  b.append("ghijklmnopqrstuvwxyz");  // f + 20 > 10
  auto big = b.next();
  ASSERT_TRUE(big);
  EXPECT_TRUE(big->too_large);
  EXPECT_FALSE(b.next());  // reported once, the rest skipped
  b.append("more of it\nok\n");
  EXPECT_EQ(b.next()->text, "ok");
  EXPECT_FALSE(b.next());
  EXPECT_EQ(b.partial_bytes(), 0U);
}

TEST(LineBuffer, ByteByByteGivesTheSameLines) {
  LineBuffer b;
  const std::string stream = "{\"a\":1}\n{\"b\":2}\n";
  for (char c : stream) b.append(std::string_view(&c, 1));
  EXPECT_EQ(b.next()->text, "{\"a\":1}");
  EXPECT_EQ(b.next()->text, "{\"b\":2}");
}

TEST(LineBuffer, ExactlyTheLimitIsAccepted) {
  LineBuffer b(4);
  b.append("abcd\nabcde\n");
  EXPECT_EQ(b.next()->text, "abcd");
  EXPECT_TRUE(b.next()->too_large);
}

}  // namespace
}  // namespace sousveil::api
