// SPDX-License-Identifier: Apache-2.0
#include "sensors/x11/x11_sensor.h"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <xcb/record.h>
#include <xcb/res.h>
#include <xcb/xcb.h>
#include <xcb/xcbext.h>  // xcb_poll_for_reply: the RECORD stream is one request with many replies
#include <xcb/xfixes.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <unordered_map>

#include "common/boot_clock.h"
#include "common/logging.h"
#include "enrich/procfs.h"
#include "sensors/x11/x11_protocol.h"

namespace sousveil {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

auto log() {
  static auto logger = logging::get("x11");
  return logger;
}

struct XcbDisconnect {
  void operator()(xcb_connection_t* c) const {
    if (c) xcb_disconnect(c);
  }
};
using XcbConnection = std::unique_ptr<xcb_connection_t, XcbDisconnect>;

template <class T>
struct FreeReply {
  void operator()(T* p) const { std::free(p); }
};
template <class T>
using ReplyPtr = std::unique_ptr<T, FreeReply<T>>;

// How long a display whose socket went away stays listed as failed.
constexpr auto kGoneKeep = std::chrono::seconds(60);
// Events held per client while its pid is being asked for.
constexpr std::size_t kMaxQueued = 64;

std::string conn_error_text(int code) {
  switch (code) {
    case XCB_CONN_ERROR: return "refused or closed the connection (no server, or the cookie was not accepted)";
    case XCB_CONN_CLOSED_EXT_NOTSUPPORTED: return "an extension is not supported";
    case XCB_CONN_CLOSED_MEM_INSUFFICIENT: return "out of memory";
    case XCB_CONN_CLOSED_REQ_LEN_EXCEED: return "request too long";
    case XCB_CONN_CLOSED_PARSE_ERR: return "bad display name";
    case XCB_CONN_CLOSED_INVALID_SCREEN: return "no such screen";
    default: return "error " + std::to_string(code);
  }
}

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

// One X display: two connections (control for queries, data for the RECORD
// stream), the clients seen on it and their pids.
class X11Display {
 public:
  enum class State { Waiting, Recording, Failed, Stale };

  X11Display(boost::asio::io_context& io, int number, const X11SensorOptions& options, const UserSensor::Emit& sink)
      : m_io(io), m_number(number), m_name(":" + std::to_string(number)), m_options(options), m_emit(sink),
        m_procfs(options.roots.proc) {}
  ~X11Display() { disconnect(false); }

  State state() const { return m_state; }
  const std::string& name() const { return m_name; }

  // Connects when due. socket_present: whether X<n> is in the X11 directory now.
  void poll(Clock::time_point now, bool socket_present) {
    if (socket_present) m_gone_since.reset();
    else if (!m_gone_since) m_gone_since = now;
    if (m_state == State::Recording || now < m_next_try || !socket_present) return;
    if (auto r = connect(); !r) {
      disconnect();
      fail(r.error().message);
      // A socket nobody listens on, left by a server that died before we
      // ever saw it: not a display that can be watched, so not a failure.
      if (m_refused && !m_ever_connected) m_state = State::Stale;
    }
  }
  // True when the display has been gone long enough to forget.
  bool forgettable(Clock::time_point now) const {
    if (!m_gone_since || m_state == State::Recording) return false;
    return !m_ever_connected || now - *m_gone_since > kGoneKeep;
  }

  void flush_folded(std::uint64_t now_ns) {
    for (auto& f : m_folder.flush(now_ns)) report_folded(f);
  }

  std::string describe() const {
    switch (m_state) {
      case State::Recording:
        return m_name + " recording (" + std::to_string(m_clients.size()) + " clients" +
               (m_has_xres ? "" : "; no X-Resource: pids unknown") +
               (m_malformed ? "; " + std::to_string(m_malformed) + " malformed bytes skipped" : "") + ")";
      case State::Failed: return m_name + " failed: " + m_reason;
      case State::Waiting: return m_name + " connecting";
      case State::Stale: return m_name + " has a socket but no server (left over)";
    }
    return m_name;
  }

 private:
  struct Client {
    enum class Pid { Unknown, Querying, Known } pid_state = Pid::Unknown;
    ProcessRef process;
    std::vector<std::pair<std::uint64_t, X11Info>> queued;
    bool died = false;
  };

