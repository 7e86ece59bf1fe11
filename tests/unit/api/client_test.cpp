// SPDX-License-Identifier: Apache-2.0
#include "api/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

namespace sousveil::api {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;
using namespace std::chrono_literals;

// The agent's end of a socketpair, written by hand.
class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    m_client.emplace(Client::adopt(fds[0]));
    m_agent = fds[1];
  }
  void TearDown() override {
    if (m_agent >= 0) ::close(m_agent);
  }
  void agent_writes(std::string_view s) { ASSERT_EQ(::write(m_agent, s.data(), s.size()), (ssize_t)s.size()); }
  json agent_reads_request() {
    std::string line;
    char c;
    while (::read(m_agent, &c, 1) == 1 && c != '\n') line += c;
    return json::parse(line);
  }

  std::optional<Client> m_client;
  int m_agent = -1;
};

TEST_F(ClientTest, RequestGetsItsReplyAndKeepsPushesThatCameFirst) {
  std::thread agent([&] {
    json req = agent_reads_request();
    EXPECT_EQ(req["method"], "status");
    EXPECT_EQ(req["v"], 1);
    // A push, a stale reply, then the reply split across writes.
    agent_writes(push_line("finding", {{"rule", "r1"}}));
    agent_writes(success_line(999, "stale"));
    std::string reply = success_line(req["id"], {{"mode", "ebpf"}});
    agent_writes(reply.substr(0, 5));
    std::this_thread::sleep_for(5ms);
    agent_writes(reply.substr(5));
  });
  auto r = m_client->request("status");
  agent.join();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)["mode"], "ebpf");
  EXPECT_TRUE(m_client->has_buffered_push());
  auto p = m_client->next_push(0ms);
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->has_value());
  EXPECT_EQ((*p)->event, "finding");
  EXPECT_EQ((*p)->data["rule"], "r1");
}

TEST_F(ClientTest, ErrorReplyKeepsItsCode) {
  std::thread agent([&] {
    json req = agent_reads_request();
    agent_writes(error_line(req["id"], ErrorCode::Forbidden, "reload is for root only"));
  });
  auto r = m_client->request("reload");
  agent.join();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("forbidden: reload is for root only"));
  EXPECT_EQ(m_client->last_error_code(), "forbidden");
}

TEST_F(ClientTest, RequestTimesOutWhenNobodyAnswers) {
  auto start = std::chrono::steady_clock::now();
  auto r = m_client->request("status", json::object(), 50ms);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("did not answer"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(ClientTest, PushesSplitAnywhereAreReassembled) {
  std::string stream;
  for (int i = 0; i < 50; ++i) stream += push_line("status", {{"n", i}});
  // Odd-sized chunks so lines are cut in the middle; many small writes fill the
  // socket's buffer, so the agent writes while the client reads.
  std::thread agent([&] {
    for (std::size_t at = 0; at < stream.size(); at += 7) agent_writes(stream.substr(at, 7));
  });
  for (int i = 0; i < 50; ++i) {
    auto p = m_client->next_push(1s);
    ASSERT_TRUE(p) << p.error().message;
    ASSERT_TRUE(p->has_value()) << "push " << i;
    EXPECT_EQ((*p)->data["n"], i);
  }
  agent.join();
  auto none = m_client->next_push(0ms);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST_F(ClientTest, PollableFdWakesForAPush) {
  pollfd pfd{m_client->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 0), 0);
  agent_writes(push_line("lost", {{"category", "device"}, {"count", 3}}));
  ASSERT_EQ(::poll(&pfd, 1, 1000), 1);
  auto p = m_client->next_push(0ms);
  ASSERT_TRUE(p && p->has_value());
  EXPECT_EQ((*p)->data["count"], 3);
}

TEST_F(ClientTest, ClosedConnectionIsAnErrorNotATimeout) {
  ::close(m_agent);
  m_agent = -1;
  auto p = m_client->next_push(1s);
  ASSERT_FALSE(p);
  EXPECT_THAT(p.error().message, HasSubstr("closed"));
  EXPECT_FALSE(m_client->connected());
}

TEST_F(ClientTest, UnsolicitedErrorEndsTheWait) {
  agent_writes(error_line(nullptr, ErrorCode::Unavailable, "too many clients (64)"));
  auto p = m_client->next_push(1s);
  ASSERT_FALSE(p);
  EXPECT_THAT(p.error().message, HasSubstr("too many clients"));
}

TEST(ClientConnect, SaysWhyItCannotConnect) {
  ConnectFailure why{};
  auto r = Client::connect("/nonexistent-dir/sousveil.sock", &why);
  ASSERT_FALSE(r);
  EXPECT_EQ(why, ConnectFailure::NoSocket);
  EXPECT_THAT(r.error().message, HasSubstr("not running"));

  // A socket file nobody listens on: stale.
  auto dir = std::filesystem::temp_directory_path() / ("sv-client-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / "stale.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  auto stale = Client::connect(path, &why);
  ASSERT_FALSE(stale);
  EXPECT_EQ(why, ConnectFailure::NotRunning);
  EXPECT_THAT(stale.error().message, HasSubstr("nobody answers"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sousveil::api
