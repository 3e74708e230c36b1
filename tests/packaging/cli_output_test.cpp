// What testsite-kioskctl prints, run in this process: text from outside (the
// server, the sync lock file) reaches the terminal escaped by the one
// `printable`; status shows the audit chain's head and a clock that moved back.
#include "kiosk/app/commands/ctl.hpp"
#include "kiosk/app/commands/failed_records.hpp"
#include "kiosk/app/credential_key.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "support/kiosk_fixture.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

using namespace kiosk::app::ctl;

namespace {

struct Ran {
    int code = -1;
    std::string out;
    std::string err;
};

// Runs one kioskctl command line as kioskctl_main does, with stdout and
// stderr captured; `stdoutIs` stands for what kioskctl_main's isatty says.
Ran kioskctl(std::vector<std::string> args, Terminal stdoutIs = Terminal::No) {
    CLI::App cli;
    cli.require_subcommand(1);
    Context ctx;
    ctx.stdoutIs = stdoutIs;
    cli.add_option("--data-dir", ctx.dataDirArg);
    cli.add_option("--config", ctx.configArg);
    addStatusCommand(cli, ctx);
    addSyncCommands(cli, ctx);
    addSecurityCommands(cli, ctx);
    addAuditCommands(cli, ctx);
    addDataCommands(cli, ctx);
    args.insert(args.begin(), "testsite-kioskctl");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream out, err;
    auto* oldOut = std::cout.rdbuf(out.rdbuf());
    auto* oldErr = std::cerr.rdbuf(err.rdbuf());
    Ran r;
    try {
        cli.parse(static_cast<int>(argv.size()), argv.data());
        r.code = ctx.action ? ctx.action() : static_cast<int>(Usage);
    } catch (const CLI::ParseError& e) {
        r.code = Usage;
        err << e.what();
    }
    std::cout.rdbuf(oldOut);
    std::cerr.rdbuf(oldErr);
    r.out = out.str();
    r.err = err.str();
    return r;
}

// A data directory whose sync lock another process holds, with `role` in the
// lock file: the file is the data directory's, so anyone who can write there
// chooses what it says.
struct LockedDataDir {
    kiosk::test::TempDir dir;
    int fd = -1;
    explicit LockedDataDir(const std::string& role) {
        ::setenv("TESTSITE_KIOSK_KEY_FILE", (dir / "credential.key").c_str(), 1);
        std::filesystem::create_directories(dir / "data");
        std::filesystem::permissions(dir / "data", std::filesystem::perms::owner_all);
        fd = ::open((dir / "data" / "sync.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        const std::string text = "4242 " + role + "\n";
        REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
        REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);  // another open file: tryAcquire here is refused
    }
    ~LockedDataDir() { ::close(fd); }
    std::string data() const { return (dir / "data").string(); }
};

const std::string kHostile = "ro\x1b]2;pwned\x07le\xe2\x80\xae";  // a title change, a BEL, a right-to-left override

} // namespace

TEST_CASE("failed records print the server's words through printable: C0, bidi overrides and invalid UTF-8 escaped") {
    kiosk::service::FailedRecord r;
    r.refused = true;
    r.who = "Zoë \xe2\x80\xae" "evil";  // U+202E would reverse what follows on screen
    r.httpStatus = 409;
    r.problemType = "urn:x\x1b[2J";
    r.correlationId = "c-\xff";
    r.words = "bad\x9b" "31m";  // a lone C1 byte: invalid UTF-8
    std::ostringstream out;
    printFailedRecords(out, {r});
    const std::string text = out.str();
    CHECK(text.find("Zoë \\u202eevil") != std::string::npos);
    CHECK(text.find("urn:x\\x1b[2J") != std::string::npos);
    CHECK(text.find("c-\\xff") != std::string::npos);
    CHECK(text.find("bad\\x9b31m") != std::string::npos);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find("\xe2\x80\xae") == std::string::npos);
}

TEST_CASE("a failed record's status is printed once whether the words are the server's or the kiosk's") {
    kiosk::service::FailedRecord r;
    r.who = "Zoë";
    r.httpStatus = 302;
    r.cause = "HTTP 302: the server could not take the record now";  // as classifyUpsert words it
    std::ostringstream out;
    printFailedRecords(out, {r});
    CHECK(out.str().find("    HTTP 302: the server could not take the record now\n") != std::string::npos);
    CHECK(out.str().find("HTTP 302: HTTP 302") == std::string::npos);
}

