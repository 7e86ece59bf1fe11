// SPDX-License-Identifier: Apache-2.0
// sousveild: the agent, as a systemd service or in the foreground; serves the socket API.
#include <cstdio>
#include <string>

#include "service/daemon.h"

int main(int argc, char** argv) {
  sousveil::service::DaemonOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-v" || a == "--verbose") options.verbose = true;
    else if (a == "--no-bpf") options.no_bpf = true;
    else if (a == "--rules" && i + 1 < argc) options.rules.emplace_back(argv[++i]);
    else if (a == "--config" && i + 1 < argc) options.config_path = argv[++i];
    else if (a == "--socket" && i + 1 < argc) options.socket = argv[++i];
    else if (a == "--socket-group" && i + 1 < argc) options.socket_group = argv[++i];
    else if (a == "--no-socket") options.no_socket = true;
    else if (a == "--store" && i + 1 < argc) options.store = argv[++i];
    else if (a == "--no-store") options.no_store = true;
    else if (a == "--foreground") continue;  // the only mode: systemd runs it as Type=notify
    else {
      std::fprintf(stderr,
                   "sousveild: unknown flag '%s' (known: --config PATH, --no-bpf, --rules PATH, --socket PATH, "
                   "--socket-group NAME, --no-socket, --store PATH, --no-store, --foreground, -v)\n",
                   argv[i]);
      return 2;
    }
  }
  return sousveil::service::run_daemon(options);
}
