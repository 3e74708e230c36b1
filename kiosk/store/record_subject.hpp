#pragma once
// Who and when a record for the state is about: the outbox knows only an
// Ed-Fi resource and a natural key; the kiosk's own tables (attendance's
// edfi_key, work entries and the task catalogue) name the student and the
// date or session, so a technician can act on the server's words.
// Personal data: for screens and terminals, never for a log.
#include "kiosk/store/store.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::store {

struct RecordSubject {
    std::string studentUniqueId;
    std::string studentName;  // "Ñúñez, Zoë" when the student is on this kiosk
    std::string date;         // YYYY-MM-DD: the sitting's (check-in, else scheduled) or the evaluation's
    std::string sessionId;
    std::string sessionTitle;
    bool known() const { return !studentUniqueId.empty(); }
    // "Ñúñez, Zoë (S100001) · 2026-03-14 · WorkKeys Applied Math"; empty when
    // unknown. A screen passes its own date format (the locale's); a
    // terminal keeps ISO dates.
    using DateFormat = std::function<std::string(std::string_view iso)>;
    std::string describe(const DateFormat& formatDate = {}) const;
};

class RecordSubjects {
public:
    explicit RecordSubjects(Database& db) : m_db(db) {}
    // From the kiosk's tables, else from the record's own JSON (`body`, e.g.
    // a USB export's record on another kiosk), else unknown.
    RecordSubject of(std::string_view resource, std::string_view naturalKey, std::string_view body = {});

private:
    void loadEvaluationKeys();
    void addName(RecordSubject& s);

    Database& m_db;
    bool m_evaluationsLoaded = false;
    std::map<std::string, std::pair<std::string, std::string>, std::less<>> m_evaluations;  // key -> (student, date)
};

} // namespace kiosk::store
