#include "kiosk/papers/papers_job.hpp"

#include "kiosk/papers/paper_documents.hpp"
#include "kiosk/papers/pdf_writer.hpp"
#include "kiosk/papers/printer.hpp"

#include <mutex>
#include <sys/stat.h>
#include <utility>

namespace kiosk::papers {

struct PapersJob::State {
    std::mutex mutex;
    bool running = false;
    std::optional<PapersOutcome> outcome;
};

namespace {

bool makeDir(const std::filesystem::path& dir, std::string& error) {
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) return true;
    if (std::filesystem::create_directories(dir, ec); ec) {
        error = "cannot create " + dir.string() + ": " + ec.message();
        return false;
    }
    ::chmod(dir.c_str(), 0700);
    return true;
}

void printAll(PapersOutcome& out) {
    out.printed = true;
    for (const auto& file : out.files) {
        auto r = printFile(file, "TestSite Kiosk " + file.stem().string(), std::nullopt);
        if (!r.printed) {
            out.printed = false;
            out.notPrinted = r.message;
            return;  // the same reason would stop the others
        }
        out.printer = r.printer;
    }
}

} // namespace

PapersOutcome writeAndPrint(const SessionPapers& papers, const std::filesystem::path& dir, const std::string& stem, bool print) {
    PapersOutcome out;
    if (!makeDir(dir, out.error)) return out;
    for (PaperKind kind : kAllPapers) {
        auto file = dir / (stem + "-" + std::string(paperKindCode(kind)) + ".pdf");
        if (!writePdf(paperFor(kind, papers), file, out.error)) return out;
        out.files.push_back(file);
    }
    if (print) printAll(out);
    return out;
}

PapersJob::PapersJob() : m_state(std::make_shared<State>()) {}

PapersJob::~PapersJob() {
    if (m_worker.joinable()) m_worker.join();
}

bool PapersJob::start(SessionPapers papers, std::filesystem::path dir, std::string stem, bool print) {
    {
        std::lock_guard lock(m_state->mutex);
        if (m_state->running) return false;
        m_state->running = true;
        m_state->outcome.reset();
    }
    if (m_worker.joinable()) m_worker.join();  // done: it cleared `running`
    m_worker = std::thread([state = m_state, papers = std::move(papers), dir = std::move(dir), stem = std::move(stem), print] {
        PapersOutcome out = writeAndPrint(papers, dir, stem, print);
        std::lock_guard lock(state->mutex);
        state->outcome = std::move(out);
        state->running = false;
    });
    return true;
}

bool PapersJob::running() const {
    std::lock_guard lock(m_state->mutex);
    return m_state->running;
}

std::optional<PapersOutcome> PapersJob::take() {
    std::lock_guard lock(m_state->mutex);
    if (m_state->running) return std::nullopt;
    return std::exchange(m_state->outcome, std::nullopt);
}

} // namespace kiosk::papers
