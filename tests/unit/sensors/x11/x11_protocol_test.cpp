// SPDX-License-Identifier: Apache-2.0
// The request decoder on requests built byte by byte as the X11 protocol
// lays them out (client byte order little-endian unless swapped).
#include "sensors/x11/x11_protocol.h"

#include <gtest/gtest.h>

#include <vector>

namespace sousveil::x11 {
namespace {

constexpr std::uint32_t kRoot = 0x000005a3;
constexpr std::uint32_t kWindow = 0x02c00007;
constexpr std::uint32_t kClipboard = 0x1d7;

ServerInfo server() {
  ServerInfo s;
  s.record = 146;
  s.xinput = 131;
  s.shm = 130;
  s.composite = 142;
  s.xfixes = 138;
  s.xtest = 132;
  s.xinput_first_event = 66;
  s.roots = {kRoot};
  s.clipboard_atom = kClipboard;
  return s;
}

// A request under construction; length is filled in by done().
class Bytes {
 public:
  explicit Bytes(bool big_endian = false) : m_be(big_endian) {}
  Bytes& u8(std::uint8_t v) {
    m_b.push_back(v);
    return *this;
  }
  Bytes& u16(std::uint16_t v) {
    if (m_be) return u8(static_cast<std::uint8_t>(v >> 8)).u8(static_cast<std::uint8_t>(v));
    return u8(static_cast<std::uint8_t>(v)).u8(static_cast<std::uint8_t>(v >> 8));
  }
  Bytes& u32(std::uint32_t v) {
    if (m_be) return u16(static_cast<std::uint16_t>(v >> 16)).u16(static_cast<std::uint16_t>(v));
    return u16(static_cast<std::uint16_t>(v)).u16(static_cast<std::uint16_t>(v >> 16));
  }
  Bytes& pad(std::size_t n) {
    m_b.insert(m_b.end(), n, 0);
    return *this;
  }
  // Header: opcode, data byte, and a length placeholder.
  static Bytes request(std::uint8_t major, std::uint8_t data, bool be = false) {
    Bytes b(be);
    b.u8(major).u8(data).u16(0);
    return b;
  }
  std::vector<std::uint8_t> done() {
    while (m_b.size() % 4) m_b.push_back(0);
    auto words = static_cast<std::uint16_t>(m_b.size() / 4);
    if (m_be) {
      m_b[2] = static_cast<std::uint8_t>(words >> 8);
      m_b[3] = static_cast<std::uint8_t>(words);
    } else {
      m_b[2] = static_cast<std::uint8_t>(words);
      m_b[3] = static_cast<std::uint8_t>(words >> 8);
    }
    return m_b;
  }

