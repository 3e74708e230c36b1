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
        std::uint8_t position = 0;
        for (std::string_view w : splitWords(folded)) {
            m_tokens.push_back({std::string(w), i, position});
            if (position < 255) ++position;
        }
        // The ID without separators too, so "S0012" finds "S-0012".
        std::string compactId;
        for (char c : id)
            if (c != ' ') compactId.push_back(c);
        if (compactId != id) m_tokens.push_back({compactId, i, 255});
        m_folded.push_back(std::move(folded));
        m_foldedIds.push_back(std::move(compactId));
    }
    std::sort(m_tokens.begin(), m_tokens.end(), [](const Token& a, const Token& b) {
        if (a.text != b.text) return a.text < b.text;
        return a.position != b.position ? a.position < b.position : a.entry < b.entry;
    });
}

std::vector<std::uint32_t> RosterIndex::search(std::string_view query, std::size_t limit) const {
    std::string folded = foldForSearch(query);
    std::vector<std::string_view> words = splitWords(folded);
    if (words.empty() || limit == 0) return {};

    auto prefixRange = [&](std::string_view prefix) {
        auto lo = std::lower_bound(m_tokens.begin(), m_tokens.end(), prefix, [](const Token& t, std::string_view k) { return t.text < k; });
        auto hi = lo;
        // Past the prefix range: the first token that does not start with it.
        hi = std::partition_point(lo, m_tokens.end(), [&](const Token& t) { return t.text.compare(0, prefix.size(), prefix) == 0; });
        return std::pair{lo, hi};
    };
    // Walk the most selective word's range; check the others per candidate.
    std::size_t keyIndex = 0;
    auto [lo, hi] = prefixRange(words[0]);
    for (std::size_t i = 1; i < words.size(); ++i) {
        auto r = prefixRange(words[i]);
        if (r.second - r.first < hi - lo) {
            lo = r.first;
            hi = r.second;
            keyIndex = i;
        }
    }
    auto matchesOthers = [&](std::uint32_t e) {
        for (std::size_t i = 0; i < words.size(); ++i)
            if (i != keyIndex && !hasWordWithPrefix(m_folded[e], words[i])) return false;
        return true;
    };

    std::vector<std::uint32_t> out;
    out.reserve(std::min<std::size_t>(limit, 64));
    auto add = [&](std::uint32_t e) {
        if (std::find(out.begin(), out.end(), e) != out.end()) return;
        out.push_back(e);
    };
    // A whole ID typed or scanned comes first.
    std::string compactQuery;
    for (char c : folded)
        if (c != ' ') compactQuery.push_back(c);
    auto exact = std::equal_range(m_tokens.begin(), m_tokens.end(), compactQuery,
                                  [](const auto& a, const auto& b) {
                                      if constexpr (std::is_same_v<std::decay_t<decltype(a)>, Token>) return a.text < std::string_view(b);
                                      else return std::string_view(a) < b.text;
                                  });
    for (auto it = exact.first; it != exact.second && out.size() < limit; ++it)
        if (m_foldedIds[it->entry] == compactQuery) add(it->entry);
    // Then matches in the order of the word they matched (tokens are sorted by
    // text, then word position, then roster order), stopping once there are enough.
    for (auto it = lo; it != hi && out.size() < limit; ++it)
        if (matchesOthers(it->entry)) add(it->entry);
    return out;
}

std::size_t RosterIndex::countMatches(std::string_view query) const {
    std::string folded = foldForSearch(query);
    std::vector<std::string_view> words = splitWords(folded);
    if (words.empty()) return 0;
    // The same rule as search(): every word the prefix of a word of the
    // entry (its name and ID, the words of m_folded), each entry counted once.
    auto prefixRange = [&](std::string_view prefix) {
        auto lo = std::lower_bound(m_tokens.begin(), m_tokens.end(), prefix, [](const Token& t, std::string_view k) { return t.text < k; });
        auto hi = std::partition_point(lo, m_tokens.end(), [&](const Token& t) { return t.text.compare(0, prefix.size(), prefix) == 0; });
        return std::pair{lo, hi};
    };
    auto [lo, hi] = prefixRange(words[0]);
    std::vector<bool> seen(m_folded.size(), false);
    std::size_t count = 0;
    for (auto it = lo; it != hi; ++it) {
        if (seen[it->entry]) continue;
        seen[it->entry] = true;
        bool all = true;
        for (std::size_t i = 1; i < words.size() && all; ++i) all = hasWordWithPrefix(m_folded[it->entry], words[i]);
        if (all) ++count;
    }
    return count;
}

} // namespace kiosk::domain
