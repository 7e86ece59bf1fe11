// SPDX-License-Identifier: Apache-2.0
#include "sensors/pipewire/capture_graph.h"

#include <charconv>

namespace sousveil::pipewire {
namespace {

std::optional<std::uint32_t> number(const CaptureGraph::Props& props, std::string_view key) {
  auto it = props.find(key);
  if (it == props.end()) return std::nullopt;
  std::uint32_t v = 0;
  const auto& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string text(const CaptureGraph::Props& props, std::string_view key) {
  auto it = props.find(key);
  return it == props.end() ? std::string() : it->second;
}

}  // namespace

bool CaptureGraph::is_capture_class(std::string_view media_class) {
  return media_class == "Stream/Input/Audio" || media_class == "Stream/Input/Video";
}

std::string CaptureGraph::classify(std::string_view stream_class, std::string_view source_class,
                                   std::string_view source_name, std::string_view source_role) {
  bool video = stream_class == "Stream/Input/Video";
  if (source_class.empty()) return video ? "video" : "audio";
  if (video) {
    // Cameras come from the v4l2 or libcamera monitors, with role Camera;
    // everything else that produces video is a screen or window cast.
    if (source_role == "Camera" || source_name.starts_with("v4l2_input.") ||
        source_name.starts_with("libcamera_input."))
      return "camera";
    return "screen";
  }
  // A sink's monitor is what the computer plays, not the microphone.
  if (source_class.starts_with("Audio/Sink") || source_class == "Stream/Output/Audio") return "audio-loopback";
  return "microphone";
}

CaptureGraph::Capture CaptureGraph::capture_of(std::uint32_t node_id, const Node& node, const Node* source,
                                               std::string state) const {
  Capture c;
  c.info.socket = m_socket;
  c.info.node_id = node_id;
  c.info.node_name = node.name;
  c.info.media_class = node.media_class;
  if (source) {
    c.info.source = source->name;
    c.info.source_class = source->media_class;
  }
  c.info.capture = classify(node.media_class, source ? std::string_view(source->media_class) : "",
                            source ? std::string_view(source->name) : "",
                            source ? std::string_view(source->role) : "");
  c.info.state = std::move(state);
  if (node.has_client) {
    if (auto it = m_clients.find(node.client); it != m_clients.end()) {
      c.pid = it->second.pid;
      c.uid = it->second.uid;
      c.info.app = it->second.app;
    }
  }
  return c;
}

std::vector<CaptureGraph::Capture> CaptureGraph::add_client(std::uint32_t id, const Props& props) {
  Client c;
  // pipewire.sec.pid comes from SO_PEERCRED; application.process.id is what
  // the client says about itself and is only a fallback.
  c.pid = number(props, "pipewire.sec.pid").value_or(number(props, "application.process.id").value_or(0));
  c.uid = number(props, "pipewire.sec.uid").value_or(0);
  c.app = text(props, "application.name");
  m_clients[id] = std::move(c);
  return {};
}

std::vector<CaptureGraph::Capture> CaptureGraph::add_node(std::uint32_t id, const Props& props) {
  Node n;
  n.name = text(props, "node.name");
  n.media_class = text(props, "media.class");
  n.role = text(props, "media.role");
  if (auto client = number(props, "client.id")) {
    n.client = *client;
    n.has_client = true;
  }
  auto& node = m_nodes[id] = std::move(n);
  if (!is_capture_class(node.media_class)) return {};
  return {capture_of(id, node, nullptr, "started")};
}

std::vector<CaptureGraph::Capture> CaptureGraph::add_link(std::uint32_t id, const Props& props) {
  auto out = number(props, "link.output.node");
  auto in = number(props, "link.input.node");
  if (!out || !in) return {};
  m_links[id] = Link{*out, *in};
  auto sink = m_nodes.find(*in);
  auto source = m_nodes.find(*out);
  if (sink == m_nodes.end() || !is_capture_class(sink->second.media_class)) return {};
  const Node* src = source == m_nodes.end() ? nullptr : &source->second;
  // A stream has one source per channel: report the source once.
  if (src && sink->second.source == src->name) return {};
  if (src) sink->second.source = src->name;
  return {capture_of(*in, sink->second, src, "linked")};
}

void CaptureGraph::remove(std::uint32_t id) {
  m_clients.erase(id);
  m_nodes.erase(id);
  m_links.erase(id);
}

std::size_t CaptureGraph::capture_streams() const {
  std::size_t n = 0;
  for (const auto& [id, node] : m_nodes)
    if (is_capture_class(node.media_class)) ++n;
  return n;
}

}  // namespace sousveil::pipewire
