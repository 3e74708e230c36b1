#pragma once
// The libcurl owner: one CURLM multi handle and a pool of easy handles, so
// connections (and TLS sessions) are reused, HTTP/2 streams are multiplexed
// where the server offers them, and several requests run at once.
//
// TLS verification is always on; there is deliberately no option to turn it
// off. A site may name its own CA bundle. Only https:// URLs are accepted.
// Nothing here logs request or response bodies.
#include "sync/transport/http.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace edsync::transport {

struct TransportOptions {
    std::optional<std::filesystem::path> caBundle;  // PEM file; absent: the system store
    std::chrono::milliseconds connectTimeout{10'000};
    std::chrono::milliseconds totalTimeout{60'000};  // per request, connect included
    int maxInFlight = 8;                              // transfers running at once
    std::size_t maxResponseBytes = 64u << 20;         // larger bodies fail as TooLarge
    std::string userAgent = "testsite-kiosk-sync/0.1";
};

class CurlTransport final : public HttpClient {
public:
    // Fails only when libcurl cannot be initialised or options are invalid.
    static edsync::Result<CurlTransport, TransportError> create(TransportOptions options);

    CurlTransport(CurlTransport&& other) noexcept;
    CurlTransport& operator=(CurlTransport&& other) noexcept;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;
    ~CurlTransport() override;

    void perform(std::span<const Request> batch, const Completion& done) override;
    void performStream(const NextRequest& next, const Completion& done) override;
    void interrupt() override;
    void resume() override;

    // The HTTP version the most recent transfer used: 1 (1.x), 2, or 0 if none.
    int lastHttpVersion() const;

private:
    struct Impl;
    explicit CurlTransport(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace edsync::transport
