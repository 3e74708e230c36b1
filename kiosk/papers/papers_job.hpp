#pragma once
// The kiosk's "Print papers…": a session's three papers drawn and sent to the
// default printer on a worker thread, so the window never waits for pango or
// CUPS. The model is built before (a read like any screen refresh); the job
// only holds plain values and files. docs/architecture.md, "Papers".
#include "kiosk/papers/paper_model.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace kiosk::papers {

struct PapersOutcome {
    std::vector<std::filesystem::path> files;  // written, 0600
    std::string error;                          // nothing written past this
    bool printed = false;                       // every file went to `printer`
    std::string printer;
    std::string notPrinted;                     // why not, the first time it failed
};

// Writes `stem`-roster.pdf, -seating.pdf, -irregularities.pdf into `dir`
// (made 0700 when missing), then prints them when `print`.
PapersOutcome writeAndPrint(const SessionPapers& papers, const std::filesystem::path& dir, const std::string& stem, bool print);

class PapersJob {
public:
    PapersJob();
    // Waits for a job still running (at the kiosk's exit): its files are
    // finished, never left half-written.
    ~PapersJob();
    PapersJob(const PapersJob&) = delete;
    PapersJob& operator=(const PapersJob&) = delete;

    // False (and nothing started) while an earlier job runs.
    bool start(SessionPapers papers, std::filesystem::path dir, std::string stem, bool print);
    bool running() const;
    // The outcome, once, when the job is done.
    std::optional<PapersOutcome> take();

private:
    struct State;
    std::shared_ptr<State> m_state;
    std::thread m_worker;
};

} // namespace kiosk::papers
