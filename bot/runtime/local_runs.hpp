#pragma once
// The local subcommands of the firebreak binary: console, replay, demo, list,
// export. Each returns the process exit code.
#include "adapters/console/transcript.hpp"
#include "bot/core/ports.hpp"

#include <iosfwd>
#include <string>

namespace firebreak {

class engine;

/// What a replay did.
struct replay_stats {
    std::size_t events = 0;       ///< lines fed to the engine
    std::size_t duplicates = 0;   ///< of those, already handled in this store
    std::size_t errors = 0;       ///< lines skipped, each reported on `err` with its number
};

/// Moves the virtual clock through every wake of the engine up to `until`, sending the
/// nudges and retries due on the way at their own instants.
void run_until(engine& eng, manual_clock& clk, instant until);

/// Feeds a transcript through `eng`, setting `clk` to each line's time. Rooms written as
/// "INC-n" resolve to that incident's console room; "#name" to the room "name".
replay_stats replay_transcript(engine& eng, manual_clock& clk, const transcript& t, std::ostream& err);

/// Options shared by the local subcommands.
struct local_options {
    std::string data_dir = "firebreak-data";   ///< where the database and documents live
    std::string db_path;                        ///< defaults to <data_dir>/firebreak.sqlite
    std::string log_level = "warn";
};

/// Resolves db_path from data_dir when unset.
std::string database_path(const local_options& o);

/// Interactive local chat on `in`/`out`.
int run_console(const local_options& o, std::istream& in, std::ostream& out, bool interactive);
/// Replays a JSONL transcript file on a virtual clock; prints the bot's output room by room.
int run_replay(const local_options& o, const std::string& file, std::ostream& out, std::ostream& err);
/// Replays the bundled example into <data_dir>/demo.sqlite and shows the result.
int run_demo(const local_options& o, std::ostream& out, std::ostream& err);
/// Lists incidents in the store.
int run_list(const local_options& o, bool all, std::ostream& out);
/// Exports one incident ("INC-3") in a format ("md") to `out_file` or `out`.
int run_export(const local_options& o, const std::string& incident, const std::string& format,
               const std::string& out_file, std::ostream& out, std::ostream& err);

}  // namespace firebreak
