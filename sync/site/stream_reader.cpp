#include "sync/site/stream_reader.hpp"

#include "sync/site/nats_handles.hpp"

#include <nats/nats.h>

namespace edsync::site {

Result<std::optional<std::string>> lastMessage(SiteConnection& connection, std::string_view subjectSuffix) {
    if (!validSubjectSuffix(subjectSuffix)) return fail(SiteError{-1, 0, "not a subject suffix: " + std::string(subjectSuffix.substr(0, 60))});
    NatsHandles& h = connection.nats();
    const std::string stream = streamName(h.config);
    const std::string subject = subjectPrefix(h.config) + std::string(subjectSuffix);
    natsMsg* msg = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_GetLastMsg(&msg, h.js, stream.c_str(), subject.c_str(), nullptr, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) return std::optional<std::string>();
    if (s != NATS_OK) return fail(natsError(s, jerr, "reading from the site's stream"));
    std::optional<std::string> out(std::string(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
    natsMsg_Destroy(msg);
    connection.noteContact();
    return out;
}

} // namespace edsync::site
