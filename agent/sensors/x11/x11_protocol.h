// SPDX-License-Identifier: Apache-2.0
// Decoding of the X11 requests that matter for capture, from the raw bytes the
// RECORD extension hands over. Pure functions over byte spans: no X
// connection, so unit tests feed hand-built requests. Only the request's kind
// and target are read; requests carry no pixels, keys or clipboard contents.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sousveil::x11 {

// Core opcodes (Xproto.h).
inline constexpr std::uint8_t kConvertSelection = 24;
inline constexpr std::uint8_t kSendEvent = 25;
inline constexpr std::uint8_t kGrabKeyboard = 31;
inline constexpr std::uint8_t kGrabKey = 33;
inline constexpr std::uint8_t kQueryKeymap = 44;
inline constexpr std::uint8_t kGetImage = 73;

// Minor opcodes of the extensions watched (their protocol headers).
inline constexpr std::uint8_t kRecordCreateContext = 1;
inline constexpr std::uint8_t kRecordRegisterClients = 2;
inline constexpr std::uint8_t kRecordEnableContext = 5;
inline constexpr std::uint8_t kShmGetImage = 4;
inline constexpr std::uint8_t kCompositeNameWindowPixmap = 6;
inline constexpr std::uint8_t kXIOpenDevice = 3;
inline constexpr std::uint8_t kXISelectExtensionEvent = 6;
inline constexpr std::uint8_t kXISelectEvents = 46;
inline constexpr std::uint8_t kXFixesSelectSelectionInput = 2;
inline constexpr std::uint8_t kXTestFakeInput = 2;

// Extension names as the server knows them.
inline constexpr std::string_view kExtRecord = "RECORD";
inline constexpr std::string_view kExtInput = "XInputExtension";
inline constexpr std::string_view kExtShm = "MIT-SHM";
inline constexpr std::string_view kExtComposite = "Composite";
inline constexpr std::string_view kExtXFixes = "XFIXES";
inline constexpr std::string_view kExtXTest = "XTEST";

// What the decoder must know about the server, learnt at connect.
struct ServerInfo {
  // Major opcodes; 0 where the server lacks the extension.
  std::uint8_t record = 0;
  std::uint8_t xinput = 0;
  std::uint8_t shm = 0;
  std::uint8_t composite = 0;
  std::uint8_t xfixes = 0;
  std::uint8_t xtest = 0;
  std::uint8_t xinput_first_event = 0;  // XI1 event types are relative to it
  std::vector<std::uint32_t> roots;     // root window of each screen
  std::uint32_t clipboard_atom = 0;     // CLIPBOARD, interned at connect
  std::uint32_t primary_atom = 1;       // PRIMARY is predefined

  bool is_root(std::uint32_t window) const;
  // "clipboard", "primary", or "" for any other selection.
  std::string_view selection_name(std::uint32_t atom) const;
};

// One decoded request: what a rule needs, nothing captured.
struct Request {
  std::string_view name;       // GetImage, XISelectEvents...
  std::string_view extension;  // "" for core
  std::uint8_t major = 0;
  std::uint8_t minor = 0;
  std::string detail;          // root, window, raw-keys-root, clipboard, key-press, any-key...
  bool root = false;
  std::vector<std::string> mask;
  std::uint32_t selection = 0;  // ConvertSelection: the selection atom, for the owner check
};

// Decodes one request (bytes as sent, BIG-REQUESTS form allowed). nullopt for
// a request that is not one of those watched, one that changes nothing worth
// reporting (a deselect, a SendEvent of a non-key event, a selection other than
// CLIPBOARD and PRIMARY), or one too short for its kind: odd data changes nothing.
std::optional<Request> decode_request(std::span<const std::uint8_t> bytes, const ServerInfo& server,
                                      bool swapped = false);

// The requests in one RECORD "from client" reply: each is handed to fn; the
// count of bytes that did not form a whole request is returned (0 normally).
// header_bytes is what the context's element_header puts before each request
// (4 per flag set of FromClientTime and FromClientSequence).
std::size_t for_each_request(std::span<const std::uint8_t> data, bool swapped, std::size_t header_bytes,
                             const std::function<void(std::span<const std::uint8_t>)>& fn);

// XI2 event type names of the bits set in an XI event mask (XI2.h).
std::vector<std::string> xi2_mask_names(std::span<const std::uint8_t> mask);

// The XI2 selection in one word, for rules: raw-keys-root, keys-root,
// keys-window, raw-pointer-root, pointer-root, pointer-window, other, none.
std::string xi2_detail(const std::vector<std::string>& names, bool root);

// The name of a core event code, for SendEvent and FakeInput: key-press,
// key-release, button-press, button-release, motion, client-message...
std::string event_code_name(std::uint8_t code);

}  // namespace sousveil::x11