  void fail(std::string reason) {
    if (reason != m_logged_reason) log()->warn("display={} state=failed reason={}", m_name, reason);
    m_logged_reason = reason;
    m_state = State::Failed;
    m_reason = std::move(reason);
    auto backoff = m_options.retry_min * (1 << std::min(m_failures, 4u));
    m_next_try = Clock::now() + std::min<std::chrono::milliseconds>(backoff, m_options.retry_max);
    ++m_failures;
  }

  // The cookies that may open this display, best first.
  std::vector<x11::Cookie> cookies(std::string& tried) {
    auto files = x11::find_auth_files(m_options.roots.proc);
    std::vector<fs::path> paths = files[m_number];
    // The display owner's ~/.Xauthority, from the socket's owner.
    struct stat st {};
    auto socket = m_options.roots.x11_dir / ("X" + std::to_string(m_number));
    if (::stat(socket.c_str(), &st) == 0 && st.st_uid != 0) {
      if (auto* pw = ::getpwuid(st.st_uid); pw && pw->pw_dir) {
        fs::path home = fs::path(pw->pw_dir) / ".Xauthority";
        if (std::find(paths.begin(), paths.end(), home) == paths.end()) paths.push_back(home);
      }
    }
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    std::vector<x11::Cookie> out;
    for (const auto& p : paths) {
      auto bytes = read_file(p);
      if (!bytes) continue;
      auto cookie = x11::parse_xauthority(*bytes, m_number, host);
      if (!cookie) {
        log()->warn("display={} auth_file={} error={}", m_name, p.string(), cookie.error().message);
        continue;
      }
      if (!*cookie) continue;
      if (!tried.empty()) tried += ", ";
      tried += p.string();
      bool dup = false;
      for (const auto& c : out) dup |= c.data == (*cookie)->data;
      if (!dup) out.push_back(**cookie);
    }
    return out;
  }

  Result<XcbConnection> open_one(const std::optional<x11::Cookie>& cookie) {
    xcb_auth_info_t auth{};
    std::string name, data;
    if (cookie) {
      name = cookie->name;
      data = cookie->data;
      auth.namelen = static_cast<int>(name.size());
      auth.name = name.data();
      auth.datalen = static_cast<int>(data.size());
      auth.data = data.data();
    }
    int screen = 0;
    XcbConnection c(xcb_connect_to_display_with_auth_info(m_name.c_str(), cookie ? &auth : nullptr, &screen));
    if (int err = xcb_connection_has_error(c.get())) return make_error(conn_error_text(err));
    return Result<XcbConnection>(std::move(c));
  }

  // Whether an X server listens on the display's socket and answers a
  // connection setup within a second. Tells a server that is gone from one
  // that refuses our cookie, and keeps a stopped server from blocking the
  // agent in xcb's handshake, which has no timeout.
  Result<void> probe_socket() {
    m_refused = false;
    auto path = (m_options.roots.x11_dir / ("X" + std::to_string(m_number))).string();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) return make_error("socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(std::string("socket: ") + std::strerror(errno));
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      m_refused = errno == ECONNREFUSED || errno == ENOENT;
      return make_error("no X server answers on " + path + " (" + std::strerror(errno) + "): it is gone or restarting");
    }
    // A setup request with no authorization: byte order, pad, version 11.0, empty name and data.
    const std::uint8_t setup[12] = {'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    if (::send(fd, setup, sizeof(setup), MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof(setup)))
      return make_error("no X server answers on " + path + " (" + std::strerror(errno) + ")");
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0)
      return make_error("the X server of " + m_name + " does not answer (stopped or hung); retrying");
    return {};
  }

