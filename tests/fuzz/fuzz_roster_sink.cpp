// libFuzzer: what the sync pull downloads from the state (Ed-Fi items of
// assessmentAdministrations, students, studentAssessmentRegistrations and
// their /deletes), applied to an in-memory kiosk store by EdfiRosterSink,
// the same code a kiosk runs on a server's answer.
//
// Input: the first byte picks the resource and apply/applyDeletes; the rest
// is a JSON array of items (anything else is skipped, as the puller would
// never hand the sink a non-array page).
#include "kiosk/app/edfi_roster_sink.hpp"
#include "kiosk/store/store.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static constexpr std::string_view kResources[] = {"assessmentAdministrations", "students", "studentAssessmentRegistrations"};
    const std::string_view resource = kResources[data[0] % 3];
    const bool deletes = (data[0] & 0x80) != 0;
    auto page = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), nullptr, false);
    if (page.is_discarded() || !page.is_array()) return 0;
    std::vector<nlohmann::json> items(page.begin(), page.end());

    static auto store = kiosk::store::Store::openInMemory();
    if (!store) __builtin_trap();
    auto& db = store->db();
    kiosk::app::EdfiRosterSink sink;
    auto tx = edsync::sqlite::Transaction::begin(db);
    if (!tx) __builtin_trap();
    auto s = deletes ? sink.applyDeletes(db, resource, items) : sink.apply(db, resource, items);
    (void)s;  // a refusal is fine; a crash or an exception is not
    // Rolled back by the transaction's destructor: each input starts clean.
    return 0;
}
