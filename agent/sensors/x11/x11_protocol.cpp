// SPDX-License-Identifier: Apache-2.0
#include "sensors/x11/x11_protocol.h"

#include <algorithm>
#include <array>

namespace sousveil::x11 {
namespace {

// Reads fields of one request in the client's byte order.
class Reader {
 public:
  Reader(std::span<const std::uint8_t> bytes, bool swapped) : m_b(bytes), m_swapped(swapped) {}
  std::size_t size() const { return m_b.size(); }
  std::uint8_t u8(std::size_t at) const { return m_b[at]; }
  std::uint16_t u16(std::size_t at) const {
    std::uint16_t lo = m_b[at], hi = m_b[at + 1];
    return m_swapped ? static_cast<std::uint16_t>((lo << 8) | hi) : static_cast<std::uint16_t>((hi << 8) | lo);
  }
  std::uint32_t u32(std::size_t at) const {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      std::uint32_t byte = m_b[at + static_cast<std::size_t>(i)];
      v |= m_swapped ? byte << (8 * (3 - i)) : byte << (8 * i);
    }
    return v;
  }
  std::span<const std::uint8_t> sub(std::size_t at, std::size_t n) const { return m_b.subspan(at, n); }

 private:
  std::span<const std::uint8_t> m_b;
  bool m_swapped;
};

// XI2.h event types, by bit number.
constexpr std::array<std::string_view, 33> kXi2Names = {
    "",                  "DeviceChanged",      "KeyPress",          "KeyRelease",      "ButtonPress",
    "ButtonRelease",     "Motion",             "Enter",             "Leave",           "FocusIn",
    "FocusOut",          "HierarchyChanged",   "PropertyEvent",     "RawKeyPress",     "RawKeyRelease",
    "RawButtonPress",    "RawButtonRelease",   "RawMotion",         "TouchBegin",      "TouchUpdate",
    "TouchEnd",          "TouchOwnership",     "RawTouchBegin",     "RawTouchUpdate",  "RawTouchEnd",
    "BarrierHit",        "BarrierLeave",       "GesturePinchBegin", "GesturePinchUpdate",
    "GesturePinchEnd",   "GestureSwipeBegin",  "GestureSwipeUpdate", "GestureSwipeEnd",
};

// XInput 1 event types, relative to the extension's first event (XI.h).
constexpr std::array<std::string_view, 17> kXi1Names = {
    "DeviceValuator",      "DeviceKeyPress",        "DeviceKeyRelease",   "DeviceButtonPress",
    "DeviceButtonRelease", "DeviceMotionNotify",    "DeviceFocusIn",      "DeviceFocusOut",
    "ProximityIn",         "ProximityOut",          "DeviceStateNotify",  "DeviceMappingNotify",
    "ChangeDeviceNotify",  "DeviceKeystateNotify",  "DeviceButtonstateNotify",
    "DevicePresenceNotify", "DevicePropertyNotify",
};

bool has(const std::vector<std::string>& names, std::string_view n) {
  return std::find(names.begin(), names.end(), n) != names.end();
}

void add_unique(std::vector<std::string>& names, std::string_view n) {
  if (!has(names, n)) names.emplace_back(n);
}

// RECORD CreateContext and RegisterClients share one layout (recordproto.h).
std::optional<Request> decode_record_clients(const Reader& r, Request req) {
  constexpr std::size_t kHead = 20, kRange = 24;
  if (r.size() < kHead) return std::nullopt;
  std::uint32_t n_clients = r.u32(12), n_ranges = r.u32(16);
  if (n_clients > (r.size() - kHead) / 4) return std::nullopt;
  std::size_t ranges_at = kHead + 4 * static_cast<std::size_t>(n_clients);
  if (n_ranges > (r.size() - ranges_at) / kRange) return std::nullopt;
  bool all = false, future = false, current = false, specific = false;
  for (std::uint32_t i = 0; i < n_clients; ++i) {
    switch (r.u32(kHead + 4 * i)) {
      case 1: current = true; break;
      case 2: future = true; break;
      case 3: all = true; break;
      default: specific = true;
    }
  }
  req.detail = all ? "all-clients" : future ? "future-clients" : current ? "current-clients" : specific ? "clients" : "";
  auto covers = [](std::uint8_t first, std::uint8_t last, std::uint8_t code) { return first <= code && code <= last; };
  for (std::uint32_t i = 0; i < n_ranges; ++i) {
    std::size_t at = ranges_at + kRange * i;
    std::uint8_t dev_first = r.u8(at + 18), dev_last = r.u8(at + 19);
    if (dev_first || dev_last) {
      if (covers(dev_first, dev_last, 2)) add_unique(req.mask, "KeyPress");
      if (covers(dev_first, dev_last, 3)) add_unique(req.mask, "KeyRelease");
      if (covers(dev_first, dev_last, 4)) add_unique(req.mask, "ButtonPress");
      if (covers(dev_first, dev_last, 5)) add_unique(req.mask, "ButtonRelease");
      if (covers(dev_first, dev_last, 6)) add_unique(req.mask, "MotionNotify");
    }
    std::uint8_t del_first = r.u8(at + 16), del_last = r.u8(at + 17);
    if (del_first || del_last) {
      if (covers(del_first, del_last, 2) || covers(del_first, del_last, 3)) add_unique(req.mask, "delivered-keys");
      else add_unique(req.mask, "delivered-events");
    }
    if (r.u8(at + 0) || r.u8(at + 1) || r.u8(at + 4) || r.u8(at + 5)) add_unique(req.mask, "requests");
    if (r.u8(at + 2) || r.u8(at + 3) || r.u8(at + 10) || r.u8(at + 11)) add_unique(req.mask, "replies");
    if (r.u8(at + 20) || r.u8(at + 21)) add_unique(req.mask, "errors");
    if (r.u8(at + 22) || r.u8(at + 23)) add_unique(req.mask, "client-lifecycle");
  }
  return req;
}

std::optional<Request> decode_xi2_select(const Reader& r, const ServerInfo& server, Request req) {
  if (r.size() < 12) return std::nullopt;
  std::uint32_t window = r.u32(4);
  std::uint16_t n_masks = r.u16(8);
  std::size_t at = 12;
  for (std::uint16_t i = 0; i < n_masks; ++i) {
    if (at + 4 > r.size()) return std::nullopt;
    std::size_t len = 4 * static_cast<std::size_t>(r.u16(at + 2));
    if (at + 4 + len > r.size()) return std::nullopt;
    // Mask bytes are a little-endian bit array whatever the byte order.
    for (auto& n : xi2_mask_names(r.sub(at + 4, len))) add_unique(req.mask, n);
    at += 4 + len;
  }
  if (req.mask.empty()) return std::nullopt;  // a deselect
  req.root = server.is_root(window);
  req.detail = xi2_detail(req.mask, req.root);
  return req;
}

std::optional<Request> decode_xi1_select(const Reader& r, const ServerInfo& server, Request req) {
  if (r.size() < 12) return std::nullopt;
  std::uint32_t window = r.u32(4);
  std::uint16_t n = r.u16(8);
  if (12 + 4 * static_cast<std::size_t>(n) > r.size()) return std::nullopt;
  for (std::uint16_t i = 0; i < n; ++i) {
    // An event class is (device id << 8) | absolute event type.
    std::uint8_t type = static_cast<std::uint8_t>(r.u32(12 + 4 * static_cast<std::size_t>(i)) & 0xff);
    if (type < server.xinput_first_event) continue;
    std::size_t rel = type - server.xinput_first_event;
    if (rel < kXi1Names.size()) add_unique(req.mask, kXi1Names[rel]);
  }
  req.root = server.is_root(window);
  bool keys = has(req.mask, "DeviceKeyPress") || has(req.mask, "DeviceKeyRelease");
  req.detail = std::string(keys ? "keys-" : "events-") + (req.root ? "root" : "window");
  return req;
}

std::optional<Request> decode_core(const Reader& r, const ServerInfo& server) {
  Request req;
  req.major = r.u8(0);
  auto target = [&](std::size_t at) {
    req.root = server.is_root(r.u32(at));
    req.detail = req.root ? "root" : "window";
  };
  switch (req.major) {
    case kGetImage:
      if (r.size() < 20) return std::nullopt;
      req.name = "GetImage";
      target(4);
      return req;
    case kQueryKeymap:
      req.name = "QueryKeymap";
      return req;
    case kGrabKeyboard:
      if (r.size() < 16) return std::nullopt;
      req.name = "GrabKeyboard";
      target(4);
      return req;
    case kGrabKey:
      if (r.size() < 16) return std::nullopt;
      req.name = "GrabKey";
      req.root = server.is_root(r.u32(4));
      req.detail = r.u8(10) == 0 ? "any-key" : "key";  // AnyKey is 0; which key is not kept
      return req;
    case kConvertSelection: {
      if (r.size() < 24) return std::nullopt;
      req.selection = r.u32(8);
      auto name = server.selection_name(req.selection);
      if (name.empty()) return std::nullopt;
      req.name = "ConvertSelection";
      req.detail = std::string(name);
      return req;
    }
    case kSendEvent: {
      if (r.size() < 44) return std::nullopt;
      std::uint8_t code = r.u8(12) & 0x7f;  // the top bit marks sent events
      if (code != 2 && code != 3) return std::nullopt;  // only key events are injection
      req.name = "SendEvent";
      req.detail = event_code_name(code);
      req.root = server.is_root(r.u32(4));
      return req;
    }
    default: return std::nullopt;
  }
}

}  // namespace