  Result<void> connect() {
    disconnect();
    m_state = State::Waiting;
    if (auto r = probe_socket(); !r) return r;
    std::string tried;
    auto found = cookies(tried);
    std::optional<x11::Cookie> working;
    std::string last_error;
    for (const auto& c : found) {
      auto conn = open_one(c);
      if (conn) {
        m_ctrl = std::move(conn).value();
        working = c;
        break;
      }
      last_error = conn.error().message;
    }
    if (!m_ctrl) {
      // No cookie found or none accepted: a server without access control, or
      // our own XAUTHORITY.
      auto conn = open_one(std::nullopt);
      if (!conn)
        return make_error("cannot open display " + m_name + ": " + conn.error().message +
                          (tried.empty() ? " (no authority cookie found for it)"
                                         : " (cookies tried from " + tried + ": " + last_error + ")"));
      m_ctrl = std::move(conn).value();
    }
    auto data = open_one(working);
    if (!data) return make_error("cannot open the second connection to " + m_name + ": " + data.error().message);
    m_data = std::move(data).value();
    if (auto r = learn_server(); !r) return r;
    if (auto r = list_existing_clients(); !r) return r;
    if (auto r = enable_recording(); !r) return r;
    ++m_generation;
    m_ctrl_fd = std::make_unique<boost::asio::posix::stream_descriptor>(m_io, xcb_get_file_descriptor(m_ctrl.get()));
    m_data_fd = std::make_unique<boost::asio::posix::stream_descriptor>(m_io, xcb_get_file_descriptor(m_data.get()));
    m_state = State::Recording;
    m_failures = 0;
    m_ever_connected = true;
    m_logged_reason.clear();
    log()->info("display={} state=recording clients={} record_major={} xres={}", m_name, m_clients.size(),
                m_server_info.record, m_has_xres);
    arm_data();
    arm_ctrl();
    return {};
  }

  Result<void> learn_server() {
    auto* c = m_ctrl.get();
    const xcb_setup_t* setup = xcb_get_setup(c);
    m_id_mask = setup->resource_id_mask;
    m_own = {setup->resource_id_base, xcb_get_setup(m_data.get())->resource_id_base};
    m_server_info = {};
    for (auto it = xcb_setup_roots_iterator(setup); it.rem; xcb_screen_next(&it))
      m_server_info.roots.push_back(it.data->root);

    const std::string_view names[] = {x11::kExtRecord, x11::kExtInput, x11::kExtShm, x11::kExtComposite,
                                      x11::kExtXFixes, x11::kExtXTest, "X-Resource"};
    std::vector<xcb_query_extension_cookie_t> qs;
    for (auto n : names) qs.push_back(xcb_query_extension(c, static_cast<std::uint16_t>(n.size()), n.data()));
    auto clip = xcb_intern_atom(c, 0, 9, "CLIPBOARD");
    auto rctx = xcb_intern_atom(c, 0, 13, "RecordContext");
    std::uint8_t majors[7] = {};
    std::uint8_t first_event[7] = {};
    for (std::size_t i = 0; i < qs.size(); ++i) {
      ReplyPtr<xcb_query_extension_reply_t> r(xcb_query_extension_reply(c, qs[i], nullptr));
      if (r && r->present) {
        majors[i] = r->major_opcode;
        first_event[i] = r->first_event;
      }
    }
    if (ReplyPtr<xcb_intern_atom_reply_t> r{xcb_intern_atom_reply(c, clip, nullptr)}) m_server_info.clipboard_atom = r->atom;
    if (ReplyPtr<xcb_intern_atom_reply_t> r{xcb_intern_atom_reply(c, rctx, nullptr)}) m_record_context_atom = r->atom;
    m_server_info.record = majors[0];
    m_server_info.xinput = majors[1];
    m_server_info.xinput_first_event = first_event[1];
    m_server_info.shm = majors[2];
    m_server_info.composite = majors[3];
    m_server_info.xfixes = majors[4];
    m_xfixes_first_event = first_event[4];
    m_server_info.xtest = majors[5];
    m_has_xres = majors[6] != 0;
    if (!m_server_info.record)
      return make_error("the X server of " + m_name +
                        " has no RECORD extension: requests cannot be seen (Xorg: Load \"record\" in the Module section)");
    if (m_has_xres) {
      ReplyPtr<xcb_res_query_version_reply_t> v(
          xcb_res_query_version_reply(c, xcb_res_query_version(c, 1, 2), nullptr));
      m_has_xres = v && (v->server_major > 1 || (v->server_major == 1 && v->server_minor >= 2));
    }
    if (m_server_info.xfixes && !m_server_info.roots.empty()) {
      // Follow who owns CLIPBOARD and PRIMARY, so a read by the owner itself is not reported.
      ReplyPtr<xcb_xfixes_query_version_reply_t> v(
          xcb_xfixes_query_version_reply(c, xcb_xfixes_query_version(c, 5, 0), nullptr));
      for (auto sel : {m_server_info.clipboard_atom, m_server_info.primary_atom}) {
        if (!sel) continue;
        xcb_xfixes_select_selection_input(c, m_server_info.roots[0], sel,
                                          XCB_XFIXES_SELECTION_EVENT_MASK_SET_SELECTION_OWNER |
                                              XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_WINDOW_DESTROY |
                                              XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_CLIENT_CLOSE);
        ReplyPtr<xcb_get_selection_owner_reply_t> o(
            xcb_get_selection_owner_reply(c, xcb_get_selection_owner(c, sel), nullptr));
        m_owners[sel] = o && o->owner ? (o->owner & ~m_id_mask) : 0;
      }
    }
    return {};
  }

