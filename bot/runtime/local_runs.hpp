#pragma once
// The local subcommands of the firebreak binary: console, replay, demo, list,
// export. Each returns the process exit code.
#include "adapters/console/transcript.hpp"
#include "bot/core/ports.hpp"
#include "bot/runtime/engine.hpp"
#include "postmortem/draft.hpp"

#include <array>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace firebreak {

/// What a replay did.
struct replay_stats {
    std::size_t events = 0;       ///< lines fed to the engine
    std::size_t duplicates = 0;   ///< of those, already handled in this store
    std::size_t errors = 0;       ///< lines skipped, each reported on `err` with its number
};

/// Moves a clock (read through `clk`, moved forward by `advance`) through every wake of
/// the engine up to `until`, sending the nudges and retries due on the way at their own
/// instants. The clock is left at the last wake.
void run_until(engine& eng, const clock& clk, const std::function<void(duration)>& advance, instant until);
/// The same on a manual clock (replays, tests).
void run_until(engine& eng, manual_clock& clk, instant until);

/// Feeds a transcript through `eng`, setting `clk` to each line's time. Rooms written as
/// "INC-n" resolve to that incident's console room; "#name" to the room "name".
replay_stats replay_transcript(engine& eng, manual_clock& clk, const transcript& t, std::ostream& err);

/// The formats a postmortem draft is rendered in; the first is canonical.
inline constexpr std::array<std::string_view, 3> postmortem_formats{"md", "html", "json"};

/// Reads what a postmortem draft is rendered from: the incident, its whole timeline, the
/// earlier texts of its edited entries and the display names known on its platforms.
draft_source postmortem_source(const incident& inc, incident_store& store);

/// A postmortem draft in one of postmortem_formats; nullopt for any other format.
std::optional<std::string> render_postmortem_as(const draft_source& src, std::string_view format);

/// The engine's postmortem renderer: Markdown to post, HTML and JSON kept beside it.
document_renderer postmortem_renderer();

/// Options shared by the local subcommands.
struct local_options {
    std::string data_dir = "firebreak-data";   ///< where the database and documents live
    std::string db_path;                        ///< defaults to <data_dir>/firebreak.sqlite
    std::string log_level = "warn";
    bool serve = false;                         ///< also serve the web view (console, demo)
    std::string web_listen = "127.0.0.1:8080";  ///< where (port 0: any free one)
    std::string serve_as;                       ///< the printed token reads for this chat user
};

/// Resolves db_path from data_dir when unset.
std::string database_path(const local_options& o);

/// Interactive local chat on `in`/`out`.
int run_console(const local_options& o, std::istream& in, std::ostream& out, bool interactive);
/// Replays a JSONL transcript file on a virtual clock; prints the bot's output room by room.
int run_replay(const local_options& o, const std::string& file, std::ostream& out, std::ostream& err);
/// Replays the bundled example into <data_dir>/demo.sqlite and shows the result.
int run_demo(const local_options& o, std::ostream& out, std::ostream& err);
/// The database a read-only command (list, export) reads: --db, else <data_dir>/firebreak.sqlite,
/// else the demo's <data_dir>/demo.sqlite (saying so on `err`). Nothing when none exists
/// (and `err` says how to make one); never creates a file.
std::optional<std::string> existing_database(const local_options& o, std::ostream& err);
/// Lists incidents in the store.
int run_list(const local_options& o, bool all, std::ostream& out, std::ostream& err);
/// Lists the `limit` most recently received alerts, newest first, each with its card and
/// where the card went (open, dismissed, INC-n), then the cards those alerts are on.
int run_alerts(const local_options& o, std::size_t limit, std::ostream& out, std::ostream& err);
/// Exports the postmortem draft of one incident ("INC-3") in a format ("md", "html", "json")
/// to `out_file` or `out`.
int run_export(const local_options& o, const std::string& incident, const std::string& format,
               const std::string& out_file, std::ostream& out, std::ostream& err);

}  // namespace firebreak