bool ServerInfo::is_root(std::uint32_t window) const {
  return std::find(roots.begin(), roots.end(), window) != roots.end();
}

std::string_view ServerInfo::selection_name(std::uint32_t atom) const {
  if (atom == 0) return "";
  if (atom == clipboard_atom) return "clipboard";
  if (atom == primary_atom) return "primary";
  return "";
}

std::vector<std::string> xi2_mask_names(std::span<const std::uint8_t> mask) {
  std::vector<std::string> out;
  for (std::size_t byte = 0; byte < mask.size(); ++byte) {
    if (!mask[byte]) continue;
    for (int bit = 0; bit < 8; ++bit) {
      if (!(mask[byte] & (1u << bit))) continue;
      std::size_t n = byte * 8 + static_cast<std::size_t>(bit);
      if (n < kXi2Names.size() && !kXi2Names[n].empty()) out.emplace_back(kXi2Names[n]);
      else out.push_back("XI" + std::to_string(n));
    }
  }
  return out;
}

std::string xi2_detail(const std::vector<std::string>& names, bool root) {
  const char* where = root ? "root" : "window";
  if (names.empty()) return "none";
  if (has(names, "RawKeyPress") || has(names, "RawKeyRelease")) return std::string("raw-keys-") + where;
  if (has(names, "KeyPress") || has(names, "KeyRelease")) return std::string("keys-") + where;
  if (has(names, "RawButtonPress") || has(names, "RawButtonRelease") || has(names, "RawMotion"))
    return std::string("raw-pointer-") + where;
  if (has(names, "ButtonPress") || has(names, "ButtonRelease") || has(names, "Motion"))
    return std::string("pointer-") + where;
  return "other";
}