  bool own(std::uint32_t base) const { return base == m_own[0] || base == m_own[1]; }

  // Who is connected now, their pids, and who already holds a RECORD context.
  Result<void> list_existing_clients() {
    m_clients.clear();
    if (!m_has_xres) return {};
    auto* c = m_ctrl.get();
    ReplyPtr<xcb_res_query_clients_reply_t> r(xcb_res_query_clients_reply(c, xcb_res_query_clients(c), nullptr));
    if (!r) return make_error("X-Resource QueryClients failed on " + m_name);
    std::vector<std::uint32_t> bases;
    for (auto it = xcb_res_query_clients_clients_iterator(r.get()); it.rem; xcb_res_client_next(&it))
      if (!own(it.data->resource_base)) bases.push_back(it.data->resource_base);
    resolve_now(bases);
    // A RECORD context made before sousveil started shows as a resource of its owner.
    std::vector<std::pair<std::uint32_t, xcb_res_query_client_resources_cookie_t>> res;
    for (auto b : bases) res.emplace_back(b, xcb_res_query_client_resources(c, b));
    for (auto& [base, cookie] : res) {
      ReplyPtr<xcb_res_query_client_resources_reply_t> rr(xcb_res_query_client_resources_reply(c, cookie, nullptr));
      if (!rr || !m_record_context_atom) continue;
      for (auto it = xcb_res_query_client_resources_types_iterator(rr.get()); it.rem; xcb_res_type_next(&it)) {
        if (it.data->resource_type != m_record_context_atom || it.data->count == 0) continue;
        X11Info info;
        info.display = m_name;
        info.client = base;
        info.request = "RecordCreateContext";
        info.extension = x11::kExtRecord;
        info.major = m_server_info.record;
        info.minor = x11::kRecordCreateContext;
        info.detail = "existing";
        info.count = it.data->count;
        emit(base, BootClock::now_boot_ns(), std::move(info));
      }
    }
    return {};
  }

  // Blocking pid lookup, for the clients already there at connect.
  void resolve_now(const std::vector<std::uint32_t>& bases) {
    if (bases.empty()) return;
    auto* c = m_ctrl.get();
    std::vector<xcb_res_client_id_spec_t> specs;
    for (auto b : bases) specs.push_back({b, XCB_RES_CLIENT_ID_MASK_LOCAL_CLIENT_PID});
    ReplyPtr<xcb_res_query_client_ids_reply_t> r(xcb_res_query_client_ids_reply(
        c, xcb_res_query_client_ids(c, static_cast<std::uint32_t>(specs.size()), specs.data()), nullptr));
    for (auto b : bases) m_clients[b].pid_state = Client::Pid::Known;
    if (r) apply_ids(r.get());
  }

  void apply_ids(const xcb_res_query_client_ids_reply_t* r) {
    for (auto it = xcb_res_query_client_ids_ids_iterator(r); it.rem; xcb_res_client_id_value_next(&it)) {
      if (!(it.data->spec.mask & XCB_RES_CLIENT_ID_MASK_LOCAL_CLIENT_PID) || it.data->length < 4) continue;
      std::uint32_t base = it.data->spec.client & ~m_id_mask;
      std::uint32_t pid = *xcb_res_client_id_value_value(it.data);
      auto& client = m_clients[base];
      client.process = process_of(pid);
    }
  }

  ProcessRef process_of(std::uint32_t pid) const {
    ProcessRef p;
    p.pid = pid;
    p.tid = pid;
    if (auto st = m_procfs.stat(pid)) {
      p.comm = st->comm;
      p.ppid = st->ppid;
      p.start_boot_ns = ticks_to_boot_ns(st->start_ticks);
    }
    if (auto ids = m_procfs.uids(pid)) {
      p.uid = ids->first;
      p.euid = ids->second;
    }
    return p;
  }

