// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/event.h"

namespace sousveil::pipewire {

// The part of a PipeWire daemon's registry that says who captures what:
// clients (with the pid the daemon took from the socket), capture stream
// nodes, and the links that feed them. Fed from registry globals; no
// library types, so tests feed it by hand.
class CaptureGraph {
 public:
  using Props = std::map<std::string, std::string, std::less<>>;

  // A stream that captures, and its owner as the daemon recorded it.
  struct Capture {
    PipewireInfo info;
    std::uint32_t pid = 0;  // pipewire.sec.pid; 0 when the daemon did not say
    std::uint32_t uid = 0;
  };

  explicit CaptureGraph(std::string socket) : m_socket(std::move(socket)) {}

  // Each returns what became visible: a capture stream that appeared, or
  // one that was linked to its source.
  std::vector<Capture> add_client(std::uint32_t id, const Props& props);
  std::vector<Capture> add_node(std::uint32_t id, const Props& props);
  std::vector<Capture> add_link(std::uint32_t id, const Props& props);
  void remove(std::uint32_t id);

  std::size_t capture_streams() const;
  std::size_t clients() const { return m_clients.size(); }

  // camera, screen, microphone or audio-loopback from what feeds a stream;
  // video or audio while the source is not known.
  static std::string classify(std::string_view stream_class, std::string_view source_class,
                              std::string_view source_name, std::string_view source_role);
  static bool is_capture_class(std::string_view media_class);

 private:
  struct Client {
    std::uint32_t pid = 0;
    std::uint32_t uid = 0;
    std::string app;
  };
  struct Node {
    std::string name;
    std::string media_class;
    std::string role;
    std::uint32_t client = 0;
    bool has_client = false;
    std::string source;  // for a capture stream: the node feeding it
  };
  struct Link {
    std::uint32_t out_node = 0;
    std::uint32_t in_node = 0;
  };
  Capture capture_of(std::uint32_t node_id, const Node& node, const Node* source, std::string state) const;

  std::string m_socket;
  std::map<std::uint32_t, Client> m_clients;
  std::map<std::uint32_t, Node> m_nodes;
  std::map<std::uint32_t, Link> m_links;
};

}  // namespace sousveil::pipewire
