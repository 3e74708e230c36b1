#include "kiosk/store/descriptor_map.hpp"

namespace kiosk::store {

using edsync::fail;

Result<domain::DescriptorMap> loadDescriptorMap(Database& db) {
    auto stmt = db.prepare("SELECT kiosk_uri, state_uri FROM descriptor_map;");
    if (!stmt) return fail(stmt.error());
    domain::DescriptorMap map;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        map.emplace(stmt->getText(0), stmt->getText(1));
    }
    return map;
}

Result<bool> setDescriptorMapping(Database& db, std::string_view kioskUri, std::string_view stateUri) {
    auto known = loadDescriptorMap(db);
    if (!known) return fail(known.error());
    if (domain::stateDescriptor(*known, kioskUri) == stateUri) return false;
    auto stmt = kioskUri == stateUri ? db.prepare("DELETE FROM descriptor_map WHERE kiosk_uri = ?1;")
                                     : db.prepare("INSERT INTO descriptor_map (kiosk_uri, state_uri) VALUES (?1, ?2)"
                                                  " ON CONFLICT (kiosk_uri) DO UPDATE SET state_uri = excluded.state_uri;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, kioskUri);
    if (kioskUri != stateUri) stmt->bind(2, stateUri);
    if (auto s = stmt->run(); !s) return fail(s.error());
    return true;
}

} // namespace kiosk::store