  Result<void> enable_recording() {
    auto* c = m_ctrl.get();
    const auto& s = m_server_info;
    std::vector<xcb_record_range_t> ranges;
    auto range = [&]() -> xcb_record_range_t& { return ranges.emplace_back(xcb_record_range_t{}); };
    // Core requests, one range each.
    const std::pair<std::uint8_t, std::uint8_t> core[] = {{x11::kConvertSelection, x11::kSendEvent},
                                                           {x11::kGrabKeyboard, x11::kGrabKeyboard},
                                                           {x11::kGrabKey, x11::kGrabKey},
                                                           {x11::kQueryKeymap, x11::kQueryKeymap},
                                                           {x11::kGetImage, x11::kGetImage}};
    for (auto [first, last] : core) {
      auto& r = range();
      r.core_requests = {first, last};
    }
    struct Ext {
      std::uint8_t major, first, last;
    };
    const Ext ext[] = {{s.record, x11::kRecordCreateContext, x11::kRecordRegisterClients},
                       {s.record, x11::kRecordEnableContext, x11::kRecordEnableContext},
                       {s.shm, x11::kShmGetImage, x11::kShmGetImage},
                       {s.composite, x11::kCompositeNameWindowPixmap, x11::kCompositeNameWindowPixmap},
                       {s.xinput, x11::kXIOpenDevice, x11::kXIOpenDevice},
                       {s.xinput, x11::kXISelectExtensionEvent, x11::kXISelectExtensionEvent},
                       {s.xinput, x11::kXISelectEvents, x11::kXISelectEvents},
                       {s.xfixes, x11::kXFixesSelectSelectionInput, x11::kXFixesSelectSelectionInput},
                       {s.xtest, x11::kXTestFakeInput, x11::kXTestFakeInput}};
    std::size_t slot = 0;
    for (const auto& e : ext) {
      if (!e.major) continue;
      // Share the structs of the core ranges, then add more.
      auto& r = slot < ranges.size() ? ranges[slot] : range();
      ++slot;
      r.ext_requests.major = {e.major, e.major};
      r.ext_requests.minor = {e.first, e.last};
    }
    // Client lifecycle: to ask for a pid at once and forget it at the end.
    ranges[0].client_started = 1;
    ranges[0].client_died = 1;
    m_context = xcb_generate_id(c);
    xcb_record_client_spec_t spec = XCB_RECORD_CS_ALL_CLIENTS;
    auto ck = xcb_record_create_context_checked(c, m_context, 0, 1, static_cast<std::uint32_t>(ranges.size()), &spec,
                                                ranges.data());
    if (ReplyPtr<xcb_generic_error_t> err{xcb_request_check(c, ck)})
      return make_error("RECORD CreateContext refused by " + m_name + " (X error " +
                        std::to_string(err->error_code) + ")");
    m_enable = xcb_record_enable_context(m_data.get(), m_context).sequence;
    xcb_flush(m_data.get());
    return {};
  }

  // flush: send the events still waiting for a pid (not while being destroyed).
  void disconnect(bool flush = true) {
    ++m_generation;
    for (auto* fd : {&m_ctrl_fd, &m_data_fd}) {
      if (!*fd) continue;
      boost::system::error_code ec;
      (*fd)->cancel(ec);
      (*fd)->release();  // xcb owns the socket
      fd->reset();
    }
    // Events waiting for a pid go out without one rather than being lost.
    if (flush)
      for (auto& [base, client] : m_clients)
        for (auto& [ts, info] : client.queued) send(client.process, ts, std::move(info));
    m_clients.clear();
    m_queries.clear();
    m_owners.clear();
    m_folder = x11::RateFolder();
    m_data.reset();
    m_ctrl.reset();
  }

