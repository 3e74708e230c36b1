#pragma once
// Reading one message back from the site's stream: what the hub keeps for
// the site, whatever a kiosk's own database now says (e.g. the last audit
// head a kiosk published, for `verify-audit`).
#include "sync/site/connection.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace edsync::site {

// The payload of the newest message under subjectPrefix + `subjectSuffix`;
// nullopt when the stream holds none. Needs the site's stream to exist.
Result<std::optional<std::string>> lastMessage(SiteConnection& connection, std::string_view subjectSuffix);

} // namespace edsync::site
