// fault-proxy: an HTTPS proxy that breaks requests on purpose, for testing a
// sync client against the Ed-Fi double.
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "fault_proxy/proxy_server.hpp"

int main(int argc, char** argv) {
  CLI::App app{"fault-proxy: TLS on both sides, faults on request (127.0.0.1 only)"};
  fault_proxy::ProxyConfig config;
  std::string upstreamUrl;
  std::string caFile;
  bool quiet = false;
  app.add_option("--port", config.port, "port to listen on; 0 picks a free one")->check(CLI::Range(0, 65535));
  app.add_option("--cert", config.certFile, "server certificate (PEM)")->required()->check(CLI::ExistingFile);
  app.add_option("--key", config.keyFile, "server private key (PEM)")->required()->check(CLI::ExistingFile);
  app.add_option("--upstream", upstreamUrl, "the upstream, e.g. https://127.0.0.1:8443")->required();
  app.add_option("--ca", caFile, "CA bundle that verifies the upstream (PEM)")->required()->check(CLI::ExistingFile);
  app.add_option("--seed", config.seed, "default seed for random mode")->capture_default_str();
  app.add_flag("--quiet", quiet, "do not log one line per request to stderr");
  CLI11_PARSE(app, argc, argv);
  config.logRequests = !quiet;

  auto upstream = fault_proxy::parseHttpsUrl(upstreamUrl, caFile);
  if (!upstream) {
    std::cerr << "fault-proxy: --upstream must look like https://host:port\n";
    return 2;
  }
  config.upstream = *upstream;

  // Signals are taken by sigwait below; every thread started later inherits the block.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  fault_proxy::ProxyServer server(config);
  if (auto error = server.open()) {
    std::cerr << "fault-proxy: " << *error << "\n";
    return 1;
  }
  std::cout << "listening on https://127.0.0.1:" << server.port() << std::endl;

  std::thread serving([&server] { server.run(); });
  int received = 0;
  sigwait(&stopSignals, &received);
  server.stop();
  serving.join();
  return 0;
}