std::string event_code_name(std::uint8_t code) {
  switch (code) {
    case 2: return "key-press";
    case 3: return "key-release";
    case 4: return "button-press";
    case 5: return "button-release";
    case 6: return "motion";
    case 33: return "client-message";
    default: return "event-" + std::to_string(code);
  }
}

std::optional<Request> decode_request(std::span<const std::uint8_t> bytes, const ServerInfo& server,
                                      bool swapped) {
  if (bytes.size() < 4) return std::nullopt;
  Reader head(bytes, swapped);
  // BIG-REQUESTS: a zero length is followed by the real one; the rest of the
  // request shifts by four bytes. Fold it back to the ordinary layout.
  std::vector<std::uint8_t> folded;
  if (head.u16(2) == 0) {
    if (bytes.size() < 8) return std::nullopt;
    folded.assign(bytes.begin(), bytes.begin() + 4);
    folded.insert(folded.end(), bytes.begin() + 8, bytes.end());
    bytes = folded;
  }
  Reader r(bytes, swapped);
  std::uint8_t major = r.u8(0), minor = r.u8(1);
  if (major < 128) return decode_core(r, server);

  Request req;
  req.major = major;
  req.minor = minor;
  if (major == server.record) {
    req.extension = kExtRecord;
    if (minor == kRecordCreateContext) {
      req.name = "RecordCreateContext";
      return decode_record_clients(r, std::move(req));
    }
    if (minor == kRecordRegisterClients) {
      req.name = "RecordRegisterClients";
      return decode_record_clients(r, std::move(req));
    }
    if (minor == kRecordEnableContext) {
      if (r.size() < 8) return std::nullopt;
      req.name = "RecordEnableContext";
      return req;
    }
    return std::nullopt;
  }
  if (major == server.shm) {
    if (minor != kShmGetImage || r.size() < 32) return std::nullopt;
    req.extension = kExtShm;
    req.name = "ShmGetImage";
    req.root = server.is_root(r.u32(4));
    req.detail = req.root ? "root" : "window";
    return req;
  }
  if (major == server.composite) {
    if (minor != kCompositeNameWindowPixmap || r.size() < 12) return std::nullopt;
    req.extension = kExtComposite;
    req.name = "NameWindowPixmap";
    req.detail = "window";
    return req;
  }
  if (major == server.xinput) {
    req.extension = kExtInput;
    if (minor == kXISelectEvents) {
      req.name = "XISelectEvents";
      return decode_xi2_select(r, server, std::move(req));
    }
    if (minor == kXISelectExtensionEvent) {
      req.name = "SelectExtensionEvent";
      return decode_xi1_select(r, server, std::move(req));
    }
    if (minor == kXIOpenDevice) {
      if (r.size() < 8) return std::nullopt;
      req.name = "OpenDevice";
      req.detail = "device-" + std::to_string(r.u8(4));
      return req;
    }
    return std::nullopt;
  }
  if (major == server.xfixes) {
    if (minor != kXFixesSelectSelectionInput || r.size() < 16) return std::nullopt;
    if (r.u32(12) == 0) return std::nullopt;  // stops watching
    auto name = server.selection_name(r.u32(8));
    if (name.empty()) return std::nullopt;
    req.extension = kExtXFixes;
    req.name = "SelectSelectionInput";
    req.detail = std::string(name);
    return req;
  }
  if (major == server.xtest) {
    if (minor != kXTestFakeInput || r.size() < 36) return std::nullopt;
    req.extension = kExtXTest;
    req.name = "XTestFakeInput";
    req.detail = event_code_name(r.u8(4));  // the key or button itself is not kept
    return req;
  }
  return std::nullopt;
}

std::size_t for_each_request(std::span<const std::uint8_t> data, bool swapped, std::size_t header_bytes,
                             const std::function<void(std::span<const std::uint8_t>)>& fn) {
  std::size_t at = 0;
  while (at < data.size()) {
    if (data.size() - at < header_bytes + 4) return data.size() - at;
    std::size_t start = at + header_bytes;
    Reader r(data.subspan(start), swapped);
    std::size_t len = 4 * static_cast<std::size_t>(r.u16(2));
    if (len == 0) {  // BIG-REQUESTS
      if (r.size() < 8) return data.size() - at;
      len = 4 * static_cast<std::size_t>(r.u32(4));
      if (len < 8) return data.size() - at;
    }
    if (len > r.size()) return data.size() - at;
    fn(data.subspan(start, len));
    at = start + len;
  }
  return 0;
}

}  // namespace sousveil::x11
