#pragma once
#include <chrono>
#include <string>

namespace fault_proxy::testing {

// How the server ended the stream, as seen on the wire.
enum class StreamEnd {
    CloseNotify, // an orderly TLS close
    Eof,         // TCP FIN without close_notify
    Reset,       // TCP RST (ECONNRESET)
    Timeout,     // nothing more within the read timeout
    Error,       // anything else, including a failed handshake
};

const char* toString(StreamEnd end);

struct RawExchange {
    std::string received; // every byte of the reply that arrived
    StreamEnd end = StreamEnd::Error;
};

// Sends `request` as is over a verified TLS connection to 127.0.0.1:port and
// reads until the server ends the stream. Unlike an HTTP client it reports
// exactly what arrived and how the connection ended.
RawExchange rawExchange(int port, const std::string& caFile, const std::string& request,
                        std::chrono::milliseconds readTimeout);

} // namespace fault_proxy::testing
