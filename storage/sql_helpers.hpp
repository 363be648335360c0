#pragma once
// Binding and reading values of SQLiteCpp statements, the reset guard of a cached statement
// (scoped) and the translation of SQLite's exceptions into store_error (guarded).
#include "bot/core/time.hpp"
#include "storage/sqlite_store.hpp"

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace firebreak::detail {

// Binding and reading values.

inline void bind_ms(SQLite::Statement& s, int i, instant t) {
    s.bind(i, static_cast<std::int64_t>(to_unix_ms(t)));
}
inline void bind_ms(SQLite::Statement& s, int i, const std::optional<instant>& t) {
    if (t) bind_ms(s, i, *t);
    else s.bind(i);  // NULL: the milestone or deadline is unset
}
inline void bind_flag(SQLite::Statement& s, int i, bool b) { s.bind(i, b ? 1 : 0); }
inline void bind_count(SQLite::Statement& s, int i, std::size_t n) {
    // SQLite counts are signed; anything beyond int64 means "no limit" anyway.
    constexpr auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    s.bind(i, static_cast<std::int64_t>(std::min(n, max)));
}

inline instant col_ms(const SQLite::Statement& s, int i) {
    return from_unix_ms(s.getColumn(i).getInt64());
}
inline std::optional<instant> col_opt_ms(const SQLite::Statement& s, int i) {
    const SQLite::Column c = s.getColumn(i);
    if (c.isNull()) return std::nullopt;
    return from_unix_ms(c.getInt64());
}
// getString reads the column as bytes with their length, so invalid UTF-8 and
// control characters come back exactly as they were bound.
inline std::string col_text(const SQLite::Statement& s, int i) { return s.getColumn(i).getString(); }
inline bool col_flag(const SQLite::Statement& s, int i) { return s.getColumn(i).getInt64() != 0; }

// Resets a cached statement before use and again after. Before: a run that failed
// earlier leaves the statement mid-step, and it must not poison this one. After: a
// SELECT left un-reset keeps its read snapshot open, which stops WAL checkpoints.
class scoped {
public:
    explicit scoped(SQLite::Statement& s) : s_(s) { s_.tryReset(); }
    ~scoped() { s_.tryReset(); }
    scoped(const scoped&) = delete;
    scoped& operator=(const scoped&) = delete;
    SQLite::Statement* operator->() const { return &s_; }
    SQLite::Statement& operator*() const { return s_; }

private:
    SQLite::Statement& s_;
};

// Turns SQLite's exceptions into store_error naming the database and the operation,
// so callers handle one exception type and operators see which file failed.
template <class F>
auto guarded(const std::string& path, const char* what, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const SQLite::Exception& e) {
        throw store_error(fmt::format("{} failed on database {}: {}", what, path, e.what()));
    }
}

}  // namespace firebreak::detail
