// SPDX-License-Identifier: Apache-2.0
// The socket API for real: a server on a temp socket path with a test backend,
// and a real sousveild; clients as root and as unprivileged users.
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/agent_adapter.h"
#include "api/client.h"
#include "api/server.h"
#include "api/store_history.h"
#include "harness.h"

namespace sousveil::api {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr std::uint32_t kNobody = 65534;

json given_watcher(std::uint64_t id, std::string category, std::uint32_t uid, std::string state = "active") {
  return {{"id", id},
          {"state", state},
          {"rule", "test." + category},
          {"title", "test watcher"},
          {"category", category},
          {"severity", "high"},
          {"process", {{"pid", 1000 + id}, {"uid", uid}, {"comm", "w" + std::to_string(id)}}}};
}

// Stands in for the agent: fixed watchers and history rows, counts reloads.
class TestBackend final : public Backend {
 public:
  bool with_store = true;
  std::atomic<int> reloads{0};
  std::optional<HistoryQuery> last_query;
  std::function<Result<json>(const HistoryQuery&)> history_fn;  // e.g. the real store

  json status() override { return {{"version", "test"}, {"mode", "ebpf"}, {"rules", {{"loaded", 3}}}}; }
  std::vector<json> watchers(WatcherFilter filter) override {
    std::vector<json> all{given_watcher(1, "keystrokes", 0),      // system-wide: everyone sees it
                          given_watcher(2, "terminal", 0),        // root's own business
                          given_watcher(3, "terminal", kNobody),  // nobody's
                          given_watcher(4, "injection", 1234, "ended")};
    std::vector<json> out;
    for (auto& w : all) {
      bool ended = w["state"] == "ended";
      if ((filter == WatcherFilter::Active && ended) || (filter == WatcherFilter::Ended && !ended)) continue;
      out.push_back(w);
    }
    return out;
  }
  std::optional<Result<json>> history(const HistoryQuery& q) override {
    if (!with_store) return std::nullopt;
    last_query = q;
    if (history_fn) return history_fn(q);
    json rows = json::array();
    for (auto& w : watchers(WatcherFilter::All)) rows.push_back(w);
    return Result<json>(json{{"rows", rows}, {"truncated", false}});
  }
  Result<json> reload() override {
    ++reloads;
    return json{{"rules_loaded", 3}};
  }
};

std::vector<std::uint64_t> ids_of(const json& list) {
  std::vector<std::uint64_t> ids;
  for (const auto& w : list) ids.push_back(w["id"].get<std::uint64_t>());
  return ids;
}

// A directory others may traverse (a client as nobody must reach the socket).
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sv-api-XXXXXX").string();
    m_path = ::mkdtemp(tmpl.data());
    ::chmod(m_path.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

// A Server on its own io_context thread.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: clients run as other users and the socket changes group";
    m_options.socket_path = m_dir.path() / "run" / "sousveil.sock";  // "run" does not exist yet
    m_options.group = "nogroup";  // nobody's primary group: lets the unprivileged client connect
    m_options.audit_group = "users";
  }
  void TearDown() override { stop(); }

  // Runs fn on the server's thread and waits for it.
  template <class F>
  auto on_server(F fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto done = task.get_future();
    boost::asio::post(m_io, [&task] { task(); });
    return done.get();
  }
  void start() {
    m_server = std::make_unique<Server>(m_io, m_options, m_backend);
    auto r = m_server->start();
    ASSERT_TRUE(r) << r.error().message;
    m_work.emplace(m_io.get_executor());
    m_thread = std::thread([this] { m_io.run(); });
  }
  void stop() {
    if (!m_server) return;
    if (m_thread.joinable())
      on_server([this] { m_server->stop(); });
    else
      m_server->stop();
    m_work.reset();
    m_io.stop();
    if (m_thread.joinable()) m_thread.join();
    m_server.reset();
  }
  Client connect() {
    auto c = Client::connect(m_options.socket_path);
    EXPECT_TRUE(c) << c.error().message;
    return std::move(c.value());
  }

