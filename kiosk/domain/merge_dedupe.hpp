#pragma once
// One event per id, whatever order the copies came in (site_merge.hpp, rule 1).
// Internal to the merge folds.
#include "kiosk/domain/site_merge.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace kiosk::domain::detail {

// Keeps one event per id; of two different events under one id, the one whose
// canonicalText() sorts first, and reports the id as duplicate_id_differs.
// Texts are built only for ids whose copies differ (a corrupted copy): plain
// copies, the common case (redelivery, a USB slice), compare equal first.
template <class Event>
std::vector<Event> dedupeById(std::vector<Event>& events, std::vector<MergeConflict>& conflicts) {
    struct Kept {
        std::size_t index;
        std::optional<std::string> text;
    };
    std::map<std::string, Kept> kept;
    std::set<std::string> differing;
    for (std::size_t i = 0; i < events.size(); ++i) {
        auto [it, fresh] = kept.try_emplace(events[i].id, Kept{i, std::nullopt});
        if (fresh) continue;
        Kept& k = it->second;
        if (events[i] == events[k.index]) continue;
        if (!k.text) k.text = canonicalText(events[k.index]);
        std::string text = canonicalText(events[i]);
        if (text == *k.text) continue;
        differing.insert(events[i].id);
        if (text < *k.text) k = {i, std::move(text)};
    }
    for (const auto& id : differing) conflicts.push_back({id, std::string(kConflictDuplicateDiffers), {}});
    std::vector<Event> out;
    out.reserve(kept.size());
    for (auto& entry : kept) out.push_back(std::move(events[entry.second.index]));
    return out;
}

// keyOf(a) < keyOf(b), without copying the strings.
template <class Event>
bool keyLess(const Event& a, const Event& b) {
    return std::tie(a.hlc, a.kioskId, a.id) < std::tie(b.hlc, b.kioskId, b.id);
}

} // namespace kiosk::domain::detail
