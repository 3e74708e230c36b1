#pragma once
#include <chrono>
#include <functional>

namespace edfi_double {

using TimePoint = std::chrono::system_clock::time_point;
// Injected so unit tests can move time forward without sleeping.
using Clock = std::function<TimePoint()>;

inline TimePoint systemNow() { return std::chrono::system_clock::now(); }

} // namespace edfi_double