  TempDir m_dir;
  ServerOptions m_options;
  TestBackend m_backend;
  boost::asio::io_context m_io{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> m_work;
  std::unique_ptr<Server> m_server;
  std::thread m_thread;
};

// Runs fn in a child process as uid/gid (with extra groups), returns what it wrote to its pipe.
std::string run_as(std::uint32_t uid, std::uint32_t gid, std::vector<gid_t> groups,
                   const std::function<std::string()>& fn) {
  int p[2];
  if (::pipe(p) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    std::string out;
    if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
      out = std::string("cannot drop privileges: ") + std::strerror(errno);
    else
      out = fn();
    (void)!::write(p[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(p[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(p[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

gid_t gid_of(const char* name) {
  group* g = ::getgrnam(name);
  return g ? g->gr_gid : static_cast<gid_t>(-1);
}

TEST_F(ServerTest, AnswersEveryMethodForRoot) {
  start();
  auto c = connect();
  auto hello = c.request("hello");
  ASSERT_TRUE(hello) << hello.error().message;
  EXPECT_EQ((*hello)["server"], "sousveild");
  EXPECT_EQ((*hello)["protocol"], 1);
  EXPECT_EQ((*hello)["peer"]["uid"], 0);
  EXPECT_EQ((*hello)["peer"]["user"], "root");
  EXPECT_EQ((*hello)["peer"]["scope"], "all");

  auto status = c.request("status");
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ((*status)["rules"]["loaded"], 3);

  auto all = c.request("watchers");
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(ids_of((*all)["watchers"]), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  auto ended = c.request("watchers", {{"state", "ended"}});
  ASSERT_TRUE(ended);
  EXPECT_EQ(ids_of((*ended)["watchers"]), (std::vector<std::uint64_t>{4}));

  auto history = c.request("history", {{"since", "2026-11-29T10:00:00Z"}, {"category", "terminal"}, {"limit", 5}});
  ASSERT_TRUE(history) << history.error().message;
  EXPECT_EQ((*history)["rows"].size(), 4U);
  auto q = on_server([this] { return m_backend.last_query; });
  ASSERT_TRUE(q);
  EXPECT_EQ(*q->category, "terminal");
  EXPECT_EQ(q->limit, 5U);
  EXPECT_FALSE(q->visible_uid) << "root's query must not be narrowed";

  auto sub = c.subscribe({"finding", "lost"});
  ASSERT_TRUE(sub) << sub.error().message;
  EXPECT_EQ(*sub, (std::vector<std::string>{"finding", "lost"}));

  auto reload = c.request("reload");
  ASSERT_TRUE(reload) << reload.error().message;
  EXPECT_EQ((*reload)["rules_loaded"], 3);
  EXPECT_EQ(m_backend.reloads.load(), 1);
}

TEST_F(ServerTest, HistoryWithoutAStoreIsUnavailable) {
  m_backend.with_store = false;
  start();
  auto c = connect();
  auto r = c.request("history");
  ASSERT_FALSE(r);
  EXPECT_EQ(c.last_error_code(), "unavailable");
  EXPECT_THAT(r.error().message, HasSubstr("without a store"));
}

store::Record given_record(std::string category, std::uint32_t uid, std::uint32_t pid) {
  store::Record r;
  r.kind = store::RecordKind::Finding;
  r.time_ns = 1'795'946'400'000'000'000 + pid;
  r.category = category;
  r.rule = "test." + category;
  r.severity = "high";
  r.pid = pid;
  r.uid = uid;
  r.exe = "/usr/bin/test";
  r.json = json{{"rule", r.rule}, {"category", category}, {"process", {{"pid", pid}, {"uid", uid}}}}.dump();
  return r;
}

TEST_F(ServerTest, HistoryComesFromTheRealStoreNarrowedByScope) {
  store::StoreOptions so;
  so.path = m_dir.path() / "db" / "history.db";
  so.synchronous_full = false;
  auto st = store::Store::open(so);
  ASSERT_TRUE(st) << st.error().message;
  auto& db = **st;
  ASSERT_TRUE(db.append(given_record("terminal", 0, 101)));        // root's
  ASSERT_TRUE(db.append(given_record("terminal", kNobody, 102)));  // nobody's
  ASSERT_TRUE(db.append(given_record("keystrokes", 0, 103)));      // system-wide
  db.flush();
  m_backend.history_fn = [&db](const HistoryQuery& q) { return store_history(db, q); };
  start();

  auto c = connect();
  auto all = c.request("history", {{"since", "2026-11-29T00:00:00Z"}});
  ASSERT_TRUE(all) << all.error().message;
  std::vector<std::uint32_t> pids;
  for (const auto& row : (*all)["rows"]) pids.push_back(row["process"]["pid"].get<std::uint32_t>());
  std::sort(pids.begin(), pids.end());
  EXPECT_EQ(pids, (std::vector<std::uint32_t>{101, 102, 103}));
  EXPECT_EQ((*all)["truncated"], false);
  auto limited = c.request("history", {{"limit", 1}});
  ASSERT_TRUE(limited);
  EXPECT_EQ((*limited)["rows"].size(), 1U);
  EXPECT_EQ((*limited)["truncated"], true);
  auto bad_kind = c.request("history", {{"kind", "device_open"}});
  ASSERT_FALSE(bad_kind);
  EXPECT_THAT(bad_kind.error().message, HasSubstr("params.kind"));

  const fs::path path = m_options.socket_path;
  std::string report = run_as(kNobody, gid_of("nogroup"), {}, [&] {
    auto nc = Client::connect(path);
    if (!nc) return std::string("connect: ") + nc.error().message;
    auto h = nc->request("history");
    if (!h) return h.error().message;
    json p = json::array();
    for (const auto& row : (*h)["rows"]) p.push_back(row["process"]["pid"]);
    return p.dump();
  });
  json got = json::parse(report, nullptr, false);
  ASSERT_TRUE(got.is_array()) << report;
  std::vector<std::uint32_t> seen = got.get<std::vector<std::uint32_t>>();
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::uint32_t>{102, 103})) << "its own row and the system-wide one, not root's";
  stop();
  db.close();
}

TEST_F(ServerTest, SocketIsMode0660InItsGroupAndTheDirectoryIsMade) {
  start();
  struct stat st {};
  ASSERT_EQ(::stat(m_options.socket_path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660U);
  group* g = ::getgrnam("nogroup");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(st.st_gid, g->gr_gid);
  struct stat dir {};
  ASSERT_EQ(::stat(m_options.socket_path.parent_path().c_str(), &dir), 0);
  EXPECT_EQ(dir.st_mode & 07777, 0755U);
  stop();
  EXPECT_FALSE(fs::exists(m_options.socket_path)) << "the socket is removed at stop";
}

TEST_F(ServerTest, StaleSocketIsReplacedLiveOneIsNotStolen) {
  // A stale socket: bound, then its owner gone.
  fs::create_directories(m_options.socket_path.parent_path());
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, m_options.socket_path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  ASSERT_TRUE(fs::exists(m_options.socket_path));
  start();
  auto c = connect();
  ASSERT_TRUE(c.request("hello"));

  // A second server on the same path refuses and leaves the first one serving.
  boost::asio::io_context other_io;
  TestBackend other_backend;
  Server second(other_io, m_options, other_backend);
  auto r = second.start();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("another agent is serving"));
  second.stop();
  EXPECT_TRUE(c.request("hello")) << "the live server must keep its socket";
  auto fresh = connect();
  EXPECT_TRUE(fresh.request("hello"));

  // Something that is not a socket is never removed.
  auto not_socket = m_dir.path() / "plain-file";
  std::fclose(std::fopen(not_socket.c_str(), "w"));
  ServerOptions o = m_options;
  o.socket_path = not_socket;
  Server third(other_io, o, other_backend);
  auto r3 = third.start();
  ASSERT_FALSE(r3);
  EXPECT_THAT(r3.error().message, HasSubstr("not a socket"));
  EXPECT_TRUE(fs::exists(not_socket));
}

// Raw lines, as a buggy or hostile client would send them.
class RawConnection {
 public:
  explicit RawConnection(const fs::path& path) {
    m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    m_ok = ::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { ::close(m_fd); }
  bool ok() const { return m_ok; }
  bool send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(m_fd, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // The next line, within timeout.
  std::optional<json> read_line(std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (auto nl = m_buf.find('\n'); nl != std::string::npos) {
        std::string line = m_buf.substr(0, nl);
        m_buf.erase(0, nl + 1);
        return json::parse(line);
      }
      pollfd pfd{m_fd, POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char buf[4096];
      ssize_t n = ::read(m_fd, buf, sizeof(buf));
      if (n <= 0) return std::nullopt;
      m_buf.append(buf, static_cast<std::size_t>(n));
    }
  }
  int fd() const { return m_fd; }

 private:
  int m_fd = -1;
  bool m_ok = false;
  std::string m_buf;
};

TEST_F(ServerTest, MalformedLinesAreAnsweredAndTheConnectionLivesOn) {
  start();
  RawConnection raw(m_options.socket_path);
  ASSERT_TRUE(raw.ok());
  struct Case {
    std::string line;
    std::string code;
  };
  std::string garbage(300, '\0');
  for (std::size_t i = 0; i < garbage.size(); ++i)
    garbage[i] = static_cast<char>((i * 37 + 11) % 256 == '\n' ? 1 : (i * 37 + 11) % 256);
  std::vector<Case> cases{
      {"{\"v\":1,\"id\":1,", "bad_json"},
      {garbage, "bad_json"},
      {std::string(100 * 1024, 'x'), "too_large"},
      {R"({"v":1,"id":2,"method":"nope"})", "unknown_method"},
      {R"({"v":9,"id":3,"method":"hello"})", "unsupported_version"},
      {R"({"v":1,"id":4,"method":"watchers","params":{"state":1}})", "bad_request"},
  };
  for (const auto& c : cases) {
    ASSERT_TRUE(raw.send(c.line + "\n"));
    auto reply = raw.read_line();
    ASSERT_TRUE(reply) << "no answer to a " << c.code << " line";
    EXPECT_EQ((*reply)["ok"], false);
    EXPECT_EQ((*reply)["error"]["code"], c.code) << reply->dump();
    EXPECT_FALSE((*reply)["error"]["message"].get<std::string>().empty());
  }
  ASSERT_TRUE(raw.send(R"({"v":1,"id":"still-here","method":"hello"})"
                       "\n"));
  auto hello = raw.read_line();
  ASSERT_TRUE(hello);
  EXPECT_EQ((*hello)["id"], "still-here");
  EXPECT_EQ((*hello)["ok"], true);
}

TEST_F(ServerTest, TooManyClientsAreToldSo) {
  m_options.max_clients = 2;
  start();
  auto a = connect();
  auto b = connect();
  ASSERT_TRUE(a.request("hello"));
  ASSERT_TRUE(b.request("hello"));
  auto c = connect();
  auto r = c.request("hello", json::object(), 2s);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("too many clients"));
  EXPECT_TRUE(a.request("hello")) << "the others carry on";
}

TEST_F(ServerTest, AnUnprivilegedUserSeesOwnAndSystemWideAndCannotReload) {
  start();
  const fs::path path = m_options.socket_path;
  const gid_t nogroup = gid_of("nogroup");
  // The child subscribes, says "ready" through a second pipe, and reports what reached it.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  std::thread publisher([&] {
    char c;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    on_server([&] {
      m_server->publish("finding", given_watcher(10, "terminal", 0));        // root's: hidden
      m_server->publish("finding", given_watcher(11, "terminal", kNobody));  // nobody's own
      m_server->publish("finding", given_watcher(12, "camera", 0));          // system-wide
      json target = given_watcher(13, "process-memory", 0);
      target["target"] = {{"pid", 5}, {"uid", kNobody}};  // reaching into nobody's process
      m_server->publish("finding", target);
      m_server->publish("lost", {{"category", "device"}, {"count", 1}});  // the end marker
    });
  });
  std::string report = run_as(kNobody, nogroup, {}, [&] {
    json out;
    auto c = Client::connect(path);
    if (!c) return std::string("connect: ") + c.error().message;
    out["hello"] = c->request("hello").value();
    out["watchers"] = ids_of(c->request("watchers").value()["watchers"]);
    auto h = c->request("history");
    out["history"] = h ? json(ids_of((*h)["rows"])) : json(h.error().message);
    auto reload = c->request("reload");
    out["reload_error"] = reload ? "allowed!" : c->last_error_code();
    if (!c->subscribe({"finding", "lost"})) return std::string("subscribe failed");
    (void)!::write(ready[1], "r", 1);
    json seen = json::array();
    for (;;) {
      auto p = c->next_push(5s);
      if (!p || !p->has_value()) break;
      if ((*p)->event == "lost") break;
      seen.push_back((*p)->data["id"]);
    }
    out["pushes"] = seen;
    return out.dump();
  });
  publisher.join();
  ::close(ready[0]);
  ::close(ready[1]);
  json r = json::parse(report, nullptr, false);
  ASSERT_FALSE(r.is_discarded()) << report;
  EXPECT_EQ(r["hello"]["peer"]["uid"], kNobody);
  EXPECT_EQ(r["hello"]["peer"]["scope"], "own");
  EXPECT_EQ(r["watchers"], json({1, 3})) << "keystrokes (everyone's) and its own, not root's terminal or 1234's";
  EXPECT_EQ(r["history"], json({1, 3}));
  auto q = on_server([this] { return m_backend.last_query; });
  ASSERT_TRUE(q && q->visible_uid);
  EXPECT_EQ(*q->visible_uid, kNobody);
  EXPECT_EQ(r["reload_error"], "forbidden");
  EXPECT_EQ(m_backend.reloads.load(), 0);
  EXPECT_EQ(r["pushes"], json({11, 12, 13}));
}

TEST_F(ServerTest, AMemberOfTheAuditGroupSeesEverything) {
  start();
  const fs::path path = m_options.socket_path;
  std::string report = run_as(kNobody, gid_of("nogroup"), {gid_of("users")}, [&] {
    auto c = Client::connect(path);
    if (!c) return std::string("connect: ") + c.error().message;
    json out;
    out["hello"] = c->request("hello").value();
    out["watchers"] = ids_of(c->request("watchers").value()["watchers"]);
    auto reload = c->request("reload");
    out["reload_error"] = reload ? "allowed!" : c->last_error_code();
    return out.dump();
  });
  json r = json::parse(report, nullptr, false);
  ASSERT_FALSE(r.is_discarded()) << report;
  EXPECT_EQ(r["hello"]["peer"]["scope"], "all");
  EXPECT_EQ(r["watchers"], json({1, 2, 3, 4}));
  EXPECT_EQ(r["reload_error"], "forbidden") << "seeing all is not root: reload stays root's";
}

TEST_F(ServerTest, AUserOutsideTheSocketGroupIsDeniedClearly) {
  start();
  const fs::path path = m_options.socket_path;
  // uid nobody with a group that is not the socket's: the kernel refuses the connect.
  std::string report = run_as(kNobody, gid_of("users"), {}, [&] {
    ConnectFailure why{};
    auto c = Client::connect(path, &why);
    return c ? std::string("connected!") : c.error().message;
  });
  EXPECT_THAT(report, HasSubstr("permission denied"));
}

TEST_F(ServerTest, ASlowClientNeverBlocksTheAgentAndIsToldItLagged) {
  m_options.max_queue = 256;
  start();
  auto slow = connect();
  ASSERT_TRUE(slow.subscribe({"finding"}));
  auto quick = connect();
  ASSERT_TRUE(quick.subscribe({"status"}));  // subscribed, but not to findings

  constexpr int kPushes = 20000;
  json payload = given_watcher(1, "keystrokes", 0);
  payload["explanation"] = std::string(200, 'e');  // a realistic size: fills the socket buffer quickly
  std::atomic<bool> done{false};
  std::thread flood([&] {
    for (int batch = 0; batch < kPushes / 500; ++batch)
      on_server([&] {
        for (int i = 0; i < 500; ++i) {
          payload["id"] = batch * 500 + i;
          m_server->publish("finding", payload);
        }
      });
    done = true;
  });
  // The other client is answered promptly while the flood goes on.
  std::vector<double> ms;
  while (!done) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = quick.request("hello", json::object(), 2s);
    ASSERT_TRUE(r) << r.error().message;
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  flood.join();
  auto stats = on_server([this] { return m_server->stats(); });
  EXPECT_GT(stats.dropped, 0U);
  EXPECT_EQ(stats.clients, 2U) << "the slow client is behind, not gone";
  std::printf(
      "[ bench    ] slow client: %d pushes, %llu dropped for it; other client answered %zu times, worst %.2f ms\n",
      kPushes, static_cast<unsigned long long>(stats.dropped), ms.size(),
      ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end()));

  // Now the slow one reads: every push either arrived or was counted in "lagged".
  std::uint64_t received = 0, dropped = 0, lagged_pushes = 0;
  std::int64_t last_id = -1;
  bool in_order = true;
  for (;;) {
    auto p = slow.next_push(500ms);
    ASSERT_TRUE(p) << p.error().message;
    if (!p->has_value()) break;
    if ((*p)->event == "lagged") {
      ++lagged_pushes;
      dropped += (*p)->data["dropped"].get<std::uint64_t>();
    } else {
      ++received;
      auto id = (*p)->data["id"].get<std::int64_t>();
      in_order = in_order && id > last_id;
      last_id = id;
    }
  }
  EXPECT_GE(lagged_pushes, 1U);
  EXPECT_EQ(received + dropped, static_cast<std::uint64_t>(kPushes));
  EXPECT_EQ(dropped, stats.dropped);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(last_id, kPushes - 1) << "the newest pushes are kept, the oldest dropped";
}

TEST_F(ServerTest, AClientThatStopsReadingIsDroppedAfterTheStallTimeout) {
  m_options.max_queue = 64;
  m_options.stall_timeout = 300ms;
  start();
  auto stuck = connect();
  ASSERT_TRUE(stuck.subscribe({"finding"}));
  json payload = given_watcher(1, "keystrokes", 0);
  payload["explanation"] = std::string(1000, 'e');
  // In rounds, so the socket's buffer fills and output stays waiting.
  ServerStats stats;
  for (int round = 0; round < 100; ++round) {
    stats = on_server([&] {
      for (int i = 0; i < 64; ++i) m_server->publish("finding", payload);
      return m_server->stats();
    });
    if (stats.clients == 0) break;
    std::this_thread::sleep_for(30ms);
  }
  EXPECT_EQ(stats.clients, 0U);
  EXPECT_GE(stats.disconnected, 1U);
}

TEST_F(ServerTest, StatusIsPushedEachIntervalToItsSubscribersOnly) {
  m_options.status_interval = 100ms;
  start();
  auto watching = connect();
  ASSERT_TRUE(watching.subscribe({"status"}));
  auto other = connect();
  ASSERT_TRUE(other.subscribe({"lost"}));
  int statuses = 0;
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (statuses < 2 && std::chrono::steady_clock::now() < deadline) {
    auto p = watching.next_push(1s);
    ASSERT_TRUE(p) << p.error().message;
    if (p->has_value() && (*p)->event == "status") {
      EXPECT_EQ((*p)->data["mode"], "ebpf");
      ++statuses;
    }
  }
  EXPECT_EQ(statuses, 2);
  auto none = other.next_push(0ms);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value()) << "a client not subscribed to status gets none";
}

TEST_F(ServerTest, ApiSinkPublishesSensorChangesLossesAndWatchers) {
  start();
  ApiSink sink;
  sink.set_server(m_server.get());
  auto c = connect();
  ASSERT_TRUE(c.subscribe({"sensor", "lost", "watcher"}));
  track::WatcherChange change{track::Change::Ended, {}};
  change.watcher.id = 9;
  change.watcher.state = track::WatcherState::Ended;
  change.watcher.finding.category = rules::Category::Camera;
  change.watcher.end_reason = "device closed";
  on_server([&] {
    sink.on_sensor({"x11", SensorState::Failed, "cannot open display :0"});
    sink.on_lost("device", 17);
    sink.on_watcher(change);
  });
  std::vector<Push> got;
  while (got.size() < 3) {
    auto p = c.next_push(2s);
    ASSERT_TRUE(p && p->has_value());
    got.push_back(**p);
  }
  EXPECT_EQ(got[0].event, "sensor");
  EXPECT_EQ(got[0].data["state"], "failed");
  EXPECT_EQ(got[0].data["detail"], "cannot open display :0");
  EXPECT_EQ(got[1].event, "lost");
  EXPECT_EQ(got[1].data["count"], 17);
  EXPECT_EQ(got[2].event, "watcher");
  EXPECT_EQ(got[2].data["change"], "ended");
  EXPECT_EQ(got[2].data["end_reason"], "device closed");
  EXPECT_EQ(got[2].data["category"], "camera");
}

TEST_F(ServerTest, BenchPublishToClientLatency) {
  start();
  auto c = connect();
  ASSERT_TRUE(c.subscribe({"finding"}));
  std::vector<double> us;
  json payload = given_watcher(1, "keystrokes", 0);
  for (int i = 0; i < 1000; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    boost::asio::post(m_io, [&] { m_server->publish("finding", payload); });
    auto p = c.next_push(2s);
    ASSERT_TRUE(p && p->has_value());
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  std::printf("[ bench    ] publish -> subscribed client: p50 %.1f us, p99 %.1f us, max %.1f us over %zu pushes\n",
              us[us.size() / 2], us[us.size() * 99 / 100], us.back(), us.size());
  SUCCEED();
}

// ------------------------------------------------------------------ real sousveild

class SousveildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::missing_privilege(); !why.empty()) GTEST_SKIP() << why;
    m_socket = m_dir.path() / "sousveil.sock";
    m_pid = testing::spawn(
        {SOUSVEILD, "--socket", m_socket.string(), "--socket-group", "nogroup", "--rules", SOUSVEIL_RULES_DIR,
         "--store", (m_dir.path() / "history.db").string()});
    for (int i = 0; i < 300; ++i) {
      auto c = Client::connect(m_socket);
      if (c && c->request("hello", json::object(), 1s)) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "sousveild did not answer on " << m_socket << " within 15 s";
  }
  void TearDown() override {
    if (m_pid > 0) {
      ::kill(m_pid, SIGTERM);
      testing::wait_child(m_pid);
    }
  }

  TempDir m_dir;
  fs::path m_socket;
  pid_t m_pid = -1;
};

TEST_F(SousveildTest, ServesStatusWatchersAndLivePushes) {
  auto c = Client::connect(m_socket);
  ASSERT_TRUE(c) << c.error().message;
  auto status = c->request("status");
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ((*status)["mode"], "ebpf");
  EXPECT_GT((*status)["rules"]["loaded"].get<int>(), 0);
  // sousveild keeps its history (here in the test's directory): its own start is the first row.
  auto history = c->request("history", {{"kind", "agent"}});
  ASSERT_TRUE(history) << history.error().message;
  ASSERT_TRUE((*history)["rows"].is_array());
  EXPECT_FALSE((*history)["rows"].empty());

  ASSERT_TRUE(c->subscribe({"finding", "watcher"}));
  // A real program injecting into a terminal: a finding push, then a watcher.
  pid_t prog = testing::spawn({SOUSVEIL_TIOCSTI, "--hold"});
  std::optional<json> finding, watcher;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while ((!finding || !watcher) && std::chrono::steady_clock::now() < deadline) {
    auto p = c->next_push(1s);
    ASSERT_TRUE(p) << p.error().message;
    if (!p->has_value()) continue;
    const auto& data = (*p)->data;
    if (data.value("process", json::object()).value("pid", 0) != prog) continue;
    if ((*p)->event == "finding" && data["rule"] == "terminal.tiocsti-injection") finding = data;
    if ((*p)->event == "watcher" && data["rule"] == "terminal.tiocsti-injection") watcher = data;
  }
  auto watchers = c->request("watchers", {{"state", "active"}});
  ::kill(prog, SIGKILL);
  testing::wait_child(prog);
  ASSERT_TRUE(finding) << "no finding push for the TIOCSTI helper (pid " << prog << ")";
  EXPECT_EQ((*finding)["kind"], "device_ioctl");
  EXPECT_THAT((*finding)["object"].get<std::string>(), HasSubstr("/dev/pts/"));
  EXPECT_EQ((*finding)["process"]["uid"], 0);
  ASSERT_TRUE(watcher) << "no watcher push for the TIOCSTI helper";
  EXPECT_EQ((*watcher)["change"], "new");
  ASSERT_TRUE(watchers) << watchers.error().message;
  bool listed = false;
  for (const auto& w : (*watchers)["watchers"]) {
    if (w["process"]["pid"] != prog) continue;
    listed = true;
    EXPECT_EQ(w["category"], "terminal");
    EXPECT_EQ(w["process"]["uid"], 0);
    EXPECT_FALSE(w["process"]["cmdline"].empty());
    EXPECT_TRUE(w["process"]["ancestry"].is_array());
    EXPECT_FALSE(w["process"]["ancestry"].empty()) << "the test runner is its ancestor";
    EXPECT_EQ(w["state"], "active");
  }
  EXPECT_TRUE(listed) << "the helper is not in watchers: " << watchers->dump();

  // As nobody: root's terminal injection is not theirs, and reload is forbidden.
  const fs::path path = m_socket;
  std::string report = run_as(kNobody, gid_of("nogroup"), {}, [&] {
    auto nc = Client::connect(path);
    if (!nc) return std::string("connect: ") + nc.error().message;
    json out;
    out["scope"] = nc->request("hello").value()["peer"]["scope"];
    out["watchers"] = nc->request("watchers").value()["watchers"];
    out["status_ok"] = static_cast<bool>(nc->request("status"));
    auto reload = nc->request("reload");
    out["reload"] = reload ? "allowed!" : nc->last_error_code();
    return out.dump();
  });
  json r = json::parse(report, nullptr, false);
  ASSERT_FALSE(r.is_discarded()) << report;
  EXPECT_EQ(r["scope"], "own");
  EXPECT_EQ(r["status_ok"], true);
  EXPECT_EQ(r["reload"], "forbidden");
  for (const auto& w : r["watchers"]) EXPECT_NE(w["process"]["pid"], prog) << "root's watcher leaked to nobody";

  auto reload = c->request("reload");
  ASSERT_TRUE(reload) << reload.error().message;
  EXPECT_GT((*reload)["rules_loaded"].get<int>(), 0);
}

TEST_F(SousveildTest, ASecondAgentDoesNotTakeTheSocketAndTheCliAsksTheAgent) {
  auto second = testing::run_capture({SOUSVEILD, "--socket", m_socket.string(), "--no-bpf"}, 20s);
  EXPECT_NE(second.exit_code, 0);
  EXPECT_THAT(second.err, HasSubstr("another agent is serving"));
  auto c = Client::connect(m_socket);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->request("hello"));

  auto status = testing::run_capture({SOUSVEIL_CLI, "status", "--json", "--socket", m_socket.string()});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  json st = json::parse(status.out);
  // A private run would have just started; the agent's uptime shows it answered.
  EXPECT_EQ(st["mode"], "ebpf");
  auto watchers = testing::run_capture({SOUSVEIL_CLI, "watchers", "--json", "--socket", m_socket.string()});
  ASSERT_EQ(watchers.exit_code, 0) << watchers.err;
  EXPECT_TRUE(json::parse(watchers.out).contains("watchers"));
  auto none = testing::run_capture({SOUSVEIL_CLI, "watchers", "--socket", (m_dir.path() / "nope.sock").string()});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("not running"));
}

}  // namespace
}  // namespace sousveil::api
