#pragma once
// Key codes as the GLFW backend reports them (GLFW's values are stable), so
// screens and the headless test harness agree without including GLFW.
namespace kiosk::ui::keys {
inline constexpr int Tab = 258;
inline constexpr int Enter = 257;
inline constexpr int KeypadEnter = 335;
inline constexpr int Escape = 256;
inline constexpr int Space = 32;
inline constexpr int Backspace = 259;
inline constexpr int Up = 265;
inline constexpr int Down = 264;
inline constexpr int PageUp = 266;
inline constexpr int PageDown = 267;
inline constexpr int LeftShift = 340;
inline constexpr int RightShift = 344;
inline constexpr int F1 = 290;
inline constexpr int F2 = 291;
inline constexpr int F3 = 292;
inline constexpr int F4 = 293;
inline constexpr int F5 = 294;
inline constexpr int F6 = 295;
inline constexpr int F7 = 296;
inline constexpr int F8 = 297;
inline constexpr int F9 = 298;
inline constexpr int F10 = 299;
} // namespace kiosk::ui::keys
