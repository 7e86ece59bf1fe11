// SPDX-License-Identifier: Apache-2.0
#include "sensors/pipewire/capture_graph.h"

#include <gtest/gtest.h>

namespace sousveil::pipewire {
namespace {

using Props = CaptureGraph::Props;

// A registry as a daemon announces it: the client first, then its node.
CaptureGraph given_recorder(std::string media_class = "Stream/Input/Audio") {
  CaptureGraph g("/run/user/1000/pipewire-0");
  EXPECT_TRUE(g.add_client(30, {{"pipewire.sec.pid", "4242"}, {"pipewire.sec.uid", "1000"},
                                {"application.process.id", "1"}, {"application.name", "pw-record"}})
                  .empty());
  auto started = g.add_node(31, {{"node.name", "pw-record"}, {"media.class", media_class}, {"client.id", "30"}});
  EXPECT_EQ(started.size(), 1U);
  return g;
}

TEST(CaptureGraph, ACaptureStreamIsReportedWithThePidTheDaemonRecorded) {
  CaptureGraph g("/run/user/1000/pipewire-0");
  g.add_client(30, {{"pipewire.sec.pid", "4242"}, {"pipewire.sec.uid", "1000"}, {"application.process.id", "1"},
                    {"application.name", "pw-record"}});
  auto out = g.add_node(31, {{"node.name", "pw-record"}, {"media.class", "Stream/Input/Audio"}, {"client.id", "30"}});
  ASSERT_EQ(out.size(), 1U);
  // The socket's peer, not what the client says about itself.
  EXPECT_EQ(out[0].pid, 4242U);
  EXPECT_EQ(out[0].uid, 1000U);
  EXPECT_EQ(out[0].info.app, "pw-record");
  EXPECT_EQ(out[0].info.media_class, "Stream/Input/Audio");
  EXPECT_EQ(out[0].info.node_id, 31U);
  EXPECT_EQ(out[0].info.node_name, "pw-record");
  EXPECT_EQ(out[0].info.state, "started");
  EXPECT_EQ(out[0].info.capture, "audio");
  EXPECT_EQ(out[0].info.socket, "/run/user/1000/pipewire-0");
  EXPECT_EQ(g.capture_streams(), 1U);
}

TEST(CaptureGraph, PlaybackAndDevicesAreNotCapture) {
  CaptureGraph g("s");
  g.add_client(30, {{"pipewire.sec.pid", "7"}});
  EXPECT_TRUE(g.add_node(40, {{"media.class", "Stream/Output/Audio"}, {"client.id", "30"}}).empty());
  EXPECT_TRUE(g.add_node(41, {{"media.class", "Audio/Source"}, {"node.name", "alsa_input.pci"}}).empty());
  EXPECT_TRUE(g.add_node(42, {{"media.class", "Video/Source"}, {"node.name", "v4l2_input.usb"}}).empty());
  EXPECT_EQ(g.capture_streams(), 0U);
}

struct LinkCase {
  const char* name;
  const char* stream_class;
  Props source;
  const char* capture;
};

class Classify : public ::testing::TestWithParam<LinkCase> {};

TEST_P(Classify, TheLinkedSourceSaysWhatIsCaptured) {
  const auto& c = GetParam();
  auto g = given_recorder(c.stream_class);
  g.add_node(50, c.source);
  auto out = g.add_link(60, {{"link.output.node", "50"}, {"link.input.node", "31"}});
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].info.capture, c.capture);
  EXPECT_EQ(out[0].info.state, "linked");
  EXPECT_EQ(out[0].info.source, c.source.at("node.name"));
  EXPECT_EQ(out[0].info.source_class, c.source.at("media.class"));
  EXPECT_EQ(out[0].pid, 4242U);
  // The second channel's link names the same source: reported once.
  EXPECT_TRUE(g.add_link(61, {{"link.output.node", "50"}, {"link.input.node", "31"}}).empty());
}

INSTANTIATE_TEST_SUITE_P(
    Sources, Classify,
    ::testing::Values(
        LinkCase{"Microphone", "Stream/Input/Audio",
                 {{"node.name", "alsa_input.pci-0000_00_1f.3.analog-stereo"}, {"media.class", "Audio/Source"}},
                 "microphone"},
        LinkCase{"SinkMonitor", "Stream/Input/Audio",
                 {{"node.name", "alsa_output.pci-0000_00_1f.3.analog-stereo"}, {"media.class", "Audio/Sink"}},
                 "audio-loopback"},
        LinkCase{"V4l2Camera", "Stream/Input/Video",
                 {{"node.name", "v4l2_input.pci-0000_00_14.0-usb-0_1_1.0"}, {"media.class", "Video/Source"}},
                 "camera"},
        LinkCase{"CameraByRole", "Stream/Input/Video",
                 {{"node.name", "some-camera"}, {"media.class", "Video/Source"}, {"media.role", "Camera"}},
                 "camera"},
        LinkCase{"GnomeScreenCast", "Stream/Input/Video",
                 {{"node.name", "gnome-shell-screencast"}, {"media.class", "Stream/Output/Video"}}, "screen"},
        LinkCase{"WlrScreenCast", "Stream/Input/Video",
                 {{"node.name", "xdpw_videostream"}, {"media.class", "Video/Source"}}, "screen"}),
    [](const auto& tc) { return std::string(tc.param.name); });

TEST(CaptureGraph, LinksIntoPlaybackOrUnknownNodesAreIgnored) {
  auto g = given_recorder();
  EXPECT_TRUE(g.add_link(70, {{"link.output.node", "31"}, {"link.input.node", "99"}}).empty());
  EXPECT_TRUE(g.add_link(71, {{"link.output.node", "x"}, {"link.input.node", "31"}}).empty());
}

TEST(CaptureGraph, SelfReportedPidOnlyWhenTheDaemonGaveNone) {
  CaptureGraph g("s");
  g.add_client(30, {{"application.process.id", "55"}});
  auto out = g.add_node(31, {{"media.class", "Stream/Input/Video"}, {"client.id", "30"}});
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].pid, 55U);
  EXPECT_EQ(out[0].info.capture, "video");
}

TEST(CaptureGraph, RemovedObjectsAreForgotten) {
  auto g = given_recorder();
  g.remove(31);
  EXPECT_EQ(g.capture_streams(), 0U);
  g.remove(30);
  EXPECT_EQ(g.clients(), 0U);
  // A node whose client is gone still says what it is, with no pid.
  auto out = g.add_node(32, {{"media.class", "Stream/Input/Audio"}, {"client.id", "30"}});
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].pid, 0U);
}

}  // namespace
}  // namespace sousveil::pipewire
