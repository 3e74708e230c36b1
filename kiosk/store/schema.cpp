#include "kiosk/store/schema.hpp"

#include "sync/outbox/outbox.hpp"
#include "sync/site/site_store.hpp"
#include "sync/sqlite/migrations.hpp"

#include <array>

namespace kiosk::store {

namespace {

// Version 1: roster, sessions, the append-only event log, projections.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE kiosk_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE assessment_session (
  session_id            TEXT PRIMARY KEY,
  assessment_identifier TEXT NOT NULL,
  namespace             TEXT NOT NULL,
  assigning_ed_org_id   INTEGER NOT NULL,
  school_id             INTEGER,
  title                 TEXT NOT NULL,
  room                  TEXT NOT NULL DEFAULT '',
  scheduled_start       TEXT NOT NULL,
  late_after_min        INTEGER NOT NULL DEFAULT 15 CHECK (late_after_min >= 0),
  no_show_after_min     INTEGER NOT NULL DEFAULT 30 CHECK (no_show_after_min >= 0),
  opened_at             TEXT,
  opened_by             TEXT,
  signed_off_at         TEXT,
  signed_off_by         TEXT
);

CREATE TABLE student (
  student_unique_id TEXT PRIMARY KEY,
  first_name        TEXT NOT NULL,
  middle_name       TEXT NOT NULL DEFAULT '',
  last_surname      TEXT NOT NULL,
  birth_date        TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE registration (
  session_id               TEXT NOT NULL REFERENCES assessment_session (session_id),
  student_unique_id        TEXT NOT NULL REFERENCES student (student_unique_id),
  scheduled_accommodations TEXT NOT NULL DEFAULT '[]',
  walk_in                  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (session_id, student_unique_id)
) WITHOUT ROWID;

-- Every fact, once. seq is the kiosk's own monotonic order.
CREATE TABLE event (
  seq                  INTEGER PRIMARY KEY,
  event_id             TEXT NOT NULL UNIQUE,
  kiosk_id             TEXT NOT NULL,
  site_id              TEXT NOT NULL,
  session_id           TEXT NOT NULL REFERENCES assessment_session (session_id),
  student_unique_id    TEXT,
  kind                 TEXT NOT NULL,
  proctor              TEXT NOT NULL,
  recorded_at          TEXT NOT NULL,
  local_utc_offset_min INTEGER NOT NULL,
  payload              TEXT NOT NULL,
  corrects_event_id    TEXT REFERENCES event (event_id)
);
CREATE INDEX event_by_student ON event (session_id, student_unique_id, seq);
CREATE TRIGGER event_no_update BEFORE UPDATE ON event
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER event_no_delete BEFORE DELETE ON event
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Current state per student, rebuilt from events in the same transaction.
CREATE TABLE attendance (
  session_id        TEXT NOT NULL,
  student_unique_id TEXT NOT NULL,
  presence          TEXT NOT NULL,
  late              INTEGER NOT NULL DEFAULT 0,
  seat              TEXT NOT NULL DEFAULT '',
  checked_in_at     TEXT,
  checked_out_at    TEXT,
  detail            TEXT NOT NULL,
  last_seq          INTEGER NOT NULL,
  edfi_key          TEXT NOT NULL,
  PRIMARY KEY (session_id, student_unique_id),
  FOREIGN KEY (session_id, student_unique_id) REFERENCES registration (session_id, student_unique_id)
) WITHOUT ROWID;
)sql";

// Version 2: students on shared machines — credentials (hashes only), the
// hash-chained audit log, proctors, work-readiness entries.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE proctor (
  proctor_id TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  active     INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;

-- PINs and second factors, as Argon2id hashes only; lock-out survives restarts.
CREATE TABLE credential (
  kind         TEXT NOT NULL CHECK (kind IN ('proctor_pin', 'student_pin', 'student_birth_date')),
  subject_id   TEXT NOT NULL,
  hash         TEXT NOT NULL,
  failures     INTEGER NOT NULL DEFAULT 0,
  locked_until TEXT,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (kind, subject_id)
) WITHOUT ROWID;

-- Append-only; each row holds the hash of the one before.
CREATE TABLE audit_log (
  seq       INTEGER PRIMARY KEY,
  at        TEXT NOT NULL,
  kiosk_id  TEXT NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  detail    TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE work_event (
  seq         INTEGER PRIMARY KEY,
  event_id    TEXT NOT NULL UNIQUE,
  kiosk_id    TEXT NOT NULL,
  entry_id    TEXT NOT NULL,
  student_id  TEXT NOT NULL REFERENCES student (student_unique_id),
  kind        TEXT NOT NULL,
  actor       TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  payload     TEXT NOT NULL
);
CREATE INDEX work_event_by_entry ON work_event (entry_id, seq);
CREATE TRIGGER work_event_no_update BEFORE UPDATE ON work_event
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER work_event_no_delete BEFORE DELETE ON work_event
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE work_entry (
  entry_id         TEXT PRIMARY KEY,
  student_id       TEXT NOT NULL REFERENCES student (student_unique_id),
  task_id          TEXT NOT NULL,
  work_date        TEXT NOT NULL,
  minutes          INTEGER NOT NULL,
  place            TEXT NOT NULL,
  reflection       TEXT NOT NULL,
  status           TEXT NOT NULL,
  reviewer         TEXT NOT NULL DEFAULT '',
  reviewer_comment TEXT NOT NULL DEFAULT '',
  reviewed_at      TEXT,
  last_seq         INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX work_entry_by_student ON work_entry (student_id, work_date);
CREATE INDEX work_entry_by_status ON work_entry (status);
)sql";

// Version 3: one site, many machines. Each event carries its hybrid logical
// clock (the site-wide order, docs/architecture.md); facts from the site log
// that cannot be applied yet wait in site_parked.
constexpr std::string_view kV3 = R"sql(
ALTER TABLE event ADD COLUMN hlc TEXT NOT NULL DEFAULT '';
ALTER TABLE work_event ADD COLUMN hlc TEXT NOT NULL DEFAULT '';
CREATE TABLE site_parked (
  event_id    TEXT PRIMARY KEY,
  payload     TEXT NOT NULL,
  waiting_for TEXT NOT NULL,
  parked_at   TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// Version 4: the state's own staff identifier of a proctor (the kiosk's
// proctor IDs are local), and of the reviewer of each work entry, as the
// review event carried it: what a StudentProgramEvaluation names as its
// evaluator; empty when unknown, and then the record names none.
constexpr std::string_view kV4 = R"sql(
ALTER TABLE proctor ADD COLUMN staff_unique_id TEXT NOT NULL DEFAULT '';
ALTER TABLE work_entry ADD COLUMN reviewer_staff_id TEXT NOT NULL DEFAULT '';
)sql";

// Version 5: the student's grade as the roster gives it ("11"), an aid for
// checking a student's ID at the door; empty when the roster has none.
constexpr std::string_view kV5 = R"sql(
ALTER TABLE student ADD COLUMN grade_level TEXT NOT NULL DEFAULT '';
)sql";

// Version 6: roster rows shared on the site log carry the hybrid logical
// clock of the change that last wrote them here: an older import reaching
// this kiosk late does not undo a newer one (kiosk/store/roster_facts.hpp).
constexpr std::string_view kV6 = R"sql(
CREATE TABLE roster_stamp (
  kind TEXT NOT NULL,
  key  TEXT NOT NULL,
  hlc  TEXT NOT NULL,
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;
)sql";

// Version 7: the state's URI for a descriptor value the kiosk offers, where
// its server lists it under another namespace or code (descriptor_map.hpp).
constexpr std::string_view kV7 = R"sql(
CREATE TABLE descriptor_map (
  kiosk_uri TEXT PRIMARY KEY,
  state_uri TEXT NOT NULL
) WITHOUT ROWID;
)sql";

