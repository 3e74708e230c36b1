#include "kiosk/papers/pdf_writer.hpp"

#include "sync/core/files.hpp"

#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include <memory>
#include <algorithm>

namespace kiosk::papers {

namespace {

constexpr double kMargin = 40;
constexpr double kFooterHeight = 22;
constexpr double kContentWidth = kLetterWidthPt - 2 * kMargin;
constexpr double kBottom = kLetterHeightPt - kMargin - kFooterHeight;
constexpr double kCellPad = 4;
constexpr double kBlockGap = 16;
constexpr int kMaxCellLines = 20;  // a longer cell ends in "…": a row always fits a page

constexpr const char* kTitleFont = "DejaVu Sans Bold 16";
constexpr const char* kSiteFont = "DejaVu Sans Bold 11";
constexpr const char* kInfoFont = "DejaVu Sans 9.5";
constexpr const char* kHeadingFont = "DejaVu Sans Bold 11";
constexpr const char* kHeaderCellFont = "DejaVu Sans Bold 9.5";
constexpr const char* kCellFont = "DejaVu Sans 10";
constexpr const char* kFooterFont = "DejaVu Sans 8.5";

// Text from the database drawn as it is (never as pango markup): invalid
// UTF-8 repaired, control characters other than a line break shown as spaces.
std::string cleanText(std::string_view s) {
    gchar* valid = g_utf8_make_valid(s.data(), static_cast<gssize>(s.size()));
    std::string out(valid);
    g_free(valid);
    for (char& c : out)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) c = ' ';
    return out;
}

struct GObjectDeleter {
    void operator()(gpointer p) const { g_object_unref(p); }
};
using Layout = std::unique_ptr<PangoLayout, GObjectDeleter>;
using Context = std::unique_ptr<PangoContext, GObjectDeleter>;

std::string pageLabel(int page, int total) { return "Page " + std::to_string(page) + " of " + std::to_string(total); }

// Lays the document out page by page. Run once to count the pages (nothing
// is kept of that surface), then again to draw with "of N" known.
class Pager {
public:
    Pager(cairo_t* cr, const PaperDocument& doc, int totalPages)
        : m_cr(cr), m_context(pango_cairo_create_context(cr)), m_doc(doc), m_total(totalPages) {
        // Font sizes in points: one pango point is one PDF unit (1/72 in).
        pango_cairo_context_set_resolution(m_context.get(), 72);
    }

    int run() {
        beginPage();
        for (std::size_t i = 0; i < m_doc.blocks.size(); ++i) {
            if (i) m_y += kBlockGap;
            std::visit([this](const auto& b) { block(b); }, m_doc.blocks[i]);
        }
        endPage();
        return m_page;
    }

private:
    Layout layout(const std::string& text, const char* font, double width, PangoAlignment align = PANGO_ALIGN_LEFT) {
        Layout l(pango_layout_new(m_context.get()));
        PangoFontDescription* desc = pango_font_description_from_string(font);
        pango_layout_set_font_description(l.get(), desc);
        pango_font_description_free(desc);
        pango_layout_set_width(l.get(), pango_units_from_double(width));
        pango_layout_set_wrap(l.get(), PANGO_WRAP_WORD_CHAR);
        pango_layout_set_height(l.get(), -kMaxCellLines);
        pango_layout_set_ellipsize(l.get(), PANGO_ELLIPSIZE_END);
        pango_layout_set_alignment(l.get(), align);
        std::string clean = cleanText(text);
        pango_layout_set_text(l.get(), clean.c_str(), static_cast<int>(clean.size()));
        return l;
    }

    static double heightOf(const Layout& l) {
        int w = 0, h = 0;
        pango_layout_get_size(l.get(), &w, &h);
        return pango_units_to_double(h);
    }

    // Draws (on the drawing pass) and returns the text's height.
    double text(const std::string& s, const char* font, double x, double y, double width, PangoAlignment align = PANGO_ALIGN_LEFT) {
        Layout l = layout(s, font, width, align);
        if (drawing()) {
            cairo_move_to(m_cr, x, y);
            pango_cairo_show_layout(m_cr, l.get());
        }
        return heightOf(l);
    }

    double measure(const std::string& s, const char* font, double width) { return heightOf(layout(s, font, width)); }