TEST_CASE("export-session escapes stored names on a terminal and writes the report's own bytes to a pipe") {
    kiosk::test::TempDir dir;
    ::setenv("TESTSITE_KIOSK_KEY_FILE", (dir / "credential.key").c_str(), 1);
    const std::string data = (dir / "data").string();
    REQUIRE(kioskctl({"--data-dir", data, "demo", "--students", "3"}).code == Ok);
    {
        // A name stored before imports refused control characters (or by an older release).
        auto db = edsync::sqlite::Database::open(dir / "data" / "kiosk.db").value();
        auto stmt = db.prepare("UPDATE student SET first_name = ?1;").value();
        stmt.bind(1, std::string_view("Zo\xc3\xab\xc2\x9b" "2J\x1b]52;c;aGk=\x07"));  // C1 CSI, then OSC 52 (the clipboard)
        REQUIRE(stmt.run().ok());
    }
    Ran piped = kioskctl({"--data-dir", data, "export-session", "RHS-2026-WK-AM-114"});
    REQUIRE(piped.code == Ok);
    CHECK(piped.out.find("Zo\xc3\xab\xc2\x9b" "2J\x1b]52;c;aGk=\x07") != std::string::npos);  // a file gets the stored bytes
    CHECK(piped.out.find("\r\n") != std::string::npos);

    Ran shown = kioskctl({"--data-dir", data, "export-session", "RHS-2026-WK-AM-114"}, Terminal::Yes);
    INFO(shown.out);
    REQUIRE(shown.code == Ok);
    CHECK(shown.out.find("Zo\xc3\xab\\u009b2J\\x1b]52;c;aGk=\\x07") != std::string::npos);
    CHECK(shown.out.find('\x1b') == std::string::npos);
    CHECK(shown.out.find("\xc2\x9b") == std::string::npos);
    CHECK(shown.out.find('\r') == std::string::npos);
    CHECK(shown.out.find("session_id,assessment,") == 0);
}

TEST_CASE("import-tasks refuses a file that is no catalogue before the audit log records an install") {
    kiosk::test::TempDir dir;
    ::setenv("TESTSITE_KIOSK_KEY_FILE", (dir / "credential.key").c_str(), 1);
    const std::string data = (dir / "data").string();
    std::ofstream(dir / "bad.json") << R"({"title": "Work\u001b[2J", "areas": []})";
    Ran refused = kioskctl({"--data-dir", data, "import-tasks", (dir / "bad.json").string()});
    INFO(refused.out, refused.err);
    CHECK(refused.code == InputError);
    CHECK(refused.err.find("import-tasks: task catalogue:") != std::string::npos);
    Ran log = kioskctl({"--data-dir", data, "audit-log"});
    REQUIRE(log.code == Ok);
    CHECK(log.out.find("settings.task_catalogue") == std::string::npos);
}

TEST_CASE("a good file the store cannot take is exit 4 (the database) and not 3 (the file)") {
    kiosk::test::TempDir dir;
    ::setenv("TESTSITE_KIOSK_KEY_FILE", (dir / "credential.key").c_str(), 1);
    const std::string data = (dir / "data").string();
    REQUIRE(kioskctl({"--data-dir", data, "demo", "--students", "3"}).code == Ok);
    {
        // Writes that fail inside SQLite, as a read-only or failing disk's would.
        auto db = edsync::sqlite::Database::open(dir / "data" / "kiosk.db").value();
        REQUIRE(db.exec("CREATE TRIGGER test_no_student BEFORE INSERT ON student BEGIN SELECT RAISE(ABORT, 'cannot write'); END;"
                        "CREATE TRIGGER test_no_catalogue BEFORE INSERT ON kiosk_meta WHEN NEW.key = 'task_catalogue'"
                        " BEGIN SELECT RAISE(ABORT, 'cannot write'); END;").ok());
    }
    std::ofstream(dir / "roster.json") << R"({"students": [{"studentUniqueId": "S9", "firstName": "Ana", "lastSurname": "Ruiz"}]})";
    Ran roster = kioskctl({"--data-dir", data, "import-roster", (dir / "roster.json").string()});
    INFO(roster.err);
    CHECK(roster.code == DataError);
    CHECK(roster.err.find("nothing was imported") != std::string::npos);

    std::ofstream(dir / "tasks.json") << R"({"title": "x", "programEvaluation": {"programEducationOrganizationId": 1,
        "programEvaluationPeriodDescriptor": "a", "programEvaluationTitle": "b", "programEvaluationTypeDescriptor": "c",
        "programName": "d", "programTypeDescriptor": "e"},
        "areas": [{"id": "a", "title": "A", "requiredHours": 1, "requiredTasks": 1, "tasks": [{"id": "t", "title": "T"}]}]})";
    Ran tasks = kioskctl({"--data-dir", data, "import-tasks", (dir / "tasks.json").string()});
    INFO(tasks.err);
    CHECK(tasks.code == DataError);

    std::ofstream(dir / "broken.json") << R"({"students": [)";
    CHECK(kioskctl({"--data-dir", data, "import-roster", (dir / "broken.json").string()}).code == InputError);  // the file's fault still 3
}

TEST_CASE("status names the sync lock's holder escaped") {
    LockedDataDir d(kHostile);
    Ran r = kioskctl({"--data-dir", d.data(), "status"});
    INFO(r.out, r.err);
    CHECK(r.out.find("background sync: running (ro\\x1b]2;pwned\\x07le\\u202e, pid 4242)") != std::string::npos);
    CHECK(r.out.find('\x1b') == std::string::npos);
    CHECK(r.out.find("\xe2\x80\xae") == std::string::npos);
}

