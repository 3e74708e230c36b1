#pragma once
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "child_process.hpp"

namespace fault_proxy::testing {

// A private temporary directory, removed with everything in it.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

// Runs make-test-certs.sh into `directory`.
void makeTestCerts(const std::filesystem::path& directory);

// Starts a program that prints "listening on https://127.0.0.1:PORT"; returns the port.
int waitForListening(ChildProcess& process);

// The double (seeded with sample-seed.json) and the proxy in front of it, as
// child processes with throwaway certificates; stopped when it goes.
class TestStack {
public:
    explicit TestStack(const std::vector<std::string>& extraDoubleArgs = {});
    ~TestStack();

    int doublePort() const { return m_doublePort; }
    int proxyPort() const { return m_proxyPort; }
    std::string caFile() const { return (m_dir.path() / "ca.pem").string(); }
    std::string certFile() const { return (m_dir.path() / "server.pem").string(); }
    std::string keyFile() const { return (m_dir.path() / "server.key").string(); }

    // A verifying HTTPS client; one connection per client object.
    std::unique_ptr<httplib::SSLClient> client(int port,
                                               std::chrono::milliseconds readTimeout = std::chrono::seconds(10)) const;
    std::unique_ptr<httplib::SSLClient>
    viaProxy(std::chrono::milliseconds readTimeout = std::chrono::seconds(10)) const {
        return client(m_proxyPort, readTimeout);
    }
    std::unique_ptr<httplib::SSLClient> direct() const { return client(m_doublePort); }

    void setMode(const nlohmann::json& mode) const;
    nlohmann::json proxyStats() const;
    // GET /_test/received on the double itself.
    nlohmann::json received(const std::string& resource) const;
    // A token straight from the double, so getting it uses no fault.
    std::string token() const;

    // Exit statuses after SIGTERM (0 is a clean stop).
    int stopProxy();
    int stopDouble();

private:
    TempDir m_dir;
    std::unique_ptr<ChildProcess> m_double;
    std::unique_ptr<ChildProcess> m_proxy;
    int m_doublePort = 0;
    int m_proxyPort = 0;
};

// A StudentAssessment for a student in sample-seed.json.
nlohmann::json sampleStudentAssessment(const std::string& identifier);
inline constexpr const char* kStudentAssessments = "/data/v3/ed-fi/studentAssessments";

} // namespace fault_proxy::testing
