#pragma once
// A one-line label cut to the room it has, visibly: "…" where text was left
// out, never a silent clip. A row's last " · " part (a student's ID) is kept
// whole and the text before it is shortened: an ID cut at the column's edge
// ("S10024" of S100245) would read as another student's.
#include <functional>
#include <string>
#include <string_view>

namespace kiosk::ui {

using MeasureText = std::function<float(std::string_view)>;

// `label` when it fits in `room`; else the head shortened by whole code
// points with "…" before the kept tail. When not even "…" and the tail fit,
// the label as it is (the widget clips it, and shows it whole on focus).
std::string fitToWidth(const std::string& label, float room, const MeasureText& measure);

} // namespace kiosk::ui