 private:
  bool m_be;
  std::vector<std::uint8_t> m_b;
};

std::vector<std::uint8_t> get_image(std::uint32_t drawable, bool be = false) {
  return Bytes::request(kGetImage, 2 /*ZPixmap*/, be).u32(drawable).u16(0).u16(0).u16(1024).u16(768)
      .u32(0xffffffff).done();
}

std::vector<std::uint8_t> xi_select(std::uint32_t window, std::vector<std::uint8_t> mask, std::uint16_t device = 0) {
  auto b = Bytes::request(131, kXISelectEvents).u32(window).u16(1).u16(0);
  while (mask.size() % 4) mask.push_back(0);
  b.u16(device).u16(static_cast<std::uint16_t>(mask.size() / 4));
  for (auto m : mask) b.u8(m);
  return b.done();
}

TEST(X11Decoder, GetImageOfTheRootWindow) {
  auto r = decode_request(get_image(kRoot), server());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "GetImage");
  EXPECT_EQ(r->extension, "");
  EXPECT_EQ(r->detail, "root");
  EXPECT_TRUE(r->root);
}

TEST(X11Decoder, GetImageOfAWindowInTheOtherByteOrder) {
  auto r = decode_request(get_image(kWindow, true), server(), /*swapped=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->detail, "window");
  EXPECT_FALSE(r->root);
  // Read in the wrong order, the root would not be recognised.
  auto wrong = decode_request(get_image(kRoot, true), server(), false);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->detail, "window");
}

TEST(X11Decoder, TruncatedRequestsAreIgnored) {
  auto bytes = get_image(kRoot);
  bytes.resize(12);
  EXPECT_FALSE(decode_request(bytes, server()));
  EXPECT_FALSE(decode_request(std::vector<std::uint8_t>{73, 0}, server()));
  EXPECT_FALSE(decode_request(std::vector<std::uint8_t>{}, server()));
}

TEST(X11Decoder, BigRequestFormIsFoldedBack) {
  // Length 0, then the 32-bit length, then the ordinary body.
  auto plain = get_image(kRoot);
  std::vector<std::uint8_t> big = {plain[0], plain[1], 0, 0, 6, 0, 0, 0};
  big.insert(big.end(), plain.begin() + 4, plain.end());
  auto r = decode_request(big, server());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->detail, "root");
}

TEST(X11Decoder, QueryKeymapAndGrabs) {
  auto q = decode_request(Bytes::request(kQueryKeymap, 0).done(), server());
  ASSERT_TRUE(q);
  EXPECT_EQ(q->name, "QueryKeymap");

  auto gk = decode_request(Bytes::request(kGrabKeyboard, 1).u32(kRoot).u32(0).u8(1).u8(1).pad(2).done(), server());
  ASSERT_TRUE(gk);
  EXPECT_EQ(gk->name, "GrabKeyboard");
  EXPECT_TRUE(gk->root);

  auto any = decode_request(Bytes::request(kGrabKey, 1).u32(kRoot).u16(0x8000).u8(0).u8(1).u8(1).pad(3).done(), server());
  ASSERT_TRUE(any);
  EXPECT_EQ(any->name, "GrabKey");
  EXPECT_EQ(any->detail, "any-key");
  auto one = decode_request(Bytes::request(kGrabKey, 1).u32(kRoot).u16(4).u8(38).u8(1).u8(1).pad(3).done(), server());
  ASSERT_TRUE(one);
  EXPECT_EQ(one->detail, "key");
}

TEST(X11Decoder, ConvertSelectionOnlyForClipboardAndPrimary) {
  auto conv = [](std::uint32_t selection) {
    return Bytes::request(kConvertSelection, 0).u32(kWindow).u32(selection).u32(31).u32(0x123).u32(0).done();
  };
  auto clip = decode_request(conv(kClipboard), server());
  ASSERT_TRUE(clip);
  EXPECT_EQ(clip->name, "ConvertSelection");
  EXPECT_EQ(clip->detail, "clipboard");
  EXPECT_EQ(clip->selection, kClipboard);
  auto primary = decode_request(conv(1), server());
  ASSERT_TRUE(primary);
  EXPECT_EQ(primary->detail, "primary");
  EXPECT_FALSE(decode_request(conv(0x2ff), server()));  // some other selection
}

TEST(X11Decoder, SendEventOnlyWithKeyEvents) {
  auto send = [](std::uint8_t code) {
    auto b = Bytes::request(kSendEvent, 0).u32(kWindow).u32(1);
    b.u8(static_cast<std::uint8_t>(code | 0x80)).pad(31);
    return b.done();
  };
  auto key = decode_request(send(2), server());
  ASSERT_TRUE(key);
  EXPECT_EQ(key->name, "SendEvent");
  EXPECT_EQ(key->detail, "key-press");
  auto rel = decode_request(send(3), server());
  ASSERT_TRUE(rel);
  EXPECT_EQ(rel->detail, "key-release");
  EXPECT_FALSE(decode_request(send(33), server()));  // ClientMessage: window-manager chatter
}

TEST(X11Decoder, ExtensionRequestsByTheirLearntMajor) {
  auto shm = decode_request(Bytes::request(130, kShmGetImage).u32(kRoot).u16(0).u16(0).u16(10).u16(10)
                                .u32(~0u).u8(2).pad(3).u32(0x400001).u32(0).done(), server());
  ASSERT_TRUE(shm);
  EXPECT_EQ(shm->name, "ShmGetImage");
  EXPECT_EQ(shm->extension, "MIT-SHM");
  EXPECT_EQ(shm->detail, "root");

  auto pix = decode_request(Bytes::request(142, kCompositeNameWindowPixmap).u32(kWindow).u32(0x400002).done(), server());
  ASSERT_TRUE(pix);
  EXPECT_EQ(pix->name, "NameWindowPixmap");

  auto fake = decode_request(Bytes::request(132, kXTestFakeInput).u8(2).u8(38).pad(2).u32(0).u32(0).pad(8)
                                 .u16(0).u16(0).pad(7).u8(0).done(), server());
  ASSERT_TRUE(fake);
  EXPECT_EQ(fake->name, "XTestFakeInput");
  EXPECT_EQ(fake->detail, "key-press");

  auto watch = decode_request(Bytes::request(138, kXFixesSelectSelectionInput).u32(kRoot).u32(kClipboard).u32(7).done(), server());
  ASSERT_TRUE(watch);
  EXPECT_EQ(watch->name, "SelectSelectionInput");
  EXPECT_EQ(watch->detail, "clipboard");
  // A mask of 0 stops watching: nothing to report.
  EXPECT_FALSE(decode_request(Bytes::request(138, kXFixesSelectSelectionInput).u32(kRoot).u32(kClipboard).u32(0).done(), server()));

  // The same minor under a major the server did not give these extensions.
  EXPECT_FALSE(decode_request(Bytes::request(150, kShmGetImage).u32(kRoot).pad(28).done(), server()));
  // An extension the server lacks (major 0) never matches.
  ServerInfo no_shm = server();
  no_shm.shm = 0;
  EXPECT_FALSE(decode_request(Bytes::request(130, kShmGetImage).u32(kRoot).pad(28).done(), no_shm));
}

TEST(X11Decoder, RecordContextsByOtherClients) {
  // CreateContext: context, element header, 1 client spec (AllClients), 1 range with device events 2..3.
  auto b = Bytes::request(146, kRecordCreateContext).u32(0x3200001).u8(0).pad(3).u32(1).u32(1).u32(3);
  b.u8(0).u8(0).u8(0).u8(0).pad(12).u8(0).u8(0).u8(2).u8(3).u8(0).u8(0).u8(0).u8(0);
  auto create = decode_request(b.done(), server());
  ASSERT_TRUE(create);
  EXPECT_EQ(create->name, "RecordCreateContext");
  EXPECT_EQ(create->extension, "RECORD");
  EXPECT_EQ(create->detail, "all-clients");
  EXPECT_EQ(create->mask, (std::vector<std::string>{"KeyPress", "KeyRelease"}));

  // More ranges claimed than bytes sent: ignored.
  auto bad = Bytes::request(146, kRecordCreateContext).u32(0x3200001).u8(0).pad(3).u32(1).u32(9).u32(3).done();
  EXPECT_FALSE(decode_request(bad, server()));

  auto enable = decode_request(Bytes::request(146, kRecordEnableContext).u32(0x3200001).done(), server());
  ASSERT_TRUE(enable);
  EXPECT_EQ(enable->name, "RecordEnableContext");
}

TEST(X11Decoder, XI2RawKeysOnTheRootIsAKeylogger) {
  // Bits 13 and 14: XI_RawKeyPress and XI_RawKeyRelease (xinput test-xi2 --root).
  auto r = decode_request(xi_select(kRoot, {0x00, 0x60}), server());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "XISelectEvents");
  EXPECT_EQ(r->extension, "XInputExtension");
  EXPECT_EQ(r->detail, "raw-keys-root");
  EXPECT_TRUE(r->root);
  EXPECT_EQ(r->mask, (std::vector<std::string>{"RawKeyPress", "RawKeyRelease"}));
}

TEST(X11Decoder, XI2PointerOnAWindowAndDeselect) {
  auto r = decode_request(xi_select(kWindow, {0x70}), server());  // ButtonPress, ButtonRelease, Motion
  ASSERT_TRUE(r);
  EXPECT_EQ(r->detail, "pointer-window");
  EXPECT_FALSE(decode_request(xi_select(kRoot, {0, 0, 0, 0}), server()));  // empty mask: a deselect
  // A mask claiming more words than were sent.
  auto cut = xi_select(kRoot, {0, 0x60});
  cut[14] = 9;
  EXPECT_FALSE(decode_request(cut, server()));
}

TEST(X11Decoder, XI1SelectExtensionEventNamesDeviceKeys) {
  // Event class = device << 8 | (first_event + DeviceKeyPress(1)).
  auto r = decode_request(Bytes::request(131, kXISelectExtensionEvent).u32(kRoot).u16(2).u16(0)
                              .u32((3u << 8) | 67u).u32((3u << 8) | 68u).done(), server());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "SelectExtensionEvent");
  EXPECT_EQ(r->detail, "keys-root");
  EXPECT_EQ(r->mask, (std::vector<std::string>{"DeviceKeyPress", "DeviceKeyRelease"}));
  auto open = decode_request(Bytes::request(131, kXIOpenDevice).u8(3).pad(3).done(), server());
  ASSERT_TRUE(open);
  EXPECT_EQ(open->name, "OpenDevice");
  EXPECT_EQ(open->detail, "device-3");
}

TEST(X11Decoder, UnwatchedCoreRequestsAreIgnored) {
  EXPECT_FALSE(decode_request(Bytes::request(1 /*CreateWindow*/, 0).pad(28).done(), server()));
  EXPECT_FALSE(decode_request(Bytes::request(72 /*PutImage*/, 2).pad(20).done(), server()));
}

