// SPDX-License-Identifier: Apache-2.0
#include "config/config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace sousveil::config {
namespace {

TEST(Config, EmptyTextIsAllDefaults) {
  auto c = parse_config("", "sousveil.conf");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->sensors.ebpf);
  EXPECT_EQ(c->store.path, "/var/lib/sousveil/history.db");
  EXPECT_EQ(c->api.socket, "/run/sousveil/sousveil.sock");
  EXPECT_EQ(c->api.client_queue, 1024U);
  EXPECT_EQ(c->log_level, spdlog::level::info);
}

TEST(Config, ReadsEveryKnob) {
  auto c = parse_config(R"(
log:
  level: debug
sensors:
  ebpf: false
  snapshot: false
  user: false
  ringbuf_bytes: 16MiB
  ratelimit: 250ms
rules:
  dirs: [/opt/rules, /etc/sousveil/rules.d]
  catalog: [/opt/products]
store:
  enabled: false
  path: /srv/sv/h.db
  max_age: 30d
  max_bytes: 512MiB
  retention_interval: 10m
api:
  enabled: false
  socket: /run/sv.sock
  socket_group: wheel
  audit_group: secops
  client_queue: 64
notify:
  min_severity: high
  storm_window: 5s
  storm_threshold: 7
  expire_timeout: 8s
housekeeping:
  interval: 2s
  fallback_interval: 5s
  exited_grace: 2m
  ended_retention: 1h
  max_ended: 42
)",
                        "x.conf");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->log_level, spdlog::level::debug);
  EXPECT_EQ(c->sensors.ringbuf_bytes, 16U << 20);
  EXPECT_EQ(c->sensors.ratelimit, std::chrono::milliseconds(250));
  ASSERT_EQ(c->rules.dirs.size(), 2U);
  EXPECT_EQ(c->rules.dirs[1], "/etc/sousveil/rules.d");
  EXPECT_FALSE(c->store.enabled);
  EXPECT_EQ(c->store.max_age, std::chrono::hours(24 * 30));
  EXPECT_EQ(c->store.max_bytes, 512ULL << 20);
  EXPECT_EQ(c->store.retention_interval, std::chrono::minutes(10));
  EXPECT_EQ(c->api.socket_group, "wheel");
  EXPECT_EQ(c->api.audit_group, "secops");
  EXPECT_EQ(c->api.client_queue, 64U);
  EXPECT_EQ(c->notify.min_severity, "high");
  EXPECT_EQ(c->notify.storm_threshold, 7U);
  EXPECT_EQ(c->notify.expire_timeout, std::chrono::seconds(8));
  EXPECT_EQ(c->housekeeping.exited_grace, std::chrono::minutes(2));
  EXPECT_EQ(c->housekeeping.max_ended, 42U);

  auto a = to_agent_options(*c);
  EXPECT_FALSE(a.use_bpf);
  EXPECT_FALSE(a.snapshot);
  EXPECT_FALSE(a.use_user_sensors);
  EXPECT_EQ(a.ringbuf_bytes, 16U << 20);
  EXPECT_EQ(a.ratelimit, std::chrono::milliseconds(250));
  EXPECT_EQ(a.rule_sources, c->rules.dirs);
  EXPECT_EQ(a.catalog_sources.size(), 1U);
  EXPECT_EQ(a.housekeeping_interval, std::chrono::seconds(2));
  EXPECT_EQ(a.fallback_interval, std::chrono::seconds(5));
  EXPECT_EQ(a.exited_grace, std::chrono::minutes(2));
  EXPECT_EQ(a.tracker.ended_retention, std::chrono::hours(1));
  EXPECT_EQ(a.tracker.max_ended, 42U);
}

struct BadCase {
  const char* name;
  const char* text;
  const char* expect;  // a substring of the error: position and key path
};

class ConfigRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigRejects, WithPositionAndKeyPath) {
  auto c = parse_config(GetParam().text, "sousveil.conf");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find(GetParam().expect), std::string::npos) << c.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigRejects,
    ::testing::Values(
        BadCase{"UnknownSection", "sensor:\n  ebpf: true\n",
                "sousveil.conf:1:1: sensor: unknown setting (did you mean 'sensors'?)"},
        BadCase{"UnknownKey", "store:\n  max_agee: 3d\n",
                "sousveil.conf:2:3: store.max_agee: unknown setting (did you mean 'max_age'?)"},
        BadCase{"WrongTypeBool", "sensors:\n  ebpf: yes\n",
                "sousveil.conf:2:9: sensors.ebpf: expected true or false, not 'yes'"},
        BadCase{"WrongTypeMap", "store: /var/lib\n", "sousveil.conf:1:8: store: expected a mapping"},
        BadCase{"WrongTypeList", "rules:\n  dirs: /etc\n", "sousveil.conf:2:9: rules.dirs: expected a list"},
        BadCase{"RelativePathInList", "rules:\n  dirs: [/a, b]\n",
                "sousveil.conf:2:14: rules.dirs[1]: expected an absolute path, not 'b'"},
        BadCase{"BadDuration", "store:\n  max_age: forever\n",
                "sousveil.conf:2:12: store.max_age: expected a duration"},
        BadCase{"DurationOutOfRange", "housekeeping:\n  interval: 10ms\n",
                "housekeeping.interval: '10ms' is out of range 100ms..1m"},
        BadCase{"FinerThanCounted", "housekeeping:\n  exited_grace: 1500ms\n",
                "housekeeping.exited_grace: '1500ms' is finer than this setting counts (1s)"},
        BadCase{"SizeOutOfRange", "store:\n  max_bytes: 1KiB\n", "store.max_bytes: '1KiB' is out of range 1MiB"},
        BadCase{"RingbufNotPowerOfTwo", "sensors:\n  ringbuf_bytes: 3MiB\n",
                "sousveil.conf:2:18: sensors.ringbuf_bytes: must be a power of two"},
        BadCase{"IntegerOutOfRange", "api:\n  client_queue: 2\n",
                "sousveil.conf:2:17: api.client_queue: 2 is out of range 16..1000000"},
        BadCase{"NegativeInteger", "api:\n  client_queue: -5\n", "api.client_queue: expected a whole number"},
        BadCase{"BadGroup", "api:\n  socket_group: \"Bad Group\"\n", "api.socket_group: 'Bad Group' is not a valid"},
        BadCase{"SocketPathTooLong",
                "api:\n  socket: /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
                "api.socket: path is 117 bytes; at most 107 fit here"},
        BadCase{"BadLevel", "log:\n  level: loud\n", "log.level: 'loud' is not one of trace, debug"},
        BadCase{"BadSeverity", "notify:\n  min_severity: urgent\n", "notify.min_severity: 'urgent' is not one of"},
        BadCase{"SetTwice", "api:\n  client_queue: 32\n  client_queue: 64\n",
                "sousveil.conf:3:3: api.client_queue: set twice"},
        BadCase{"TopLevelList", "- a\n- b\n", "sousveil.conf:1:1: expected a mapping of sections"},
        BadCase{"NotYaml", "store: [unclosed\n", "sousveil.conf:"}),
    [](const auto& c) { return std::string(c.param.name); });

TEST(Config, ReportsEveryErrorNotJustTheFirst) {
  auto c = parse_config("sensors:\n  ebpf: 1\nstore:\n  max_age: x\n", "f.conf");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("f.conf:2:9: sensors.ebpf"), std::string::npos);
  EXPECT_NE(c.error().message.find("f.conf:4:12: store.max_age"), std::string::npos);
}

TEST(Config, ZeroMeansNoLimitWhereAllowed) {
  auto c = parse_config("store:\n  max_age: 0\n  max_bytes: 0\nsensors:\n  ratelimit: 0\n", "f");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->store.max_age.count(), 0);
  EXPECT_EQ(c->store.max_bytes, 0U);
  EXPECT_EQ(c->sensors.ratelimit.count(), 0);
}

TEST(Config, NullSectionKeepsDefaults) {
  auto c = parse_config("store:\nnotify:\n", "f");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->store.enabled);
}

TEST(Config, CanonicalYamlRoundTrips) {
  auto c = parse_config("store:\n  max_age: 36h\nsensors:\n  ratelimit: 1500ms\nrules:\n  dirs: [/x]\n", "f");
  ASSERT_TRUE(c.ok());
  auto again = parse_config(to_yaml(*c), "round");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << to_yaml(*c);
  EXPECT_EQ(to_yaml(*again), to_yaml(*c));
  EXPECT_TRUE(describe_changes(*c, *again).empty());
}

TEST(Config, DescribesChanges) {
  auto a = parse_config("", "a");
  auto b = parse_config("store:\n  max_age: 30d\nlog:\n  level: warn\n", "b");
  ASSERT_TRUE(a.ok() && b.ok());
  auto changes = describe_changes(*a, *b);
  ASSERT_EQ(changes.size(), 2U);
  EXPECT_EQ(changes[0], "log.level: info -> warn");
  EXPECT_EQ(changes[1], "store.max_age: 90d -> 30d");
}

TEST(Config, MissingFileNamesIt) {
  auto c = load_config("/nonexistent/sousveil.conf");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("/nonexistent/sousveil.conf: cannot read"), std::string::npos);
}

TEST(Config, ShippedExampleIsValid) {
  auto c = load_config(std::string(SOUSVEIL_SOURCE_DIR_FOR_TESTS) + "/scripts/systemd/sousveil.conf");
  ASSERT_TRUE(c.ok()) << c.error().message;
  // The example documents the defaults: loading it changes nothing.
  auto defaults = parse_config("", "defaults");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(describe_changes(*defaults, *c), std::vector<std::string>{});
}

}  // namespace
}  // namespace sousveil::config