    void line(double x0, double y0, double x1, double y1, double width, double grey) {
        if (!drawing()) return;
        cairo_set_source_rgb(m_cr, grey, grey, grey);
        cairo_set_line_width(m_cr, width);
        cairo_move_to(m_cr, x0, y0);
        cairo_line_to(m_cr, x1, y1);
        cairo_stroke(m_cr);
        cairo_set_source_rgb(m_cr, 0, 0, 0);
    }

    bool drawing() const { return m_total > 0; }
    bool fits(double height) const { return m_y + height <= kBottom; }

    void beginPage() {
        ++m_page;
        m_y = kMargin;
        const PaperHeader& h = m_doc.header;
        double titleH = text(m_doc.title, kTitleFont, kMargin, m_y, kContentWidth * 0.55);
        double siteH = text(h.siteName, kSiteFont, kMargin + kContentWidth * 0.55, m_y + 4, kContentWidth * 0.45, PANGO_ALIGN_RIGHT);
        m_y += std::max(titleH, siteH + 4) + 4;
        m_y += text(h.sessionName + "  ·  Session " + h.sessionId + "  ·  Assessment " + h.assessment, kInfoFont, kMargin, m_y, kContentWidth);
        std::string when = h.date + (h.scheduledStart.empty() ? "" : ", starts " + h.scheduledStart);
        if (!h.room.empty()) when = h.room + "  ·  " + when;
        m_y += text(when + "  ·  printed " + h.printedAt, kInfoFont, kMargin, m_y, kContentWidth) + 6;
        line(kMargin, m_y, kMargin + kContentWidth, m_y, 1, 0);
        m_y += 12;
    }

    void endPage() {
        double y = kLetterHeightPt - kMargin - kFooterHeight + 8;
        line(kMargin, y, kMargin + kContentWidth, y, 0.5, 0.4);
        std::string audit = m_doc.header.auditHead.empty() ? std::string() : "  ·  audit " + m_doc.header.auditHead;
        text(m_doc.title + "  ·  " + m_doc.header.sessionId + audit, kFooterFont, kMargin, y + 4, kContentWidth * 0.7);
        text(pageLabel(m_page, m_total), kFooterFont, kMargin + kContentWidth * 0.7, y + 4, kContentWidth * 0.3, PANGO_ALIGN_RIGHT);
        if (drawing()) cairo_show_page(m_cr);
    }

    void newPage() {
        endPage();
        beginPage();
    }

    // Column edges from the weights, across the page's width.
    static std::vector<double> columnEdges(const TableBlock& t) {
        double total = 0;
        for (const auto& c : t.columns) total += c.weight;
        std::vector<double> x{kMargin};
        for (const auto& c : t.columns) x.push_back(x.back() + kContentWidth * c.weight / total);
        return x;
    }

    double rowHeight(const std::vector<std::string>& cells, const std::vector<double>& x, const char* font, double minHeight) {
        double h = 0;
        for (std::size_t i = 0; i < cells.size() && i + 1 < x.size(); ++i)
            h = std::max(h, measure(cells[i], font, x[i + 1] - x[i] - 2 * kCellPad));
        return std::max(h + 2 * kCellPad, minHeight);
    }

    void drawRow(const std::vector<std::string>& cells, const std::vector<double>& x, const char* font, double height, bool header) {
        if (header && drawing()) {
            cairo_set_source_rgb(m_cr, 0.88, 0.88, 0.88);
            cairo_rectangle(m_cr, x.front(), m_y, x.back() - x.front(), height);
            cairo_fill(m_cr);
            cairo_set_source_rgb(m_cr, 0, 0, 0);
        }
        for (std::size_t i = 0; i < cells.size() && i + 1 < x.size(); ++i) {
            text(cells[i], font, x[i] + kCellPad, m_y + kCellPad, x[i + 1] - x[i] - 2 * kCellPad);
            line(x[i], m_y, x[i], m_y + height, 0.4, 0.6);
        }
        line(x.back(), m_y, x.back(), m_y + height, 0.4, 0.6);
        line(x.front(), m_y + height, x.back(), m_y + height, header ? 0.8 : 0.4, header ? 0 : 0.6);
        m_y += height;
    }

