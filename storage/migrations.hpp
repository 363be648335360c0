#pragma once
// Versioned schema migrations of the firebreak database.
//
// The schema version lives in table `schema_meta(version)`, one row. Each
// migration step moves the database from version N-1 to N inside its own
// transaction, so a crash mid-upgrade leaves the previous version intact.
// Steps are append-only: once released, a step's SQL never changes; fix
// mistakes with a new step.
#include <span>
#include <string>
#include <string_view>

namespace SQLite {
class Database;
}

namespace firebreak::detail {

/// One step of the schema history.
struct migration {
    int version = 0;        ///< the version the database has after this step
    std::string_view sql;   ///< statements run in the step's transaction
};

/// Every migration step, in version order.
std::span<const migration> migrations();

/// The schema version this build of firebreak writes.
int latest_schema_version();

/// The version recorded in `db` (0 for a fresh database).
int read_schema_version(SQLite::Database& db);

/// Brings `db` up to the latest version; throws store_error (naming `path`) when the
/// database is newer than this build, is not a firebreak database, or a step fails.
void migrate(SQLite::Database& db, const std::string& path);

}  // namespace firebreak::detail
