// edfi-double: a local stand-in for an Ed-Fi ODS/API 7.x, over HTTPS.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "edfi_double/api.hpp"
#include "edfi_double/https_server.hpp"

int main(int argc, char** argv) {
  CLI::App app{"edfi-double: an Ed-Fi ODS/API 7.x test double (HTTPS, 127.0.0.1 only)"};
  int port = 0;
  std::string certFile;
  std::string keyFile;
  std::string seedFile;
  std::string dataStandard = "5.2";
  long long tokenTtl = 1800;
  bool quiet = false;
  edfi_double::ApiConfig config;
  app.add_option("--port", port, "port to listen on; 0 picks a free one")->check(CLI::Range(0, 65535));
  app.add_option("--cert", certFile, "server certificate (PEM)")->required()->check(CLI::ExistingFile);
  app.add_option("--key", keyFile, "server private key (PEM)")->required()->check(CLI::ExistingFile);
  app.add_option("--client-id", config.clientId, "the OAuth client id accepted")->capture_default_str();
  app.add_option("--client-secret", config.clientSecret, "the OAuth client secret accepted")->capture_default_str();
  app.add_option("--namespace", config.namespacePrefix, "the client's assessment namespace prefix")
      ->capture_default_str();
  app.add_option("--token-ttl", tokenTtl, "token lifetime in seconds (expires_in)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", seedFile, "JSON seed: students, assessmentAdministrations, ...")
      ->check(CLI::ExistingFile);
  app.add_option("--ds", dataStandard, "Ed-Fi Data Standard to play")
      ->capture_default_str()
      ->check(CLI::IsMember({"5.2", "5.1"}));
  app.add_flag("--quiet", quiet, "do not log one line per request to stderr");
  CLI11_PARSE(app, argc, argv);

  config.tokenTtl = std::chrono::seconds(tokenTtl);
  config.dataStandard = dataStandard == "5.1" ? edfi_double::DataStandard::V51 : edfi_double::DataStandard::V52;
  if (!seedFile.empty()) {
    std::ifstream in(seedFile);
    config.startupSeed = nlohmann::json::parse(in, nullptr, false);
    if (config.startupSeed.is_discarded()) {
      std::cerr << "edfi-double: " << seedFile << " is not valid JSON\n";
      return 2;
    }
  }

  // Signals are taken by sigwait below; every thread started later inherits the block.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  edfi_double::Api api(config);
  if (auto error = api.applyStartupSeed()) {
    std::cerr << "edfi-double: seed rejected: " << *error << "\n";
    return 2;
  }
  edfi_double::HttpsServer server(api, certFile, keyFile, !quiet);
  if (!server.certificateLoaded()) {
    std::cerr << "edfi-double: could not load " << certFile << " / " << keyFile << "\n";
    return 1;
  }
  const int boundPort = server.bind(port);
  if (boundPort < 0) {
    std::cerr << "edfi-double: could not listen on 127.0.0.1:" << port << "\n";
    return 1;
  }
  std::cout << "listening on https://127.0.0.1:" << boundPort << std::endl;

  std::thread serving([&server] {
    if (!server.run()) kill(getpid(), SIGTERM); // let main's sigwait return
  });
  int received = 0;
  sigwait(&stopSignals, &received);
  server.stop();
  serving.join();
  return 0;
}
