// The `people` table: the display names the adapters learn, per platform and user id.
#include "storage/sql_helpers.hpp"
#include "storage/sqlite_store_impl.hpp"

#include <SQLiteCpp/Statement.h>

#include <map>
#include <string>

namespace firebreak {

using namespace detail;

void sqlite_store::put_display_name(const std::string& platform, const user_ref& user,
                                    const std::string& name, instant at) {
    guarded(impl_->path_, "storing a display name", [&] {
        // One statement is its own (autocommit) transaction; a rarely used path, so
        // prepared on use like put_document.
        SQLite::Statement q(impl_->db_,
                            "INSERT INTO people(platform, user_id, display_name, learned_at) "
                            "VALUES (?1, ?2, ?3, ?4) "
                            "ON CONFLICT(platform, user_id) DO UPDATE SET "
                            "display_name = excluded.display_name, learned_at = excluded.learned_at");
        q.bind(1, platform);
        q.bind(2, user.id);
        q.bind(3, name);
        bind_ms(q, 4, at);
        q.exec();
    });
}

std::map<std::string, std::string> sqlite_store::display_names(const std::string& platform) {
    return guarded(impl_->path_, "reading display names", [&] {
        std::map<std::string, std::string> out;
        SQLite::Statement q(impl_->db_, "SELECT user_id, display_name FROM people WHERE platform = ?1");
        q.bind(1, platform);
        while (q.executeStep()) out.emplace(col_text(q, 0), col_text(q, 1));
        return out;
    });
}

}  // namespace firebreak
