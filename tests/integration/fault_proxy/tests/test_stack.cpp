#include "test_stack.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <stdexcept>

#include "integration_paths.hpp"

namespace fault_proxy::testing {

namespace {

constexpr const char* kListeningPrefix = "listening on https://127.0.0.1:";

} // namespace

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "edfi-integration-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    m_path = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
}

void makeTestCerts(const std::filesystem::path& directory) {
    const std::string command = std::string("sh '") + kMakeTestCertsPath + "' '" + directory.string() + "'";
    REQUIRE_MESSAGE(std::system(command.c_str()) == 0, "make-test-certs.sh failed");
}

int waitForListening(ChildProcess& process) {
    auto line = process.readLine(std::chrono::seconds(10));
    REQUIRE_MESSAGE(line.has_value(), "the program printed no listening line");
    REQUIRE_MESSAGE(line->starts_with(kListeningPrefix), "unexpected first line: " << *line);
    int port = std::stoi(line->substr(std::string(kListeningPrefix).size()));
    REQUIRE(port > 0);
    return port;
}

TestStack::TestStack(const std::vector<std::string>& extraDoubleArgs) {
    makeTestCerts(m_dir.path());
    std::vector<std::string> doubleArgs = {kEdfiDoublePath, "--port",  "0",      "--cert",       certFile(),
                                           "--key",         keyFile(), "--seed", kSampleSeedPath};
    doubleArgs.insert(doubleArgs.end(), extraDoubleArgs.begin(), extraDoubleArgs.end());
    m_double = std::make_unique<ChildProcess>(doubleArgs);
    m_doublePort = waitForListening(*m_double);

    m_proxy = std::make_unique<ChildProcess>(
        std::vector<std::string>{kFaultProxyPath, "--port", "0", "--cert", certFile(), "--key", keyFile(), "--upstream",
                                 "https://127.0.0.1:" + std::to_string(m_doublePort), "--ca", caFile(), "--seed", "7"});
    m_proxyPort = waitForListening(*m_proxy);
}

TestStack::~TestStack() {
    if (m_proxy) m_proxy->terminate();
    if (m_double) m_double->terminate();
}

int TestStack::stopProxy() {
    return m_proxy->terminate();
}
int TestStack::stopDouble() {
    return m_double->terminate();
}

std::unique_ptr<httplib::SSLClient> TestStack::client(int port, std::chrono::milliseconds readTimeout) const {
    auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    client->set_ca_cert_path(caFile().c_str());
    client->enable_server_certificate_verification(true);
    client->set_connection_timeout(std::chrono::seconds(5));
    client->set_read_timeout(readTimeout);
    return client;
}

void TestStack::setMode(const nlohmann::json& mode) const {
    auto result = viaProxy()->Post("/_proxy/mode", mode.dump(), "application/json");
    REQUIRE(result);
    REQUIRE_MESSAGE(result->status == 200, result->body);
}

nlohmann::json TestStack::proxyStats() const {
    auto result = viaProxy()->Get("/_proxy/stats");
    REQUIRE(result);
    REQUIRE(result->status == 200);
    return nlohmann::json::parse(result->body);
}

nlohmann::json TestStack::received(const std::string& resource) const {
    auto result = direct()->Get("/_test/received?resource=" + resource);
    REQUIRE(result);
    REQUIRE(result->status == 200);
    return nlohmann::json::parse(result->body);
}

std::string TestStack::token() const {
    auto result =
        direct()->Post("/oauth/token", "grant_type=client_credentials&client_id=kiosk&client_secret=kiosk-secret",
                       "application/x-www-form-urlencoded");
    REQUIRE(result);
    REQUIRE(result->status == 200);
    return nlohmann::json::parse(result->body).at("access_token").get<std::string>();
}

nlohmann::json sampleStudentAssessment(const std::string& identifier) {
    return {{"studentAssessmentIdentifier", identifier},
            {"assessmentReference",
             {{"assessmentIdentifier", "WORKKEYS-AM"}, {"namespace", "uri://testsite.example.org/assessment"}}},
            {"studentReference", {{"studentUniqueId", "604821"}}},
            {"administrationDate", "2025-03-04T09:05:00-06:00"},
            {"accommodations",
             {{{"accommodationDescriptor", "uri://state.example.org/AccommodationDescriptor#Extended time 1.5x"}}}}};
}

} // namespace fault_proxy::testing