  void arm_data() {
    m_data_fd->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                          [this, gen = m_generation](const boost::system::error_code& ec) {
                            if (ec || gen != m_generation) return;
                            on_data();
                          });
  }

  void arm_ctrl() {
    m_ctrl_fd->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                          [this, gen = m_generation](const boost::system::error_code& ec) {
                            if (ec || gen != m_generation) return;
                            on_ctrl();
                          });
  }

  void lost(std::string why) {
    disconnect();
    fail(std::move(why));
  }

  void on_data() {
    auto* c = m_data.get();
    for (;;) {
      void* reply = nullptr;
      xcb_generic_error_t* error = nullptr;
      if (!xcb_poll_for_reply(c, m_enable, &reply, &error)) break;
      if (error) {
        int code = error->error_code;
        std::free(error);
        return lost("RECORD EnableContext failed with X error " + std::to_string(code));
      }
      if (!reply) return lost("the X server ended the recording");
      ReplyPtr<xcb_record_enable_context_reply_t> r(static_cast<xcb_record_enable_context_reply_t*>(reply));
      if (!on_record(r.get())) return;
    }
    if (int err = xcb_connection_has_error(c)) return lost("lost the connection to the X server: " + conn_error_text(err));
    arm_data();
  }

  // One reply of the recording. False when the recording ended.
  bool on_record(const xcb_record_enable_context_reply_t* r) {
    const auto now = BootClock::now_boot_ns();
    switch (r->category) {
      case 1: {  // FromClient
        if (own(r->xid_base)) return true;
        std::span<const std::uint8_t> data(xcb_record_enable_context_data(r),
                                           static_cast<std::size_t>(xcb_record_enable_context_data_length(r)));
        const bool swapped = r->client_swapped != 0;
        m_malformed += x11::for_each_request(data, swapped, 0, [&](std::span<const std::uint8_t> req) {
          on_request(r->xid_base, req, swapped, now);
        });
        return true;
      }
      case 2:  // ClientStarted
        if (!own(r->xid_base)) query_pid(r->xid_base);
        return true;
      case 3:  // ClientDied
        client_died(r->xid_base, now);
        return true;
      case 4:  // StartOfData
        return true;
      case 5:  // EndOfData
        lost("the X server ended the recording");
        return false;
      default: return true;
    }
  }

  void on_request(std::uint32_t base, std::span<const std::uint8_t> bytes, bool swapped, std::uint64_t now) {
    auto req = x11::decode_request(bytes, m_server_info, swapped);
    if (!req) return;
    if (req->name == "ConvertSelection") {
      auto it = m_owners.find(req->selection);
      if (it != m_owners.end() && it->second == base) return;  // the owner reading its own selection
    }
    // A repeat is only counted: no event is built for it.
    x11::FoldKey key{m_name, base, std::string(req->name), req->detail};
    if (m_folder.count_repeat(key)) return;
    X11Info info;
    info.display = m_name;
    info.client = base;
    info.request = key.request;
    info.extension = std::string(req->extension);
    info.major = req->major;
    info.minor = req->minor;
    info.detail = std::move(req->detail);
    info.root = req->root;
    info.mask = std::move(req->mask);
    if (m_folder.observe(key, info, now)) report(base, now, std::move(info));
  }

  void report_folded(x11::Folded& f) {
    X11Info info = std::move(f.sample);
    info.count = f.count;
    info.rate = f.rate;
    info.period_s = f.period_s;
    report(f.key.client, BootClock::now_boot_ns(), std::move(info));
  }

  void report(std::uint32_t base, std::uint64_t ts, X11Info&& info) {
    if (!m_has_xres) return send(ProcessRef{}, ts, std::move(info));
    auto& client = m_clients[base];
    if (client.pid_state == Client::Pid::Known) return send(client.process, ts, std::move(info));
    if (client.queued.size() < kMaxQueued) client.queued.emplace_back(ts, std::move(info));
    else ++m_dropped;
    if (client.pid_state == Client::Pid::Unknown) query_pid(base);
  }

  void emit(std::uint32_t base, std::uint64_t ts, X11Info&& info) {
    auto it = m_clients.find(base);
    send(it == m_clients.end() ? ProcessRef{} : it->second.process, ts, std::move(info));
  }

  void send(const ProcessRef& process, std::uint64_t ts, X11Info&& info) {
    RawEvent ev;
    ev.kind = EventKind::X11Request;
    ev.source = EventSource::X11;
    ev.ts_boot_ns = ts;
    ev.repeats = info.count > 1 ? info.count - 1 : 0;
    ev.process = process;
    ev.payload = std::move(info);
    m_emit(std::move(ev));
  }

  void query_pid(std::uint32_t base) {
    if (!m_has_xres || !m_ctrl) return;
    auto& client = m_clients[base];
    if (client.pid_state != Client::Pid::Unknown) return;
    client.pid_state = Client::Pid::Querying;
    xcb_res_client_id_spec_t spec{base, XCB_RES_CLIENT_ID_MASK_LOCAL_CLIENT_PID};
    auto ck = xcb_res_query_client_ids(m_ctrl.get(), 1, &spec);
    xcb_flush(m_ctrl.get());
    m_queries[ck.sequence] = base;
  }

  void client_died(std::uint32_t base, std::uint64_t now) {
    // Repeats not yet reported go out now, under the client's pid.
    for (auto& f : m_folder.take_client(m_name, base, now)) report_folded(f);
    auto it = m_clients.find(base);
    if (it == m_clients.end()) return;
    if (it->second.pid_state == Client::Pid::Querying) it->second.died = true;  // forgotten when the answer comes
    else m_clients.erase(it);
  }

  void on_ctrl() {
    auto* c = m_ctrl.get();
    for (bool progress = true; progress;) {
      progress = false;
      while (ReplyPtr<xcb_generic_event_t> ev{xcb_poll_for_event(c)}) {
        progress = true;
        if (m_server_info.xfixes &&
            (ev->response_type & 0x7f) == m_xfixes_first_event + XCB_XFIXES_SELECTION_NOTIFY) {
          auto* n = reinterpret_cast<xcb_xfixes_selection_notify_event_t*>(ev.get());
          m_owners[n->selection] = n->owner ? (n->owner & ~m_id_mask) : 0;
        }
      }
      for (auto it = m_queries.begin(); it != m_queries.end();) {
        void* reply = nullptr;
        xcb_generic_error_t* error = nullptr;
        if (!xcb_poll_for_reply(c, it->first, &reply, &error)) {
          ++it;
          continue;
        }
        progress = true;
        std::free(error);
        ReplyPtr<xcb_res_query_client_ids_reply_t> r(static_cast<xcb_res_query_client_ids_reply_t*>(reply));
        std::uint32_t base = it->second;
        it = m_queries.erase(it);
        if (r) apply_ids(r.get());
        resolved(base);
      }
    }
    if (int err = xcb_connection_has_error(c)) return lost("lost the connection to the X server: " + conn_error_text(err));
    arm_ctrl();
  }

  // The pid question for a client is answered (pid 0 when the server could
  // not tell: a TCP client, or one already gone).
  void resolved(std::uint32_t base) {
    auto it = m_clients.find(base);
    if (it == m_clients.end()) return;
    auto& client = it->second;
    client.pid_state = Client::Pid::Known;
    if (client.process.pid == 0) ++m_unknown_pids;
    for (auto& [ts, info] : client.queued) send(client.process, ts, std::move(info));
    client.queued.clear();
    if (client.died) m_clients.erase(it);
  }

  boost::asio::io_context& m_io;
  int m_number;
  std::string m_name;
  const X11SensorOptions& m_options;
  const UserSensor::Emit& m_emit;
  ProcFs m_procfs;
  State m_state = State::Waiting;
  std::string m_reason;
  std::string m_logged_reason;  // retries with the same reason are logged once
  unsigned m_failures = 0;
  Clock::time_point m_next_try{};
  std::optional<Clock::time_point> m_gone_since;
  bool m_ever_connected = false;
  bool m_refused = false;  // the last probe found nobody listening

  XcbConnection m_ctrl;
  XcbConnection m_data;
  std::unique_ptr<boost::asio::posix::stream_descriptor> m_ctrl_fd;
  std::unique_ptr<boost::asio::posix::stream_descriptor> m_data_fd;
  std::uint64_t m_generation = 0;
  x11::ServerInfo m_server_info;
  bool m_has_xres = false;
  std::uint8_t m_xfixes_first_event = 0;
  std::uint32_t m_record_context_atom = 0;
  std::uint32_t m_id_mask = 0;
  std::array<std::uint32_t, 2> m_own{};
  std::uint32_t m_context = 0;
  unsigned m_enable = 0;
  std::unordered_map<std::uint32_t, Client> m_clients;
  std::map<unsigned, std::uint32_t> m_queries;       // XRes request sequence -> client
  std::map<std::uint32_t, std::uint32_t> m_owners;   // selection atom -> owner's client base
  x11::RateFolder m_folder;
  std::uint64_t m_malformed = 0;
  std::uint64_t m_dropped = 0;
  std::uint64_t m_unknown_pids = 0;
};

