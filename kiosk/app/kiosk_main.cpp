// testsite-kiosk: the window and the frame loop. Everything else lives in
// the libraries; this file only wires them to GLFW and OpenGL.
#include "accessibility/assets.hpp"
#include "kiosk/app/commands/exit_codes.hpp"
#include "kiosk/app/config.hpp"
#include "kiosk/app/credential_key.hpp"
#include "kiosk/app/data_dir.hpp"
#include "kiosk/app/sync_lock.hpp"
#include "kiosk/app/sync_wiring.hpp"
#include "kiosk/app/glfw_input.hpp"
#include "kiosk/app/idle_file.hpp"
#include "kiosk/app/input_batch.hpp"
#include "kiosk/app/integrity_watch.hpp"
#include "kiosk/app/store_files_watch.hpp"
#include "kiosk/app/printable.hpp"
#include "kiosk/domain/time.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/session_queries.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/store_files.hpp"
#include "kiosk/ui/kiosk_ui.hpp"
#include "kiosk/ui/style.hpp"

#include <CLI/CLI.hpp>
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <vector>

namespace {

std::atomic<bool> g_stop{false};
void onSignal(int) { g_stop = true; }

// The window exits with kioskctl's codes (README, "Exit codes"): a script that
// starts either reads one table.
using kiosk::app::ctl::DataError;
using kiosk::app::ctl::NoDisplay;
using kiosk::app::ctl::Ok;
using kiosk::app::ctl::StoreDamaged;
using kiosk::app::ctl::Usage;

} // namespace