TEST_CASE("sync names another process's role escaped") {
    LockedDataDir d(kHostile);
    std::ofstream(d.dir / "creds") << "key=k\nsecret=s\n";
    std::filesystem::permissions(d.dir / "creds", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::ofstream(d.dir / "kiosk.toml") << "[state]\nbase_url = \"https://127.0.0.1:9\"\ncredentials_file = \"" << (d.dir / "creds").string()
                                        << "\"\n[kiosk]\nname = \"k\"\n";
    Ran r = kioskctl({"--data-dir", d.data(), "--config", (d.dir / "kiosk.toml").string(), "sync"});
    INFO(r.out, r.err);
    CHECK(r.code == ServiceAsked);
    CHECK(r.out.find("another process (ro\\x1b]2;pwned\\x07le\\u202e pid 4242)") != std::string::npos);
    CHECK(r.out.find('\x1b') == std::string::npos);
}

TEST_CASE("status shows the audit chain's head, in text and JSON, as verify-audit --printed-head takes it") {
    kiosk::test::TempDir dir;
    ::setenv("TESTSITE_KIOSK_KEY_FILE", (dir / "credential.key").c_str(), 1);
    const std::string data = (dir / "data").string();
    Ran empty = kioskctl({"--data-dir", data, "status", "--json"});
    REQUIRE(empty.code == Ok);
    CHECK_FALSE(nlohmann::json::parse(empty.out)["audit"].contains("head"));  // no entry, no head

    REQUIRE(kioskctl({"--data-dir", data, "second-factor", "pin"}).code == Ok);  // each change is an audit entry
    REQUIRE(kioskctl({"--data-dir", data, "second-factor", "birth_date"}).code == Ok);
    Ran json = kioskctl({"--data-dir", data, "status", "--json"});
    INFO(json.out, json.err);
    REQUIRE(json.code == Ok);
    auto audit = nlohmann::json::parse(json.out)["audit"];
    REQUIRE(audit.contains("head"));
    const std::string head = audit["head"];
    CHECK(audit["headSeq"] == audit["entries"]);
    CHECK(head.rfind(std::to_string(audit["headSeq"].get<std::int64_t>()) + ":", 0) == 0);
    CHECK(head.size() == head.find(':') + 1 + 16);  // 16 hex digits of the hash

    Ran text = kioskctl({"--data-dir", data, "status"});
    CHECK(text.out.find("audit head: " + head) != std::string::npos);
    Ran verified = kioskctl({"--data-dir", data, "verify-audit", "--printed-head", head});
    INFO(verified.out, verified.err);
    CHECK(verified.code == Ok);
}

TEST_CASE("status warns of a clock that moved back, in text and JSON") {
    kiosk::test::TempDir dir;
    ::setenv("TESTSITE_KIOSK_KEY_FILE", (dir / "credential.key").c_str(), 1);
    const std::string data = (dir / "data").string();
    REQUIRE(kioskctl({"--data-dir", data, "status"}).code == Ok);  // makes the store
    {
        auto store = kiosk::store::Store::open(dir / "data" / "kiosk.db");
        REQUIRE(store.ok());
        std::string keyError;
        REQUIRE_MESSAGE(kiosk::app::attachCredentialKey(*store, keyError), keyError);  // as the binaries do
        REQUIRE(kiosk::store::writeRoster(store->db(), kiosk::test::smallRoster()).ok());
        kiosk::test::ManualClock clock(kiosk::test::atMinute(-10));
        kiosk::service::AttendanceService svc(*store, clock.clock());
        REQUIRE(svc.openSession(kiosk::test::kMathSession, kiosk::test::kProctor).saved);
        clock.setMinute(5);
        REQUIRE(svc.checkIn(kiosk::test::kMathSession, "S100001", kiosk::test::kProctor, {}).saved);
        Ran calm = kioskctl({"--data-dir", data, "status"});
        CHECK(calm.out.find("clock moved back") == std::string::npos);
        clock.setMinute(5 - 60);  // an hour back
        REQUIRE(svc.checkOut(kiosk::test::kMathSession, "S100001", kiosk::test::kProctor).saved);
    }
    Ran text = kioskctl({"--data-dir", data, "status"});
    INFO(text.out, text.err);
    CHECK(text.out.find("WARNING: this kiosk's clock moved back 1 time(s), the last by 3600 s") != std::string::npos);
    CHECK(text.out.find("audit chain: intact") != std::string::npos);
    Ran json = kioskctl({"--data-dir", data, "status", "--json"});
    auto clockJson = nlohmann::json::parse(json.out)["clock"];
    CHECK(clockJson["movedBack"] == 1);
    CHECK(clockJson["lastMovedBackSeconds"] == 3600);
    CHECK(clockJson["lastMovedBackAt"] == kiosk::domain::formatUtc(kiosk::test::atMinute(-55)));
}