    void tableTop(const TableBlock& t, const std::vector<double>& x, bool continued) {
        if (!t.heading.empty()) m_y += text(t.heading + (continued ? " (continued)" : ""), kHeadingFont, kMargin, m_y, kContentWidth) + 4;
        std::vector<std::string> titles;
        for (const auto& c : t.columns) titles.push_back(c.title);
        drawRow(titles, x, kHeaderCellFont, rowHeight(titles, x, kHeaderCellFont, 0), true);
    }

    double tableTopHeight(const TableBlock& t, const std::vector<double>& x) {
        std::vector<std::string> titles;
        for (const auto& c : t.columns) titles.push_back(c.title);
        double h = rowHeight(titles, x, kHeaderCellFont, 0);
        if (!t.heading.empty()) h += measure(t.heading, kHeadingFont, kContentWidth) + 4;
        return h;
    }

    void block(const TableBlock& t) {
        auto x = columnEdges(t);
        double first = t.rows.empty() ? measure(t.whenEmpty, kCellFont, kContentWidth) + 2 * kCellPad
                                      : rowHeight(t.rows.front(), x, kCellFont, t.minRowHeight);
        if (!fits(tableTopHeight(t, x) + first)) newPage();
        tableTop(t, x, false);
        if (t.rows.empty()) m_y += text(t.whenEmpty, kCellFont, kMargin + kCellPad, m_y + kCellPad, kContentWidth) + 2 * kCellPad;
        for (const auto& row : t.rows) {
            double h = rowHeight(row, x, kCellFont, t.minRowHeight);
            if (!fits(h)) {
                newPage();
                tableTop(t, x, true);
            }
            drawRow(row, x, kCellFont, h, false);
        }
    }

    void block(const SignatureBlock& s) {
        constexpr double kSignLine = 46;
        double noteH = measure(s.note, kCellFont, kContentWidth);
        if (!fits(noteH + kSignLine * static_cast<double>(s.roles.size()))) newPage();
        m_y += text(s.note, kCellFont, kMargin, m_y, kContentWidth);
        for (const auto& role : s.roles) {
            m_y += 30;
            line(kMargin, m_y, kMargin + 300, m_y, 0.7, 0);
            line(kMargin + 340, m_y, kMargin + kContentWidth, m_y, 0.7, 0);
            text(role + " signature", kFooterFont, kMargin, m_y + 2, 300);
            text("Date", kFooterFont, kMargin + 340, m_y + 2, 150);
            m_y += kSignLine - 30;
        }
    }

    cairo_t* m_cr;
    Context m_context;
    const PaperDocument& m_doc;
    int m_total;  // 0 while counting
    int m_page = 0;
    double m_y = 0;
};

cairo_status_t appendBytes(void* closure, const unsigned char* data, unsigned int length) {
    if (closure) static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

// One pass on its own PDF surface; `out` null discards the bytes.
int drawPass(const PaperDocument& doc, int totalPages, std::string* out, std::string& error) {
    cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(appendBytes, out, kLetterWidthPt, kLetterHeightPt);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, (doc.title + " " + cleanText(doc.header.sessionId)).c_str());
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "TestSite Kiosk");
    cairo_t* cr = cairo_create(surface);
    int pages = Pager(cr, doc, totalPages).run();
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    if (auto st = cairo_surface_status(surface); st != CAIRO_STATUS_SUCCESS) error = std::string("cairo: ") + cairo_status_to_string(st);
    cairo_surface_destroy(surface);
    return pages;
}

} // namespace

RenderedPdf renderPdf(const PaperDocument& doc) {
    RenderedPdf out;
    int pages = drawPass(doc, 0, nullptr, out.error);
    if (!out.ok()) return out;
    out.pages = drawPass(doc, pages, &out.bytes, out.error);
    return out;
}

std::optional<int> writePdf(const PaperDocument& doc, const std::filesystem::path& file, std::string& error) {
    RenderedPdf pdf = renderPdf(doc);
    if (!pdf.ok()) {
        error = pdf.error;
        return std::nullopt;
    }
    if (auto w = edsync::files::writeAtomically(file, pdf.bytes, 0600); !w) {
        error = w.error();
        return std::nullopt;
    }
    return pdf.pages;
}

} // namespace kiosk::papers