int main(int argc, char** argv) {
    CLI::App cli{"TestSite Kiosk: check students in to assessment sessions, offline first.\n"
                 "With an empty data directory it starts with demo data (a demo site, two sessions, a roster)."};
    std::optional<std::filesystem::path> dataDirArg;
    std::optional<std::filesystem::path> configArg;
    std::string proctor;
    int demoStudents = 300;
    bool fullscreen = false;
    bool studentStation = false;
    int exitAfterFrames = 0;
    bool benchReport = false;
    std::optional<std::filesystem::path> idleFile;
    std::string theme, language = "en";
    int textSize = 100;
    int integrityCheckSeconds = 24 * 60 * 60;
    cli.add_option("--data-dir", dataDirArg, "Data directory (default $XDG_DATA_HOME/testsite-kiosk)");
    cli.add_option("--config", configArg, "Site configuration (default /etc/testsite-kiosk/kiosk.toml, then <data dir>/kiosk.toml)");
    cli.add_option("--proctor", proctor, "Proctor ID to prefill on the sign-in");
    cli.add_option("--demo-students", demoStudents, "Roster size of the demo data loaded into an empty store")->check(CLI::Range(1, 200000));
    cli.add_flag("--fullscreen", fullscreen, "Kiosk mode: the whole screen, no decorations; leaving needs a proctor PIN");
    cli.add_flag("--student-station", studentStation, "A shared student machine: start at the student sign-in");
    cli.add_option("--exit-after-frames", exitAfterFrames, "Quit after N frames (tests and benchmarks)");
    cli.add_flag("--bench-report", benchReport, "Print the first frame's time and per-frame CPU times on exit (benchmarks)");
    cli.add_option("--idle-file", idleFile, "Tests: after taking every key sent and settling, write the keys taken and the title here");
    cli.add_option("--theme", theme, "Site default colours: a theme id from assets/themes (default: the first)");
    cli.add_option("--text-size", textSize, "Site default text size in percent")->check(CLI::Range(100, 300));
    cli.add_option("--language", language, "Site default interface language (en, es)");
    cli.add_option("--integrity-check-every", integrityCheckSeconds,
                   "Seconds between full database checks (default a day; the first runs at the tenth minute, or sooner)")
        ->check(CLI::Range(1, 7 * 24 * 60 * 60));
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // CLI11's own codes (105, 106...) are not in the table: a refused command line is 1, as in kioskctl.
        return cli.exit(e) == 0 ? Ok : Usage;
    }

    std::string error;
    auto dataDir = kiosk::app::prepareDataDir(dataDirArg, error);
    if (!dataDir) {
        std::cerr << "testsite-kiosk: " << error << "\n";
        return DataError;
    }
    auto store = kiosk::store::Store::open(dataDir->database());
    if (!store) {
        if (store.error().damaged()) {
            std::cerr << "testsite-kiosk: the kiosk's database is damaged: " << store.error().message
                      << ". Nothing was written to it; a technician runs `testsite-kioskctl rescue --to DIR` (README, \"A damaged database\")\n";
            return StoreDamaged;
        }
        std::cerr << "testsite-kiosk: " << store.error().describe() << "\n";
        return DataError;
    }
    // Taken at once: a file removed from here on is found (kiosk/store/store_files.hpp).
    const auto storeFileIds = kiosk::store::identifyStoreFiles(dataDir->database());
    // PIN and birth-date hashes sealed with a key kept outside the data
    // directory (docs/architecture.md, "Personal data at rest"); without it they stay bare hashes, as before.
    if (std::string keyError; !kiosk::app::attachCredentialKey(*store, keyError))
        std::cerr << "testsite-kiosk: " << keyError << "\n";
    // A proctor's commit pays one fsync, never a WAL checkpoint's two or three:
    // the frame loop checkpoints while nobody is typing.
    if (auto s = store->db().deferCheckpoints(); !s) std::cerr << "testsite-kiosk: " << s.error().describe() << "\n";
    auto configFile = kiosk::app::findConfig(configArg, dataDir->root);
    // Birth dates left in clear by a schema-1 release become hashes (no-op
    // otherwise); a failure leaves them for `testsite-kioskctl migrate`, which reports it.
    (void)kiosk::service::SecurityService(*store, kiosk::domain::systemNow).hashBirthDates();
    auto sessions = kiosk::store::listSessions(store->db());
    if (sessions && sessions->empty() && !configFile) {
        // The embedded default: demo data, so the kiosk runs with no server.
        kiosk::store::DemoOptions demo;
        demo.students = demoStudents;
        demo.now = kiosk::domain::systemNow();
        if (auto s = kiosk::store::loadDemo(*store, demo); !s) {
            std::cerr << "testsite-kiosk: cannot load demo data: " << s.error().describe() << "\n";
            return DataError;
        }
    }

    std::signal(SIGTERM, onSignal);
    std::signal(SIGINT, onSignal);

    glfwSetErrorCallback([](int code, const char* description) { std::fprintf(stderr, "testsite-kiosk: GLFW error %d: %s\n", code, description); });
    if (!glfwInit()) {
        std::cerr << "testsite-kiosk: cannot open a window (is a display available?)\n";
        return NoDisplay;
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    GLFWmonitor* monitor = glfwGetPrimaryMonitor();
    const GLFWvidmode* mode = monitor ? glfwGetVideoMode(monitor) : nullptr;
    int width = mode ? mode->width : 1280, height = mode ? mode->height : 800;
    glfwWindowHint(GLFW_MAXIMIZED, GLFW_TRUE);
    if (fullscreen) glfwWindowHint(GLFW_DECORATED, GLFW_FALSE);
    GLFWwindow* window = glfwCreateWindow(width, height, "TestSite Kiosk", fullscreen ? monitor : nullptr, nullptr);
    if (!window) {
        std::cerr << "testsite-kiosk: cannot create an OpenGL 3 window\n";
        glfwTerminate();
        return NoDisplay;
    }
    glfwMakeContextCurrent(window);
    glfwSwapInterval(1);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // a kiosk keeps no window layout between runs
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    io.ConfigInputTextCursorBlink = false;  // no redraws while idle
    ImGui_ImplGlfw_InitForOpenGL(window, false);
    kiosk::app::installInputQueue(window);
    ImGui_ImplOpenGL3_Init("#version 130");
    io.KeyMap[ImGuiKey_Tab] = -1;  // the widget layer owns Tab order

    auto clock = kiosk::domain::Clock(kiosk::domain::systemNow);
    kiosk::service::AttendanceService attendance(*store, clock);

    // Sync with the state runs on its own thread when the kiosk is enrolled;
    // without a configuration the kiosk works offline (and says so).
    // One engine per database: when the background service
    // (testsite-kiosk-sync) already syncs this data directory, the window
    // leaves it to the service.
    kiosk::app::SyncSetup sync;
    std::optional<kiosk::app::SyncLock> syncLock;
    if (configFile) {
        std::optional<kiosk::app::SyncLock::Holder> holder;
        std::string lockError;
        syncLock = kiosk::app::SyncLock::tryAcquire(dataDir->root, "kiosk", holder, lockError);
        if (!syncLock)
            std::cerr << "testsite-kiosk: sync runs in another process ("
                      << kiosk::app::printable(holder ? holder->role + " pid " + std::to_string(holder->pid) : lockError) << ")\n";
    }
    std::chrono::minutes proctorLock{10};
    if (configFile) {
        auto loaded = kiosk::app::loadConfig(*configFile);
        if (!loaded.config) {
            std::cerr << "testsite-kiosk: " << loaded.error << "\n";
        } else {
            proctorLock = std::chrono::minutes(loaded.config->proctorLockMinutes);
            // Every fact this window commits is shared with the site, whichever process runs the link.
            if (loaded.config->hub) kiosk::app::publishToSite(*store, *loaded.config);
            if (syncLock) {
                sync = kiosk::app::makeSyncEngine(*loaded.config, dataDir->database(), store->kioskId());
                if (!sync.engine) std::cerr << "testsite-kiosk: sync is off: " << sync.error << "\n";
                else if (!sync.start()) {
                    std::cerr << "testsite-kiosk: sync is off: " << sync.error << "\n";
                    sync.engine.reset();
                }
            }
        }
    }
    if (sync.engine) attendance.setOnCommitted([s = &sync] { s->wake(); });
    kiosk::service::SessionQueries queries(*store);
    // The check-in screen's read model, built on its own thread and connection;
    // a new view wakes the frame loop (glfwPostEmptyEvent may be called from any thread).
    kiosk::service::SessionViews views(dataDir->database(), store->db().sealingKey(), [] { glfwPostEmptyEvent(); });
    std::vector<std::string> problems;
    auto assets = kiosk::accessibility::findAssetsDir();
    auto resources = kiosk::ui::loadResources(assets, language, problems);
    for (const auto& p : problems) std::cerr << "testsite-kiosk: " << p << "\n";
    kiosk::ui::UiOptions options;
    options.defaultProctor = proctor;
    options.siteName = store->siteName();
    options.exportDir = dataDir->exports();
    options.clock = clock;
    // Asked per instant, not once at start: after a DST change the times shown move with it.
    options.utcOffsetAt = [](kiosk::domain::Timestamp t) { return kiosk::store::localUtcOffsetMinutes(t); };
    kiosk::accessibility::OnDemandSpeaker speaker;  // espeak-ng starts at the first utterance, on its own thread
    options.speech = &speaker;
    kiosk::service::SecurityService security(*store, clock);
    kiosk::service::WorkService work(*store, clock, security);
    if (auto err = work.loadCatalogue(assets / "tasks" / "work-readiness.json")) std::cerr << "testsite-kiosk: " << *err << "\n";
    if (sync.engine) work.setOnCommitted([s = &sync] { s->wake(); });
    kiosk::service::SyncQueries syncQueries(*store);
    if (sync.engine)
        options.syncStatus = [engine = sync.engine.get()] { return kiosk::app::summarise(engine->status()); };
    options.studentStation = studentStation;
    if (!configFile) options.demoSignIns = kiosk::service::SecurityService(*store, kiosk::domain::systemNow).demoSignIns();
    options.kioskMode = fullscreen;
    options.proctorIdle.timeout = proctorLock;
    // Every read and write of the store a screen asks for runs on this one
    // worker, which owns the window's connection from here on; its answer
    // wakes the frame loop (docs/architecture.md, "Actions").
    kiosk::service::ActionQueue actions([&views] { views.invalidate(kiosk::service::SessionViews::kWaitAfterCommit); },
                                        [] { glfwPostEmptyEvent(); });
    kiosk::ui::KioskUi ui({attendance, queries, views, security, work, syncQueries, actions}, std::move(resources), options);
    {
        auto site = ui.siteDefault();
        if (!theme.empty()) site.themeId = theme;
        site.text.scalePercent = textSize;
        site.language = language;
        ui.setSiteDefault(site);
        if (!theme.empty() && ui.preferences().themeId != theme) std::cerr << "testsite-kiosk: no theme \"" << theme << "\"\n";
    }

    kiosk::accessibility::FontFiles fonts(ui.assetsDir());  // read once here: a text-size change never reads the disk

    // The full integrity check, off the render thread (docs/architecture.md, "Database health").
    const auto checkEvery = std::chrono::seconds(integrityCheckSeconds);
    kiosk::app::IntegrityWatch integrity(dataDir->database(), std::min<std::chrono::milliseconds>(std::chrono::minutes(10), checkEvery),
                                         checkEvery);
    bool damageShown = false;
    // kiosk.db, its -wal and -shm removed or replaced under the window: what
    // it holds is saved, nothing more is written (kiosk/store/store_files.hpp).
    kiosk::app::StoreFilesWatch storeFiles(dataDir->database(), storeFileIds, std::chrono::seconds(1));
    bool filesChanged = false;
    bool checkpointOnExit = false;  // the -wal or -shm went, kiosk.db stayed: later writes (an exit, audited) follow the save

    // Render on demand: after input, a few frames let ImGui settle; idle, the
    // loop wakes four times a second to check for a stop and redraws every
    // few seconds for the clock and the outbox count. While only an action or
    // a view is on its way, the loop sleeps until its answer wakes it (each
    // posts an empty event): a redraw per turn would take a core from the
    // very threads it waits for on a software renderer.
    using Clock = std::chrono::steady_clock;
    int settleFrames = 3;
    bool awaitingWorkers = false;
    kiosk::app::FocusHold focusHold;
    auto lastFrame = Clock::now() - std::chrono::seconds(2);
    auto lastInput = Clock::now(), lastCheckpoint = Clock::now();
    int frames = 0;
    std::string title = "TestSite Kiosk";
    std::vector<double> frameMs;  // CPU time from NewFrame to swap, for --bench-report
    std::optional<kiosk::app::IdleState> idleSaid;  // what --idle-file last said
    for (;;) {
        if (g_stop || ui.exitApproved()) break;  // SIGTERM (systemd stop) or a proctor's PIN
        if (glfwWindowShouldClose(window)) {
            if (!fullscreen) break;
            glfwSetWindowShouldClose(window, GLFW_FALSE);
            ui.requestExit();
            settleFrames = 3;
        }
        if (!damageShown && !filesChanged) {  // after a file changed, what the check opens is not this store
            if (auto finding = integrity.damage()) {
                // Nothing more is written here: no sync, every screen put away behind the notice.
                damageShown = true;
                std::cerr << "testsite-kiosk: the database " << kiosk::app::printable(dataDir->database().string())
                          << " is damaged (integrity_check: " << kiosk::app::printable(*finding)
                          << "); nothing more is recorded here. Run `testsite-kioskctl rescue --to DIR` (README, \"A damaged database\")\n";
                actions.post([&store] { store->db().stopCheckpoints(); });
                if (sync.site.link) sync.site.link->stop();  // facts from the hub would be written here
                if (sync.engine) sync.engine->stop();         // its connection closes, not last: no checkpoint
                ui.showStoreDamaged(dataDir->database().string());
                settleFrames = 3;
            }
        }
        if (!damageShown && !filesChanged) {
            if (auto file = storeFiles.changed()) {
                filesChanged = true;
                std::cerr << "testsite-kiosk: " << kiosk::app::printable(file->string())
                          << " was removed or replaced while the kiosk ran; saving what this kiosk holds, then nothing more is recorded here"
                             " until it starts again\n";
                if (sync.site.link) sync.site.link->stop();  // the writers on their own connections first
                if (sync.engine) sync.engine->stop();
                auto stamp = kiosk::domain::fileStamp(kiosk::domain::systemNow());
                // On the worker, after any action already asked for: it owns the connection.
                actions.submit([&store, database = dataDir->database(), taken = storeFiles.taken(), stamp] {
                    return kiosk::store::saveAfterChange(store->db(), database, taken, stamp);
                },
                               [&ui, &checkpointOnExit, walOrShm = *file != dataDir->database()](
                                   const edsync::sqlite::Result<kiosk::store::SavedStore>& saved) {
                                   if (saved) {
                                       checkpointOnExit = saved->inPlace && walOrShm;
                                       std::cerr << "testsite-kiosk: saved everything recorded here in "
                                                 << kiosk::app::printable(saved->file.string()) << "\n";
                                       ui.storeSaved(saved->file.string(), saved->inPlace);
                                   } else {
                                       std::cerr << "testsite-kiosk: could not save what this kiosk holds: "
                                                 << kiosk::app::printable(saved.error().describe()) << "\n";
                                       ui.storeNotSaved(saved.error().describe());
                                   }
                               });
                ui.showStoreFileChanged(file->string());
                settleFrames = 3;
            }
        }
        auto before = Clock::now();
        // Awaiting workers, a short wait all the same, and a frame at least
        // every 250 ms: a wake-up lost on the way would cost that, not an idle turn.
        const auto wait = awaitingWorkers ? std::chrono::milliseconds(50) : std::chrono::milliseconds(250);
        if (settleFrames > 0) glfwPollEvents();
        else glfwWaitEventsTimeout(std::chrono::duration<double>(wait).count());
        bool woke = Clock::now() - before < wait - std::chrono::milliseconds(10);
        if ((woke || kiosk::app::inputPending()) && settleFrames == 0) settleFrames = 3;
        if (woke) lastInput = Clock::now();
        // The answer in: the frames an input gets, since what it opens (a dialog
        // after a walk-in, say) appears only on the frame after it is asked for.
        if (awaitingWorkers && !ui.viewPending() && !actions.busy()) settleFrames = std::max(settleFrames, 3);
        else if (awaitingWorkers && Clock::now() - lastFrame >= std::chrono::milliseconds(250)) settleFrames = std::max(settleFrames, 1);
        // Idle for 2 s: copy the WAL into the database (passive: it never
        // blocks the sync thread), at most every 10 s.
        if (!damageShown && !filesChanged && settleFrames == 0 && !actions.busy() && Clock::now() - lastInput > std::chrono::seconds(2) &&
            Clock::now() - lastCheckpoint > std::chrono::seconds(10)) {
            actions.post([&store] {
                if (auto left = store->db().checkpoint(); !left) std::cerr << "testsite-kiosk: checkpoint: " << left.error().describe() << "\n";
            });
            lastCheckpoint = Clock::now();
        }
        // Idle, one frame every 5 s keeps the clock (minutes) and the outbox count
        // current (every full-screen redraw costs CPU on a software renderer);
        // once a second while a student's idle time-out counts down.
        auto idleFrame = ui.idleTimer() ? std::chrono::seconds(1) : std::chrono::seconds(5);
        if (settleFrames == 0 && Clock::now() - lastFrame < idleFrame) continue;

        if (ui.fontsDirty()) {
            kiosk::ui::buildFontAtlas(*io.Fonts, fonts, ui.textSettings());
            ImGui_ImplOpenGL3_DestroyFontsTexture();
            ImGui_ImplOpenGL3_CreateFontsTexture();
            ui.fontsRebuilt();
        }
        // While an action's answer is on its way, no key press or click reaches
        // the screens: what is typed next acts on what the action left on screen.
        // Nor while focus is on its way to a control: a proctor who types a
        // name as the session opens types into its search field, not into the
        // frames before the field takes the keys (kFocusHoldFrames at most).
        const bool acting = actions.busy();
        const bool landing = focusHold.beginFrame(ui.focusLanding());
        kiosk::app::drainInputQueue(window, acting || landing);
        if (kiosk::app::inputPending()) settleFrames = std::max(settleFrames, 2);
        auto frameStart = Clock::now();
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        ImGui::NewFrame();
        ui.frame();
        ImGui::Render();
        int fbw = 0, fbh = 0;
        glfwGetFramebufferSize(window, &fbw, &fbh);
        glViewport(0, 0, fbw, fbh);
        glClearColor(0, 0, 0, 1);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        glfwSwapBuffers(window);
        lastFrame = Clock::now();
        if (auto now = ui.windowTitle(); now != title) {  // screen readers and task switchers read it
            title = now;
            glfwSetWindowTitle(window, title.c_str());
        }
        if (benchReport) {
            if (frames == 0)
                std::printf("first-frame-epoch-ms %lld\n", static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                   std::chrono::system_clock::now().time_since_epoch()).count()));
            frameMs.push_back(std::chrono::duration<double, std::milli>(lastFrame - frameStart).count());
            std::fflush(stdout);
        }
        if (settleFrames > 0) --settleFrames;
        ++frames;
        // Until focus has landed; and (woken by their answer) until the new
        // view or answer is drawn.
        if (focusHold.wantsAnotherFrame(ui.focusLanding())) settleFrames = std::max(settleFrames, 1);
        awaitingWorkers = ui.viewPending() || actions.busy();
        if (idleFile && settleFrames == 0 && !awaitingWorkers && !kiosk::app::inputPending()) {
            // Settled: every key taken and drawn. Written when something changed.
            kiosk::app::IdleState now{kiosk::app::inputEventsTaken(), kiosk::app::charactersTaken(), title};
            if (idleSaid != now) {
                kiosk::app::writeIdleFile(*idleFile, now);
                idleSaid = now;
            }
        }
        if (exitAfterFrames > 0 && frames >= exitAfterFrames) break;
    }

    if (benchReport && !frameMs.empty()) {
        std::sort(frameMs.begin(), frameMs.end());
        auto pct = [&](double p) { return frameMs[std::min(frameMs.size() - 1, static_cast<std::size_t>(p * static_cast<double>(frameMs.size())))]; };
        std::printf("frames %zu frame-ms-p50 %.2f frame-ms-p95 %.2f\n", frameMs.size(), pct(0.50), pct(0.95));
    }
    actions.stop();                        // the last action asked for is committed before the window goes
    if (checkpointOnExit)
        if (auto s = store->db().checkpointAll(); !s) std::cerr << "testsite-kiosk: checkpoint: " << s.error().describe() << "\n";
    if (sync.engine) sync.engine->stop();  // unfinished claims go back to the queue
    views.stop();                          // it wakes the window: before GLFW goes
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(window);
    glfwTerminate();
    return damageShown ? StoreDamaged : filesChanged ? DataError : Ok;
}
