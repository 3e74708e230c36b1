// papers: the printable papers of a session (sign-in roster, seating chart,
// irregularity report) as PDF files, optionally sent to a CUPS printer.
// docs/architecture.md, "Papers".
#include "kiosk/app/commands/ctl.hpp"
#include "kiosk/app/printable.hpp"
#include "kiosk/papers/paper_documents.hpp"
#include "kiosk/papers/paper_model.hpp"
#include "kiosk/papers/pdf_writer.hpp"
#include "kiosk/papers/printer.hpp"
#include "kiosk/store/ids.hpp"

#include <iostream>
#include <memory>
#include <sys/stat.h>

namespace kiosk::app::ctl {

namespace {

struct PapersOptions {
    std::string sessionId;
    std::string kind = "all";
    std::filesystem::path out;
    bool print = false;
    std::string printer;
};

std::vector<papers::PaperKind> kindsFor(const std::string& kind) {
    if (kind == "all") return {std::begin(papers::kAllPapers), std::end(papers::kAllPapers)};
    return {*papers::paperKindFromCode(kind)};  // CLI11 checked the word
}

// The folder for the files: made 0700 when missing (the papers name students).
bool prepareOutDir(const std::filesystem::path& dir) {
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) return true;
    if (std::filesystem::create_directories(dir, ec); ec) {
        std::cerr << "papers: cannot create " << printable(dir.string()) << ": " << ec.message() << "\n";
        return false;
    }
    ::chmod(dir.c_str(), 0700);
    return true;
}

// Writes each paper; the paths written, or nothing after the first failure.
std::optional<std::vector<std::filesystem::path>> writePapers(const papers::SessionPapers& model, const PapersOptions& o) {
    std::vector<std::filesystem::path> files;
    for (auto kind : kindsFor(o.kind)) {
        auto file = o.out / (papers::paperFileStem(o.sessionId) + "-" + std::string(papers::paperKindCode(kind)) + ".pdf");
        std::string error;
        auto pages = papers::writePdf(papers::paperFor(kind, model), file, error);
        if (!pages) {
            std::cerr << "papers: cannot write " << printable(file.string()) << ": " << printable(error) << "\n";
            return std::nullopt;
        }
        std::cout << "wrote " << printable(file.string()) << " (" << *pages << (*pages == 1 ? " page" : " pages") << ")\n";
        files.push_back(file);
    }
    return files;
}

// Sends each file to CUPS; Partial when any was not printed (the file stays).
int printPapers(const std::vector<std::filesystem::path>& files, const PapersOptions& o) {
    std::optional<std::string> printer;
    if (!o.printer.empty()) printer = o.printer;
    int code = Ok;
    for (const auto& file : files) {
        auto outcome = papers::printFile(file, "TestSite Kiosk " + file.stem().string(), printer);
        if (outcome.printed) {
            std::cout << "printed " << printable(file.filename().string()) << " on " << printable(outcome.printer) << " (job "
                      << outcome.jobId << ")\n";
            continue;
        }
        std::cerr << "not printed: " << printable(file.filename().string()) << ": " << printable(outcome.message) << "; the file is kept at "
                  << printable(file.string()) << "\n";
        code = Partial;
    }
    return code;
}

int runPapers(Context& ctx, PapersOptions o) {
    int code = Ok;
    auto store = ctx.openStoreForReading(code);
    if (!store) return code;
    papers::LocalClock clock{domain::systemNow(), [](domain::Timestamp t) { return store::localUtcOffsetMinutes(t); }};
    auto model = papers::buildSessionPapers(*store, o.sessionId, clock);
    if (!model) {
        bool unknown = model.error().code == 12;
        std::cerr << "papers: " << (unknown ? "no session \"" + printable(o.sessionId) + "\"; `status` lists them" : printable(model.error().message))
                  << "\n";
        return unknown ? InputError : DataError;
    }
    if (o.out.empty()) {
        auto dir = ctx.wantedDataDir();
        if (!dir) return DataError;  // openStoreForReading has said why
        o.out = *dir / "exports";
    }
    if (!prepareOutDir(o.out)) return InputError;
    auto files = writePapers(*model, o);
    if (!files) return InputError;
    return o.print ? printPapers(*files, o) : static_cast<int>(Ok);
}

} // namespace

void addPapersCommand(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<PapersOptions>();
    auto* cmd = app.add_subcommand("papers", "Write a session's papers as PDF (sign-in roster, seating chart, irregularity report), "
                                             "and print them with --print");
    cmd->add_option("SESSION", o->sessionId, "Session (administration) identifier; see `status`")->required();
    cmd->add_option("--kind", o->kind, "Which paper: roster, seating, irregularities or all (default)")
        ->check(CLI::IsMember({"roster", "seating", "irregularities", "all"}));
    cmd->add_option("--out", o->out, "Folder for the PDF files (default: the data directory's exports folder)");
    auto* print = cmd->add_flag("--print", o->print, "Send the files to a printer (CUPS); a file not printed is kept and named");
    cmd->add_option("--printer", o->printer, "The CUPS printer (default: the system's default printer)")->needs(print);
    cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return runPapers(ctx, *o); }; });
}

} // namespace kiosk::app::ctl
