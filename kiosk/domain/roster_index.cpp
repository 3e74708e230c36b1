#include "kiosk/domain/roster_index.hpp"

#include "kiosk/domain/text_fold.hpp"

#include <algorithm>

namespace kiosk::domain {

namespace {

std::vector<std::string_view> splitWords(std::string_view folded) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < folded.size()) {
        while (i < folded.size() && folded[i] == ' ') ++i;
        std::size_t start = i;
        while (i < folded.size() && folded[i] != ' ') ++i;
        if (i > start) words.push_back(folded.substr(start, i - start));
    }
    return words;
}

bool hasWordWithPrefix(std::string_view folded, std::string_view prefix) {
    for (std::string_view w : splitWords(folded))
        if (w.substr(0, prefix.size()) == prefix) return true;
    return false;
}

} // namespace

void RosterIndex::build(const std::vector<RosterEntry>& entries) {
    m_tokens.clear();
    m_folded.clear();
    m_foldedIds.clear();
    m_folded.reserve(entries.size());
    m_foldedIds.reserve(entries.size());
    m_tokens.reserve(entries.size() * 4);
    for (std::uint32_t i = 0; i < entries.size(); ++i) {
        std::string id = foldForSearch(entries[i].studentId);
        std::string folded = foldForSearch(entries[i].displayName) + " " + id;
        for (std::string_view w : splitWords(folded)) m_tokens.push_back({std::string(w), i});
        // The ID without separators too, so "S0012" finds "S-0012".
        std::string compactId;
        for (char c : id)
            if (c != ' ') compactId.push_back(c);
        if (compactId != id) m_tokens.push_back({compactId, i});
        m_folded.push_back(std::move(folded));
        m_foldedIds.push_back(std::move(compactId));
    }
    std::sort(m_tokens.begin(), m_tokens.end(), [](const Token& a, const Token& b) {
        return a.text != b.text ? a.text < b.text : a.entry < b.entry;
    });
}

std::vector<std::uint32_t> RosterIndex::search(std::string_view query, std::size_t limit) const {
    std::string folded = foldForSearch(query);
    std::vector<std::string_view> words = splitWords(folded);
    if (words.empty() || limit == 0) return {};

    // The longest word is usually the most selective one to look up.
    std::string_view key = *std::max_element(words.begin(), words.end(),
                                             [](std::string_view a, std::string_view b) { return a.size() < b.size(); });
    auto lo = std::lower_bound(m_tokens.begin(), m_tokens.end(), key,
                               [](const Token& t, std::string_view k) { return t.text < k; });

    std::vector<std::uint32_t> candidates;
    for (auto it = lo; it != m_tokens.end() && it->text.compare(0, key.size(), key) == 0; ++it)
        candidates.push_back(it->entry);
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

    std::string compactQuery;
    for (char c : folded)
        if (c != ' ') compactQuery.push_back(c);

    struct Hit {
        int rank;
        std::uint32_t entry;
    };
    std::vector<Hit> hits;
    for (std::uint32_t e : candidates) {
        bool all = true;
        for (std::string_view w : words) {
            if (w == key) continue;
            if (!hasWordWithPrefix(m_folded[e], w)) {
                all = false;
                break;
            }
        }
        if (!all) continue;
        int rank = m_foldedIds[e] == compactQuery ? 0 : m_folded[e].compare(0, words[0].size(), words[0]) == 0 ? 1 : 2;
        hits.push_back({rank, e});
    }
    std::size_t n = std::min(limit, hits.size());
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(n), hits.end(), [&](const Hit& a, const Hit& b) {
        return a.rank != b.rank ? a.rank < b.rank : a.entry < b.entry;
    });
    std::vector<std::uint32_t> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(hits[i].entry);
    return out;
}

} // namespace kiosk::domain