TEST(XI2Mask, NamesEveryBit) {
  EXPECT_EQ(xi2_mask_names(std::vector<std::uint8_t>{0x04, 0x00, 0x00, 0x00}),
            (std::vector<std::string>{"KeyPress"}));
  EXPECT_EQ(xi2_mask_names(std::vector<std::uint8_t>{0x00, 0x00, 0x02, 0x00}),
            (std::vector<std::string>{"RawMotion"}));
  EXPECT_EQ(xi2_mask_names(std::vector<std::uint8_t>{0x00, 0x00, 0x00, 0x00, 0x04}),
            (std::vector<std::string>{"XI34"}));
  EXPECT_TRUE(xi2_mask_names(std::vector<std::uint8_t>{}).empty());
}

struct DetailCase {
  std::vector<std::string> names;
  bool root;
  std::string detail;
};

class XI2Detail : public ::testing::TestWithParam<DetailCase> {};

TEST_P(XI2Detail, OneWordForRules) {
  EXPECT_EQ(xi2_detail(GetParam().names, GetParam().root), GetParam().detail);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, XI2Detail,
    ::testing::Values(DetailCase{{"RawKeyPress"}, true, "raw-keys-root"},
                      DetailCase{{"RawMotion", "RawKeyRelease"}, true, "raw-keys-root"},
                      DetailCase{{"KeyPress", "KeyRelease"}, true, "keys-root"},
                      DetailCase{{"KeyPress"}, false, "keys-window"},
                      DetailCase{{"RawButtonPress"}, true, "raw-pointer-root"},
                      DetailCase{{"Motion"}, false, "pointer-window"},
                      DetailCase{{"HierarchyChanged"}, true, "other"}, DetailCase{{}, true, "none"}));