X11Sensor::X11Sensor(X11SensorOptions options) : m_options(std::move(options)) {
  m_health.name = "x11";
  m_health.state = SensorState::Running;
  m_health.detail = "starting";
}

X11Sensor::~X11Sensor() { stop(); }

Result<void> X11Sensor::start(boost::asio::io_context& io, Emit emit) {
  auto target = std::make_shared<Emit>(std::move(emit));
  m_emit = [&io, target](RawEvent&& ev) {
    boost::asio::post(io, [target, ev = std::move(ev)]() mutable { (*target)(std::move(ev)); });
  };
  m_timer = std::make_unique<boost::asio::steady_timer>(m_x_io);
  m_running = true;
  m_work.emplace(m_x_io.get_executor());
  boost::asio::post(m_x_io, [this] {
    discover();
    arm_tick();
  });
  m_thread = std::thread([this] {
    try {
      m_x_io.run();
    } catch (const std::exception& e) {
      log()->error("x11 sensor thread stopped: {}", e.what());
      std::lock_guard lock(m_health_mutex);
      m_health.state = SensorState::Failed;
      m_health.detail = std::string("stopped on an internal error: ") + e.what();
    }
  });
  return {};
}

void X11Sensor::stop() {
  if (!m_thread.joinable()) return;
  boost::asio::post(m_x_io, [this] {
    m_running = false;
    if (m_timer) m_timer->cancel();
    m_displays.clear();
  });
  m_work.reset();
  m_thread.join();
  m_displays.clear();
  std::lock_guard lock(m_health_mutex);
  m_health.state = SensorState::Disabled;
  m_health.detail = "stopped";
}

