#pragma once
// The kiosk's one token, kept in a file every process shares (the window,
// `serve`, `sync`, imports), so each does not ask the state for its own: an
// ODS/API client may hold only 15 live tokens. The file is 0600, replaced
// atomically (write a temporary file, fsync, rename), and keyed by a hash of
// (token URL, client id): a changed enrolment never picks up the old token.
// Nothing here logs the token.
#include "sync/edfi/session.hpp"

#include <filesystem>

namespace edsync::edfi {

class FileTokenStore final : public TokenStore {
public:
    explicit FileTokenStore(std::filesystem::path file) : m_file(std::move(file)) {}

    std::optional<StoredToken> load(std::string_view tokenUrl, std::string_view clientId) override;
    void save(std::string_view tokenUrl, std::string_view clientId, const StoredToken& token) override;
    void forget(std::string_view tokenUrl, std::string_view clientId) override;

    const std::filesystem::path& file() const { return m_file; }

private:
    std::filesystem::path m_file;
};

} // namespace edsync::edfi