constexpr std::array kMigrations{
    edsync::sqlite::Migration{1, kV1},
    edsync::sqlite::Migration{2, kV2},
    edsync::sqlite::Migration{3, kV3},
    edsync::sqlite::Migration{4, kV4},
    edsync::sqlite::Migration{5, kV5},
    edsync::sqlite::Migration{6, kV6},
    edsync::sqlite::Migration{7, kV7},
};

#ifdef KIOSK_SCHEMA_NEXT_FOR_UPGRADE_TESTS
// Only in tests/packaging's "next release" build: one migration more than
// this release, so the upgrade test runs a real migration over queued data.
constexpr std::string_view kNextForTests = R"sql(
CREATE TABLE upgrade_probe (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
ALTER TABLE kiosk_meta ADD COLUMN upgrade_note TEXT;
INSERT INTO upgrade_probe (note) VALUES ('migrated by the next release');
)sql";
constexpr auto kActiveMigrations = [] {
    std::array<edsync::sqlite::Migration, kMigrations.size() + 1> all{};
    for (std::size_t i = 0; i < kMigrations.size(); ++i) all[i] = kMigrations[i];
    all.back() = {kMigrations.back().version + 1, kNextForTests};
    return all;
}();
#else
constexpr const auto& kActiveMigrations = kMigrations;
#endif

} // namespace

int latestSchemaVersion() { return kActiveMigrations.back().version; }

edsync::sqlite::Result<int> migrateAll(edsync::sqlite::Database& db) { return migrateTo(db, latestSchemaVersion()); }

edsync::sqlite::Result<int> migrateTo(edsync::sqlite::Database& db, int kioskVersion) {
    if (auto r = edsync::outbox::migrate(db); !r) return r;
    if (auto r = edsync::site::migrate(db); !r) return r;
    std::size_t count = 0;
    while (count < kActiveMigrations.size() && kActiveMigrations[count].version <= kioskVersion) ++count;
    return edsync::sqlite::migrate(db, "kiosk", std::span(kActiveMigrations.data(), count));
}

} // namespace kiosk::store