void X11Sensor::arm_tick() {
  m_timer->expires_after(m_options.fold_interval);
  m_timer->async_wait([this](const boost::system::error_code& ec) {
    if (ec || !m_running) return;
    tick();
    arm_tick();
  });
}

void X11Sensor::tick() {
  auto now = BootClock::now_boot_ns();
  for (auto& [n, d] : m_displays) d->flush_folded(now);
  discover();
}

void X11Sensor::discover() {
  auto sockets = x11::list_display_sockets(m_options.roots.x11_dir);
  auto now = Clock::now();
  for (int n : sockets)
    if (!m_displays.count(n)) m_displays.emplace(n, std::make_unique<X11Display>(m_x_io, n, m_options, m_emit));
  for (auto it = m_displays.begin(); it != m_displays.end();) {
    bool present = std::binary_search(sockets.begin(), sockets.end(), it->first);
    it->second->poll(now, present);
    if (it->second->forgettable(now)) it = m_displays.erase(it);
    else ++it;
  }
  auto h = compute_health();
  std::lock_guard lock(m_health_mutex);
  m_health = std::move(h);
}

SensorStatus X11Sensor::health() const {
  std::lock_guard lock(m_health_mutex);
  return m_health;
}

SensorStatus X11Sensor::compute_health() const {
  SensorStatus s;
  s.name = std::string(name());
  bool recording = false, failed = false;
  std::string parts;
  std::size_t stale = 0;
  for (const auto& [n, d] : m_displays) {
    if (d->state() == X11Display::State::Stale) {
      ++stale;
      continue;
    }
    recording |= d->state() == X11Display::State::Recording;
    failed |= d->state() == X11Display::State::Failed;
    if (!parts.empty()) parts += "; ";
    parts += d->describe();
  }
  if (parts.empty()) {
    s.state = SensorState::Running;
    s.detail = "no X display found (watching " + m_options.roots.x11_dir.string() + " for one" +
               (stale ? "; " + std::to_string(stale) + " left-over sockets with no server" : "") + ")";
    return s;
  }
  s.state = recording || !failed ? SensorState::Running : SensorState::Failed;
  s.detail = "display " + parts;
  if (recording)
    s.detail += ". Not visible: XI2 selections, grabs and RECORD contexts' details from before sousveil "
                "started, and the pids of TCP clients";
  return s;
}

}  // namespace sousveil
