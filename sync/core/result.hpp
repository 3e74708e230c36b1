#pragma once
// Result<T, E>: a value or an error, for outcomes that are not programmer
// mistakes (I/O, network, user input). C++20 has no std::expected yet.
#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace edsync {

template <class E>
struct Failure {
    E error;
};

template <class E>
Failure<std::decay_t<E>> fail(E&& error) {
    return {std::forward<E>(error)};
}

template <class T, class E>
class [[nodiscard]] Result {
public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
    template <class E2>
    Result(Failure<E2> f) : m_v(std::in_place_index<1>, E(std::move(f.error))) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(m_v); }
    const T& value() const& { assert(ok()); return std::get<0>(m_v); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(m_v)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const E& error() const { assert(!ok()); return std::get<1>(m_v); }
    T value_or(T fallback) const& { return ok() ? std::get<0>(m_v) : std::move(fallback); }

private:
    std::variant<T, E> m_v;
};

template <class E>
class [[nodiscard]] Result<void, E> {
public:
    Result() = default;
    template <class E2>
    Result(Failure<E2> f) : m_error(E(std::move(f.error))), m_ok(false) {}

    bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    const E& error() const { assert(!m_ok); return m_error; }

private:
    E m_error{};
    bool m_ok = true;
};

} // namespace edsync
