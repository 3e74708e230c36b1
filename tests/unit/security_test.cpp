#include "kiosk/service/security_service.hpp"
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/credentials.hpp"
#include "kiosk/store/demo_data.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <vector>

using namespace kiosk;

namespace {

domain::Timestamp at(const char* iso) { return domain::parseIso8601(iso).value(); }

struct Site {
    test::TempDir dir;
    domain::Timestamp now = at("2026-11-23T14:00:00Z");
    std::optional<store::Store> store;
    Site() { reopen(); }
    void reopen() {
        store.reset();
        store.emplace(std::move(store::Store::open(dir / "kiosk.db").value()));
    }
    domain::Clock clock() {
        return [this] { return now; };
    }
    void loadRoster() {
        store::RosterData data;
        domain::SessionInfo s;
        s.sessionId = "ADM-1";
        s.assessmentIdentifier = "WK";
        s.assessmentNamespace = "uri://x";
        s.assigningEdOrgId = 1;
        s.title = "WK";
        s.scheduledStart = now;
        data.sessions = {s};
        data.students = {domain::Student{"S1", "Zoë", "", "Ñúñez", "2009-04-02", "11"}, domain::Student{"S2", "Łukasz", "", "Dvořák", "2008-12-31", "12"}};
        data.registrations = {domain::Registration{"ADM-1", "S1", {"uri://x/AccommodationDescriptor#Large print"}, false},
                              domain::Registration{"ADM-1", "S2", {}, false}};
        REQUIRE(store::writeRoster(store->db(), data).ok());
    }
    std::vector<std::string> actions() {
        auto all = store::recentAudit(store->db(), 1000).value();
        std::vector<std::string> out;
        for (auto it = all.rbegin(); it != all.rend(); ++it) out.push_back(it->action);
        return out;
    }
};

std::string fileBytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST_CASE("a student signs in with the right date of birth in any common format, and not with a wrong one") {
    Site site;
    site.loadRoster();
    service::SecurityService security(*site.store, site.clock());
    CHECK(security.signIn("S1", "2009-04-02").ok);
    CHECK(security.signIn("S1", "04/02/2009").ok);
    auto ok = security.signIn("S1", "04022009");
    REQUIRE(ok.ok);
    CHECK(ok.student->firstName == "Zoë");
    CHECK(ok.scheduledAccommodations == std::vector<std::string>{"uri://x/AccommodationDescriptor#Large print"});
    auto wrong = security.signIn("S1", "2009-04-03");
    CHECK_FALSE(wrong.ok);
    auto unknown = security.signIn("S999", "2009-04-02");
    CHECK_FALSE(unknown.ok);
    // The same words for an unknown ID and a wrong factor: no enumeration of IDs.
    CHECK(wrong.message == unknown.message);
}

TEST_CASE("an ID typed with spaces around it or in another case is the same student or proctor: the stored ID is the one signed in") {
    Site site;
    site.loadRoster();
    service::SecurityService security(*site.store, site.clock());
    auto student = security.signIn(" S1\t", "04/02/2009");
    REQUIRE(student.ok);
    CHECK(student.student->studentUniqueId == "S1");
    CHECK_FALSE(security.signIn("S 1", "04/02/2009").ok);  // inside an ID a space is a character
    auto lowerStudent = security.signIn("s1", "04/02/2009");  // a student's ID typed in lower case
    REQUIRE(lowerStudent.ok);
    CHECK(lowerStudent.student->studentUniqueId == "S1");
    REQUIRE(security.setProctor("P7", "Ms. Rivera", "2468").saved);
    auto proctor = security.checkProctorPin("  P7 ", "2468", "verify");
    REQUIRE(proctor.ok);
    CHECK(proctor.proctorId == "P7");
    CHECK(proctor.proctorName == "Ms. Rivera");
    // In another case it is the same proctor; two that differ only in case keep their own.
    auto lower = security.checkProctorPin("p7", "2468", "verify");
    REQUIRE(lower.ok);
    CHECK(lower.proctorId == "P7");
    REQUIRE(security.setProctor("p8", "Mr. Lee", "1357").saved);
    REQUIRE(security.setProctor("P8", "Ms. Cho", "8642").saved);
    CHECK(security.checkProctorPin("p8", "1357", "verify").proctorName == "Mr. Lee");
    CHECK(security.checkProctorPin("P8", "8642", "verify").proctorName == "Ms. Cho");
    CHECK_FALSE(security.checkProctorPin("p8", "8642", "verify").ok);
}

TEST_CASE("with PINs as the second factor, the PIN signs in and the birth date does not") {
    Site site;
    site.loadRoster();
    service::SecurityService security(*site.store, site.clock());
    REQUIRE(security.setSecondFactor(service::SecondFactor::Pin).ok());
    CHECK_FALSE(security.setStudentPin("S1", "12a4").saved);
    REQUIRE(security.setStudentPin("S1", "4321").saved);
    CHECK(security.signIn("S1", "4321").ok);
    CHECK_FALSE(security.signIn("S1", "2009-04-02").ok);
}

TEST_CASE("a proctor's name or ID with a control character or invalid UTF-8 is refused and nothing is stored") {
    Site site;
    site.loadRoster();
    service::SecurityService security(*site.store, site.clock());
    for (const auto& proctor : std::vector<std::pair<std::string, std::string>>{
             {"P7", "Bad\x1b[31mName"}, {"P7", "Bad\xc2\x9b" "31mName"}, {"P7", "Tab\tName"}, {"P7", "Bad\xffName"}, {"P\x1b" "7", "Ms. Rivera"},
             {"P 7", "Ms. Rivera"}}) {
        const std::string& name = proctor.second;
        CAPTURE(name);
        auto r = security.setProctor(proctor.first, name, "2468");
        CHECK_FALSE(r.saved);
        CHECK(r.message.find("control characters") != std::string::npos);
    }
    CHECK_FALSE(security.checkProctorPin("P7", "2468", "verify").ok);
    REQUIRE(security.setProctor("P7", "Zoë Ñúñez-Dvořák", "2468").saved);  // letters of any language are fine
    CHECK(security.checkProctorPin("P7", "2468", "verify").ok);
}

TEST_CASE("five wrong PINs lock a proctor out, the lock-out grows, and it survives a restart") {
    Site site;
    site.loadRoster();
    {
        service::SecurityService security(*site.store, site.clock());
        REQUIRE(security.setProctor("P7", "Ms. Rivera", "2468").saved);
        for (int i = 0; i < 4; ++i) CHECK_FALSE(security.checkProctorPin("P7", "0000", "verify").ok);
        auto fifth = security.checkProctorPin("P7", "0000", "verify");
        CHECK_FALSE(fifth.ok);
        CHECK(fifth.message.find("locked") != std::string::npos);
        // Even the right PIN is refused while locked.
        CHECK_FALSE(security.checkProctorPin("P7", "2468", "verify").ok);
    }
    site.reopen();  // a restart does not lift the lock
    service::SecurityService security(*site.store, site.clock());
    CHECK_FALSE(security.checkProctorPin("P7", "2468", "verify").ok);
    site.now += std::chrono::seconds(31);
    // After 30 s one more wrong try locks again, for longer (60 s).
    CHECK_FALSE(security.checkProctorPin("P7", "1111", "verify").ok);
    site.now += std::chrono::seconds(31);
    CHECK_FALSE(security.checkProctorPin("P7", "2468", "verify").ok);
    site.now += std::chrono::seconds(30);
    auto ok = security.checkProctorPin("P7", "2468", "verify");
    CHECK(ok.ok);
    CHECK(ok.proctorName == "Ms. Rivera");
    CHECK(store::lockoutFor(5) == std::chrono::seconds(30));
    CHECK(store::lockoutFor(6) == std::chrono::seconds(60));
    CHECK(store::lockoutFor(40) == std::chrono::seconds(3600));
}

TEST_CASE("PINs and birth dates are never stored in clear: the database file does not contain them") {
    Site site;
    site.loadRoster();
    service::SecurityService security(*site.store, site.clock());
    REQUIRE(security.setProctor("P7", "Ms. Rivera", "97531").saved);
    REQUIRE(security.setStudentPin("S2", "86420").saved);
    REQUIRE(site.store->db().exec("PRAGMA wal_checkpoint(TRUNCATE);").ok());
    std::string bytes = fileBytes(site.dir / "kiosk.db") + fileBytes(site.dir / "kiosk.db-wal");
    // A PIN's digits may turn up inside a longer number (a millisecond
    // timestamp, an HLC): only the PIN standing on its own would be the PIN.
    auto standsAlone = [&](std::string_view pin) {
        auto digit = [](char c) { return c >= '0' && c <= '9'; };
        for (auto at = bytes.find(pin); at != std::string::npos; at = bytes.find(pin, at + 1)) {
            const bool before = at > 0 && digit(bytes[at - 1]);
            const bool after = at + pin.size() < bytes.size() && digit(bytes[at + pin.size()]);
            if (!before && !after) return true;
        }
        return false;
    };
    CHECK_FALSE(standsAlone("97531"));
    CHECK_FALSE(standsAlone("86420"));
    CHECK(bytes.find("2009-04-02") == std::string::npos);
    CHECK(bytes.find("$argon2id$") != std::string::npos);
}

TEST_CASE("kiosk exit: refused without the PIN, allowed and logged with who and why") {
    Site site;
    site.loadRoster();
    service::SecurityService security(*site.store, site.clock());
    REQUIRE(security.setProctor("P7", "Ms. Rivera", "2468").saved);
    CHECK_FALSE(security.checkProctorPin("P7", "", "kiosk_exit", "maintenance").ok);
    CHECK_FALSE(security.checkProctorPin("P7", "1234", "kiosk_exit", "maintenance").ok);
    CHECK(security.checkProctorPin("P7", "2468", "kiosk_exit", "installing updates").ok);
    auto log = store::recentAudit(site.store->db(), 1).value();
    REQUIRE(log.size() == 1);
    CHECK(log[0].actor == "proctor:P7");
    CHECK(log[0].action == "proctor.kiosk_exit");
    CHECK(log[0].detail.find("installing updates") != std::string::npos);
    auto actions = site.actions();
    CHECK(std::count(actions.begin(), actions.end(), "pin.failure") == 2);
}

namespace {

// Tampering needs the triggers gone, as an attacker with the file would do.
void tamper(store::Store& s, const char* sql) {
    REQUIRE(s.db().exec("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;").ok());
    REQUIRE(s.db().exec(sql).ok());
}

void fiveEntries(Site& site) {
    service::SecurityService security(*site.store, site.clock());
    for (int i = 0; i < 5; ++i) REQUIRE(security.audit("proctor:P" + std::to_string(i), "test.entry", "{}").ok());
    auto v = store::verifyAudit(site.store->db()).value();
    REQUIRE(v.intact);
    REQUIRE(v.entries == 5);
}

} // namespace

TEST_CASE("the audit log is append-only through SQL") {
    Site site;
    fiveEntries(site);
    CHECK_FALSE(site.store->db().exec("UPDATE audit_log SET actor = 'x' WHERE seq = 2;").ok());
    CHECK_FALSE(site.store->db().exec("DELETE FROM audit_log WHERE seq = 2;").ok());
}

TEST_CASE("an edited audit entry is detected and located") {
    Site site;
    fiveEntries(site);
    tamper(*site.store, "UPDATE audit_log SET actor = 'proctor:SOMEONE-ELSE' WHERE seq = 3;");
    auto v = store::verifyAudit(site.store->db()).value();
    CHECK_FALSE(v.intact);
    CHECK(v.brokenAtSeq == 3);
    CHECK(v.problem.find("changed") != std::string::npos);
}

TEST_CASE("a deleted audit entry is detected and located, also at the end") {
    Site site;
    fiveEntries(site);
    tamper(*site.store, "DELETE FROM audit_log WHERE seq = 2;");
    auto v = store::verifyAudit(site.store->db()).value();
    CHECK_FALSE(v.intact);
    CHECK(v.brokenAtSeq == 2);

    Site tail;
    fiveEntries(tail);
    tamper(*tail.store, "DELETE FROM audit_log WHERE seq = 5;");
    auto t = store::verifyAudit(tail.store->db()).value();
    CHECK_FALSE(t.intact);
    CHECK(t.brokenAtSeq == 5);
}

TEST_CASE("reordered audit entries are detected") {
    Site site;
    fiveEntries(site);
    // Swap the contents of entries 2 and 3 (each keeps its own valid hash).
    tamper(*site.store,
           "CREATE TEMP TABLE t AS SELECT * FROM audit_log WHERE seq IN (2, 3);"
           "DELETE FROM audit_log WHERE seq IN (2, 3);"
           "INSERT INTO audit_log SELECT CASE seq WHEN 2 THEN 3 ELSE 2 END, at, kiosk_id, actor, action, detail, prev_hash, hash FROM t;");
    auto v = store::verifyAudit(site.store->db()).value();
    CHECK_FALSE(v.intact);
    CHECK(v.brokenAtSeq == 2);
}

TEST_CASE("an action whose audit entry cannot be written is not done") {
    Site site;
    site.loadRoster();
    service::SecurityService security(*site.store, site.clock());
    REQUIRE(security.hashBirthDates().ok());
    REQUIRE(security.setProctor("P7", "Ms. Rivera", "2468").saved);
    REQUIRE(security.signIn("S1", "2009-04-02").ok);
    // The audit log refuses every new entry (a full disk, a damaged table...).
    REQUIRE(site.store->db().exec("CREATE TEMP TRIGGER audit_refuses BEFORE INSERT ON main.audit_log "
                                  "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END;").ok());
    auto student = security.signIn("S1", "2009-04-02");
    CHECK_FALSE(student.ok);
    CHECK_FALSE(student.student.has_value());
    CHECK(student.message.find("audit log") != std::string::npos);
    auto proctor = security.checkProctorPin("P7", "2468", "kiosk_exit", "end of day");
    CHECK_FALSE(proctor.ok);
    CHECK(proctor.proctorName.empty());
    CHECK(security.audit("technician", "settings.x", "{}").ok() == false);
    CHECK_FALSE(security.signOut("S1", false).ok());

    // Once entries can be written again, the same actions go through.
    REQUIRE(site.store->db().exec("DROP TRIGGER temp.audit_refuses;").ok());
    CHECK(security.signIn("S1", "2009-04-02").ok);
    CHECK(security.checkProctorPin("P7", "2468", "kiosk_exit", "end of day").ok);
    CHECK(store::verifyAudit(site.store->db()).value().intact);
}

namespace {

edsync::sqlite::Database::SealingKey keyOf(unsigned char fill) {
    edsync::sqlite::Database::SealingKey key{};
    key.fill(fill);
    return key;
}

} // namespace

TEST_CASE("with a credential key, a copied database alone holds no hash to test a birth date against, and with the key sign-in works") {
    Site site;
    site.store->db().setSealingKey(keyOf(7));
    site.loadRoster();
    service::SecurityService security(*site.store, site.clock());
    CHECK(security.signIn("S1", "2009-04-02").ok);
    auto stmt = site.store->db().prepare("SELECT hash FROM credential WHERE kind = 'student_birth_date' AND subject_id = 'S1';").value();
    REQUIRE(*stmt.step());
    const std::string stored = stmt.getText(0);
    CHECK(store::isSealed(stored));
    CHECK(stored.find("argon2") == std::string::npos);  // no algorithm, salt or hash in the clear
    // The attack that recovered birth dates from a copy: every date of a
    // century tried against the stored value. Nothing to test them against.
    int found = 0, tried = 0;
    for (int year = 1930; year <= 2025 && found == 0; ++year)
        for (int day = 0; day < 366; ++day, ++tried) {
            auto date = domain::formatUtc(domain::parseIso8601(std::to_string(year) + "-01-01T00:00:00Z").value() + std::chrono::hours{24 * day})
                            .substr(0, 10);
            if (store::verifySecret(stored, date)) ++found;
        }
    CHECK(tried > 30000);
    CHECK(found == 0);
    // Reopened without its key (a copy on another machine): refused, with the reason; with another key: the same.
    site.reopen();
    auto noKey = store::checkCredential(site.store->db(), store::CredentialKind::StudentBirthDate, "S1", "2009-04-02", site.now);
    REQUIRE_FALSE(noKey.ok());
    CHECK(noKey.error().message.find("credential key") != std::string::npos);
    site.store->db().setSealingKey(keyOf(8));
    CHECK_FALSE(store::checkCredential(site.store->db(), store::CredentialKind::StudentBirthDate, "S1", "2009-04-02", site.now).ok());
    CHECK_FALSE(store::sealCredentials(site.store->db()).ok());  // a store sealed with one key is not resealed with another
    site.store->db().setSealingKey(keyOf(7));
    auto back = store::checkCredential(site.store->db(), store::CredentialKind::StudentBirthDate, "S1", "2009-04-02", site.now);
    REQUIRE(back.ok());
    CHECK(back->outcome == store::CheckOutcome::Accepted);
    // A sealed hash moved to another student's row does not open there (bound to kind and subject).
    REQUIRE(site.store->db().exec("UPDATE credential SET hash = (SELECT hash FROM credential WHERE subject_id = 'S1' AND kind = 'student_birth_date')"
                                  " WHERE subject_id = 'S2' AND kind = 'student_birth_date';").ok());
    CHECK_FALSE(store::checkCredential(site.store->db(), store::CredentialKind::StudentBirthDate, "S2", "2009-04-02", site.now).ok());
}

namespace {

// One sealed value as the copied file holds it: nonce and ciphertext with its tag.
struct SealedBox {
    std::vector<unsigned char> bytes;
    std::string associated;  // kind and subject, as credentials.cpp binds them
};

SealedBox sealedBox(const std::string& stored, const std::string& kind, const std::string& subject) {
    const std::string prefix = "$tsk-sealed-v1$";
    REQUIRE(stored.starts_with(prefix));
    SealedBox box;
    box.bytes.resize(stored.size());
    std::size_t length = 0;
    REQUIRE(sodium_base642bin(box.bytes.data(), box.bytes.size(), stored.data() + prefix.size(), stored.size() - prefix.size(), nullptr,
                              &length, nullptr, sodium_base64_VARIANT_ORIGINAL) == 0);
    box.bytes.resize(length);
    REQUIRE(length > crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    box.associated = kind + '\x1f' + subject;
    return box;
}

// Whether `key` opens the box: the attacker's test of a candidate key (the
// Poly1305 tag is checked before anything is decrypted).
bool opens(const SealedBox& box, const unsigned char* key) {
    constexpr std::size_t nonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    unsigned char plain[512];
    unsigned long long got = 0;
    const std::size_t body = box.bytes.size() - nonce;
    if (body - crypto_aead_xchacha20poly1305_ietf_ABYTES > sizeof plain) return false;
    return crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &got, nullptr, box.bytes.data() + nonce, body,
                                                      reinterpret_cast<const unsigned char*>(box.associated.data()), box.associated.size(),
                                                      box.bytes.data(), key) == 0;
}

// The key's public id as the database records it (meta credential_key_id).
std::string publicKeyId(const unsigned char* key) {
    static constexpr unsigned char kLabel[] = "testsite-kiosk credential key id";
    unsigned char out[8];
    crypto_generichash(out, sizeof out, kLabel, sizeof kLabel - 1, key, 32);
    char hex[sizeof out * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, out, sizeof out);
    return hex;
}

} // namespace

TEST_CASE("a copied database alone: 10^6 guesses at each of 5 students' birth date and PIN, and none verifies") {
    // The attacker holds kiosk.db, not credential.key. What the file holds for
    // each factor is XChaCha20-Poly1305 of its Argon2id string under the
    // credential key: 32 random bytes that are not in the file and are not
    // derived from anything that is. So no function of the file and a guess
    // tells a right guess from a wrong one; the attacker's best is to search
    // for the key, testing candidates against the cheapest values that depend
    // on it: the key's public id (8 bytes of keyed BLAKE2b) and each seal's
    // Poly1305 tag. A guessed date or PIN helps only if the key came from it,
    // so each guess is made into a key (BLAKE2b-256 of it) and tried on the
    // key id and on the student's sealed value, and is also checked as a bare
    // Argon2id secret against the stored text. The control at the end runs the
    // same steps with the real key: they open every seal and the guesses then
    // contain each date and PIN — the key, not the hash's cost, protects them.
    Site site;
    const auto key = keyOf(7);
    site.store->db().setSealingKey(key);
    REQUIRE(store::sealCredentials(site.store->db()).ok());  // as the app does at every open: records the key's public id
    struct Person {
        std::string id, birthDate, pin;
    };
    const std::vector<Person> people = {{"S1", "2009-04-12", "135790"},
                                        {"S2", "2008-11-02", "482913"},
                                        {"S3", "2009-01-30", "000417"},
                                        {"S4", "2008-07-19", "860042"},
                                        {"S5", "1999-02-28", "7741"}};
    store::RosterData data;
    domain::SessionInfo session;
    session.sessionId = "ADM-1";
    session.assessmentIdentifier = "WK";
    session.assessmentNamespace = "uri://x";
    session.assigningEdOrgId = 1;
    session.title = "WK";
    session.scheduledStart = site.now;
    data.sessions = {session};
    for (const auto& p : people) {
        data.students.push_back(domain::Student{p.id, "First", "", "Last", p.birthDate, "11"});
        data.registrations.push_back(domain::Registration{"ADM-1", p.id, {}, false});
    }
    REQUIRE(store::writeRoster(site.store->db(), data).ok());
    for (const auto& p : people)
        REQUIRE(store::setCredential(site.store->db(), store::CredentialKind::StudentPin, p.id, p.pin, store::HashCost::Bulk, site.now).ok());

    // The copy: kiosk.db as it is on disk once the kiosk closed it, alone.
    site.store.reset();
    test::TempDir thief;
    std::filesystem::copy_file(site.dir / "kiosk.db", thief / "kiosk.db");
    REQUIRE_FALSE(std::filesystem::exists(site.dir / "kiosk.db-wal"));
    const std::string fileText = fileBytes(thief / "kiosk.db");
    CHECK(fileText.find("$argon2") == std::string::npos);  // no bare hash, salt or parameters anywhere in the file
    for (const auto& p : people) CHECK(fileText.find(p.birthDate) == std::string::npos);
    auto copy = edsync::sqlite::Database::open(thief / "kiosk.db");
    REQUIRE(copy.ok());
    std::string keyId;
    {
        auto stmt = copy->prepare("SELECT value FROM kiosk_meta WHERE key = 'credential_key_id';").value();
        REQUIRE(*stmt.step());
        keyId = stmt.getText(0);
    }
    struct Target {
        std::string stored;
        SealedBox box;
    };
    std::map<std::pair<std::string, std::string>, Target> targets;  // (subject, kind)
    {
        auto stmt = copy->prepare("SELECT subject_id, kind, hash FROM credential ORDER BY subject_id, kind;").value();
        while (*stmt.step()) {
            const std::string subject = stmt.getText(0), kind = stmt.getText(1), stored = stmt.getText(2);
            CHECK(store::isSealed(stored));
            targets[{subject, kind}] = Target{stored, sealedBox(stored, kind, subject)};
        }
    }
    REQUIRE(targets.size() == 2 * people.size());

    // 10^6 guesses for every student: each date from 1900-01-01 to 2029-12-31
    // (birth date), then every 4-digit PIN, then 6-digit PINs from 000000 up.
    constexpr std::size_t kGuesses = 1'000'000;
    std::vector<std::string> guesses;
    guesses.reserve(kGuesses);
    for (auto day = domain::parseIso8601("1900-01-01T00:00:00Z").value(); day < domain::parseIso8601("2030-01-01T00:00:00Z").value();
         day += std::chrono::hours{24})
        guesses.push_back(domain::formatUtc(day).substr(0, 10));
    const std::size_t dates = guesses.size();
    char text[16];
    for (int n = 0; n < 10000; ++n) {
        std::snprintf(text, sizeof text, "%04d", n);
        guesses.emplace_back(text);
    }
    for (int n = 0; guesses.size() < kGuesses; ++n) {
        std::snprintf(text, sizeof text, "%06d", n);
        guesses.emplace_back(text);
    }
    REQUIRE(guesses.size() == kGuesses);
    for (const auto& p : people) {  // the truth is among the guesses
        REQUIRE(std::find(guesses.begin(), guesses.begin() + static_cast<std::ptrdiff_t>(dates), p.birthDate) != guesses.begin() + static_cast<std::ptrdiff_t>(dates));
        REQUIRE(std::find(guesses.begin() + static_cast<std::ptrdiff_t>(dates), guesses.end(), p.pin) != guesses.end());
    }

    // Each guess made into a key once (the same for every student), tested on the key id.
    std::vector<std::array<unsigned char, 32>> candidates(kGuesses);
    int keyIdMatches = 0;
    for (std::size_t i = 0; i < kGuesses; ++i) {
        crypto_generichash(candidates[i].data(), 32, reinterpret_cast<const unsigned char*>(guesses[i].data()), guesses[i].size(), nullptr, 0);
        if (publicKeyId(candidates[i].data()) == keyId) ++keyIdMatches;
    }
    CHECK(keyIdMatches == 0);
    // Then per student: each date guess on the sealed birth date, each PIN
    // guess on the sealed PIN, as a key and as a bare secret.
    std::size_t tried = 0;
    int opened = 0, verified = 0;
    for (const auto& p : people) {
        const Target& birth = targets.at({p.id, "student_birth_date"});
        const Target& pin = targets.at({p.id, "student_pin"});
        for (std::size_t i = 0; i < kGuesses; ++i, ++tried) {
            const Target& t = i < dates ? birth : pin;
            if (opens(t.box, candidates[i].data())) ++opened;
            if (store::verifySecret(t.stored, guesses[i])) ++verified;
        }
    }
    CHECK(tried == people.size() * kGuesses);
    CHECK(opened == 0);
    CHECK(verified == 0);

    // The control: with the real key the same steps succeed, so a miss above is
    // the key's absence, not a broken harness.
    CHECK(publicKeyId(key.data()) == keyId);
    for (const auto& p : people) {
        const std::vector<std::pair<std::string, std::string>> factors = {{"student_birth_date", p.birthDate}, {"student_pin", p.pin}};
        for (const auto& [kind, secret] : factors) {
            const Target& t = targets.at({p.id, kind});
            CHECK(opens(t.box, key.data()));
            auto hash = store::openValue(key, t.box.associated, t.stored);
            REQUIRE(hash);
            CHECK(store::verifySecret(*hash, secret));
        }
    }
}

TEST_CASE("an existing store's bare hashes are sealed once a key is attached, and still sign in") {
    Site site;
    site.loadRoster();  // no key yet: bare Argon2id hashes, as earlier releases wrote
    REQUIRE(store::setCredential(site.store->db(), store::CredentialKind::ProctorPin, "P001", "2468", store::HashCost::Bulk, site.now).ok());
    site.reopen();
    site.store->db().setSealingKey(keyOf(3));
    auto sealed = store::sealCredentials(site.store->db());
    REQUIRE(sealed.ok());
    CHECK(*sealed == 3);  // two birth dates and the proctor's PIN
    CHECK(*store::sealCredentials(site.store->db()) == 0);  // once only
    service::SecurityService security(*site.store, site.clock());
    CHECK(security.signIn("S2", "2008-12-31").ok);
    CHECK_FALSE(security.signIn("S2", "2008-12-30").ok);
    // Not left behind in freed space either (secure_delete), once the WAL is checkpointed.
    REQUIRE(site.store->db().exec("PRAGMA wal_checkpoint(TRUNCATE);").ok());
    std::string bytes = fileBytes(site.dir / "kiosk.db") + fileBytes(site.dir / "kiosk.db-wal");
    CHECK(bytes.find("$argon2id$") == std::string::npos);
}

namespace {

// What an attacker with the file does: drop the triggers, delete an entry,
// then renumber and rehash everything after it and the recorded head, with
// `hash` (the bare chain hash, or a MAC under a key of their own).
void rewriteWithout(store::Store& s, std::int64_t deleted, const std::function<std::string(const store::AuditEntry&)>& hash) {
    tamper(s, ("DELETE FROM audit_log WHERE seq = " + std::to_string(deleted) + ";").c_str());
    auto all = store::recentAudit(s.db(), 1000).value();
    std::reverse(all.begin(), all.end());
    REQUIRE(s.db().exec("DELETE FROM audit_log;").ok());
    std::string prev(64, '0');
    std::int64_t seq = 0;
    for (auto e : all) {
        e.seq = ++seq;
        e.prevHash = prev;
        e.hash = hash(e);
        prev = e.hash;
        auto insert = s.db().prepare("INSERT INTO audit_log (seq, at, kiosk_id, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8);").value();
        insert.bind(1, e.seq).bind(2, e.at).bind(3, e.kioskId).bind(4, e.actor).bind(5, e.action).bind(6, e.detail).bind(7, e.prevHash).bind(8, e.hash);
        REQUIRE(insert.run().ok());
    }
    REQUIRE(store::setMeta(s.db(), "audit_head", std::to_string(seq) + ":" + prev).ok());
}

} // namespace

TEST_CASE("an audit chain rewritten from the database alone is caught when the entries carry the credential key's MAC") {
    // Without a key (earlier releases): the rewrite passes, which is why the MAC exists.
    Site bare;
    fiveEntries(bare);
    rewriteWithout(*bare.store, 2, [](const store::AuditEntry& e) { return store::auditHash(e); });
    CHECK(store::verifyAudit(bare.store->db()).value().intact);

    // With the key: entries are MACed ("k1:"); a bare rewrite is a downgrade, caught at the first rewritten entry.
    Site keyed;
    keyed.store->db().setSealingKey(keyOf(5));
    REQUIRE(store::sealCredentials(keyed.store->db()).ok());  // as the app does on every open
    REQUIRE(store::markAuditKeyed(keyed.store->db()).ok());
    fiveEntries(keyed);
    CHECK(store::recentAudit(keyed.store->db(), 1).value().at(0).hash.starts_with("k1:"));
    rewriteWithout(*keyed.store, 2, [](const store::AuditEntry& e) { return store::auditHash(e); });
    auto downgraded = store::verifyAudit(keyed.store->db()).value();
    CHECK_FALSE(downgraded.intact);
    CHECK(downgraded.brokenAtSeq == 1);  // every entry was due a MAC from the first
    CHECK(downgraded.problem.find("no MAC") != std::string::npos);
    // Removing the mark as well does not help: a store with a credential key must have it.
    tamper(*keyed.store, "DELETE FROM kiosk_meta WHERE key = 'audit_keyed_from';");
    auto unmarked = store::verifyAudit(keyed.store->db()).value();
    CHECK_FALSE(unmarked.intact);
    CHECK(unmarked.problem.find("missing") != std::string::npos);

    // A MAC under a key of the attacker's own: every entry "was changed".
    Site forged;
    forged.store->db().setSealingKey(keyOf(5));
    REQUIRE(store::markAuditKeyed(forged.store->db()).ok());
    fiveEntries(forged);
    rewriteWithout(*forged.store, 2, [](const store::AuditEntry& e) { return store::auditHash(e, keyOf(6)); });
    auto v = store::verifyAudit(forged.store->db()).value();
    CHECK_FALSE(v.intact);
    CHECK(v.brokenAtSeq == 1);
    CHECK(v.problem.find("changed") != std::string::npos);

    // Read without the key (a copy elsewhere): the chain cannot be vouched for, and says why.
    forged.reopen();
    auto unknown = store::verifyAudit(forged.store->db()).value();
    CHECK_FALSE(unknown.intact);
    CHECK(unknown.problem.find("credential key") != std::string::npos);
}

TEST_CASE("the audit head printed on paper catches a rewrite made with the database and the key together") {
    Site site;
    site.store->db().setSealingKey(keyOf(5));
    REQUIRE(store::markAuditKeyed(site.store->db()).ok());
    fiveEntries(site);
    auto head = store::printableAuditHead(site.store->db());
    REQUIRE(head.ok());
    REQUIRE(head->starts_with("5:"));
    CHECK(head->size() == 2 + 16);
    CHECK_FALSE(store::checkPrintedHead(site.store->db(), *head).value().has_value());
    // Someone with the key as well rewrites the chain from entry 2: it verifies, but not against the paper.
    rewriteWithout(*site.store, 2, [](const store::AuditEntry& e) { return store::auditHash(e, keyOf(5)); });
    CHECK(store::verifyAudit(site.store->db()).value().intact);
    auto problem = store::checkPrintedHead(site.store->db(), *head).value();
    REQUIRE(problem.has_value());
    CHECK(problem->find("no longer in the chain") != std::string::npos);  // five entries became four
    // A head that is not one is said to be so, not taken as a match.
    CHECK(store::checkPrintedHead(site.store->db(), "banana").value().has_value());
    CHECK(store::checkPrintedHead(site.store->db(), "1:zz").value().has_value());
}