TEST(X11RecordData, SplitsSeveralRequestsAndReportsLeftovers) {
  auto a = get_image(kRoot);
  auto b = Bytes::request(kQueryKeymap, 0).done();
  std::vector<std::uint8_t> data = a;
  data.insert(data.end(), b.begin(), b.end());
  std::vector<std::size_t> sizes;
  auto left = for_each_request(data, false, 0, [&](std::span<const std::uint8_t> r) { sizes.push_back(r.size()); });
  EXPECT_EQ(left, 0u);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{20, 4}));

  // A request cut short at the end of the data.
  data.insert(data.end(), a.begin(), a.begin() + 8);
  sizes.clear();
  left = for_each_request(data, false, 0, [&](std::span<const std::uint8_t> r) { sizes.push_back(r.size()); });
  EXPECT_EQ(left, 8u);
  EXPECT_EQ(sizes.size(), 2u);

  // With a 4-byte element header (client sequence) before each request.
  std::vector<std::uint8_t> with_seq = {1, 0, 0, 0};
  with_seq.insert(with_seq.end(), b.begin(), b.end());
  sizes.clear();
  EXPECT_EQ(for_each_request(with_seq, false, 4, [&](std::span<const std::uint8_t> r) { sizes.push_back(r.size()); }), 0u);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{4}));
}

}  // namespace
}  // namespace sousveil::x11
