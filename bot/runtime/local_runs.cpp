#include "bot/runtime/local_runs.hpp"

#include "adapters/console/console_adapter.hpp"
#include "adapters/console/console_session.hpp"
#include "bot/core/text.hpp"
#include "bot/core/visibility.hpp"
#include "adapters/console/transcript.hpp"
#include "bot/runtime/document_folder.hpp"
#include "bot/runtime/engine.hpp"
#include "bot/runtime/example_transcript.hpp"
#include "bot/runtime/system_clock.hpp"
#include "bot/runtime/web_server.hpp"
#include "commands/parser.hpp"
#include "commands/views.hpp"
#include "postmortem/html.hpp"
#include "postmortem/json_export.hpp"
#include "postmortem/markdown.hpp"
#include "storage/sqlite_store.hpp"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <spdlog/spdlog.h>

namespace firebreak {

namespace {

namespace fs = std::filesystem;

// Opens the store, creating the data directory; nullptr after printing a clear error.
std::unique_ptr<sqlite_store> open_store(const std::string& path, std::ostream& err) {
    std::error_code ec;
    auto dir = fs::path(path).parent_path();
    if (!dir.empty() && !fs::exists(dir, ec)) {
        fs::create_directories(dir, ec);
        if (ec) {
            err << fmt::format("firebreak: cannot create data directory {}: {}\n", dir.string(), ec.message());
            return nullptr;
        }
    }
    try {
        return std::make_unique<sqlite_store>(path);
    } catch (const std::exception& e) {
        err << "firebreak: " << e.what() << "\n";
        return nullptr;
    }
}

void print_room_by_room(const console_adapter& adapter, std::ostream& out) {
    for (const auto& [room, posts] : adapter.posts_by_room()) {
        out << fmt::format("\n══ #{} ══\n", room);
        for (const auto& p : posts) out << fmt::format("[{}] {}\n", format_utc(p.at), p.text);
    }
}

}  // namespace

draft_source postmortem_source(const incident& inc, incident_store& store) {
    draft_source src;
    src.inc = inc;
    src.entries = store.timeline(inc.id);
    for (const auto& e : src.entries)
        if (e.edited && !e.deleted) src.edits[e.seq] = store.edit_history(e.seq);
    src.cards = store.cards_of(inc.id);
    // The names known on every platform the incident touched. Ids of different platforms
    // do not collide in practice; if one ever did, the first platform in name order wins,
    // so the draft stays deterministic.
    std::set<std::string> platforms;
    if (!inc.declared_in.platform.empty()) platforms.insert(inc.declared_in.platform);
    for (const auto& r : inc.rooms) platforms.insert(r.platform);
    for (const auto& e : src.entries)
        if (!e.room.platform.empty()) platforms.insert(e.room.platform);
    // Best-effort: without names the draft shows ids, as it always did.
    for (const auto& p : platforms) {
        try {
            for (auto& [id, name] : store.display_names(p)) src.names.emplace(id, std::move(name));
        } catch (const std::exception& e) {
            spdlog::warn("postmortem of {}: display names on {} not read: {}", inc.id, p, e.what());
        }
    }
    return src;
}

std::optional<std::string> render_postmortem_as(const draft_source& src, std::string_view format) {
    if (format == "md") return postmortem_markdown(src);
    if (format == "html") return postmortem_html(src);
    if (format == "json") return postmortem_json(src);
    return std::nullopt;
}

document_renderer postmortem_renderer() {
    return [](const incident& inc, incident_store& store) {
        auto src = postmortem_source(inc, store);
        rendered_document d;
        for (auto format : postmortem_formats) {
            rendered_file f{postmortem_filename(inc.id, format), std::string(format), *render_postmortem_as(src, format)};
            if (d.filename.empty()) {
                d.filename = std::move(f.filename);
                d.format = std::move(f.format);
                d.content = std::move(f.content);
            } else {
                d.exports.push_back(std::move(f));
            }
        }
        d.summary = postmortem_summary(src);
        return d;
    };
}

void run_until(engine& eng, const clock& clk, const std::function<void(duration)>& advance, instant until) {
    // Bounded: each round sends a nudge or delivers a row, moving the plan forward; the
    // bound only guards against a plan that stops moving.
    for (int round = 0; round < 100000; ++round) {
        auto wake = eng.next_wake();
        if (!wake || *wake > until) return;
        if (*wake > clk.now()) advance(*wake - clk.now());
        eng.tick();
        // A wake that asks for the same instant again after a tick made no progress
        // (a row refused again with no new wait): stop rather than spin.
        if (eng.next_wake() == wake && *wake <= clk.now()) {
            spdlog::error("scheduler: nothing to do at {} although a wake was planned", format_utc(*wake));
            return;
        }
    }
}

void run_until(engine& eng, manual_clock& clk, instant until) {
    run_until(eng, clk, [&clk](duration d) { clk.advance(d); }, until);
}

replay_stats replay_transcript(engine& eng, manual_clock& clk, const transcript& t, std::ostream& err) {
    replay_stats s;
    for (const auto& e : t.errors) {
        err << fmt::format("line {}: {}; skipped\n", e.line_no, e.message);
        ++s.errors;
    }
    std::optional<instant> previous;
    for (const auto& line : t.lines) {
        chat_event ev = line.event;
        // The virtual clock only moves forward; a line from the past or far in the
        // future would put every later event at the wrong time.
        if (previous && ev.at < *previous) {
            err << fmt::format("line {}: time {} is before the previous line's {}; skipped\n", line.line_no,
                               format_utc(ev.at), format_utc(*previous));
            ++s.errors;
            continue;
        }
        if (previous && ev.at - *previous > std::chrono::days{30}) {
            err << fmt::format("line {}: time {} is more than 30 days after the previous line; skipped\n",
                               line.line_no, format_utc(ev.at));
            ++s.errors;
            continue;
        }
        previous = ev.at;
        // Time passes between lines: whatever falls due before the next line happens at
        // its own instant, as it would have live.
        run_until(eng, clk, ev.at);
        clk.set(ev.at);
        if (line.incident) {
            const incident* inc = eng.state().find(*line.incident);
            auto room = inc ? inc->room_on("console") : std::nullopt;
            if (!room) {
                err << fmt::format("line {}: INC-{} has no room yet; skipped\n", line.line_no, *line.incident);
                ++s.errors;
                continue;
            }
            ev.room = *room;
        } else if (!ev.room.id.empty() && ev.room.id[0] == '#') {
            ev.room.id.erase(0, 1);
        }
        if (eng.handle(ev) == handled::duplicate) ++s.duplicates;
        ++s.events;
    }
    return s;
}

namespace {

void configure_logging(const local_options& o) {
    spdlog::set_level(spdlog::level::from_str(o.log_level));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
}

}  // namespace

std::string database_path(const local_options& o) {
    if (!o.db_path.empty()) return o.db_path;
    return (fs::path(o.data_dir) / "firebreak.sqlite").string();
}

namespace {
// Where `firebreak demo` keeps its own database when no --db is given.
fs::path demo_database(const local_options& o) { return fs::path(o.data_dir) / "demo.sqlite"; }
}  // namespace

std::optional<std::string> existing_database(const local_options& o, std::ostream& err) {
    std::error_code ec;
    const fs::path main_db = database_path(o);
    if (fs::exists(main_db, ec)) return main_db.string();
    if (!o.db_path.empty()) {
        err << fmt::format("firebreak: no database at {}\n", o.db_path);
        return std::nullopt;
    }
    // After `firebreak demo` the only store is the demo's: read that rather than say
    // "no incidents" about a database nobody has used.
    auto demo_db = demo_database(o);
    if (fs::exists(demo_db, ec)) {
        err << fmt::format("firebreak: reading the demo's database {} (there is no {} yet)\n", demo_db.string(),
                           main_db.string());
        return demo_db.string();
    }
    err << fmt::format("firebreak: there is no database in {} yet; `firebreak console` or `firebreak demo` makes one "
                       "there, or name one with --db PATH\n",
                       fs::absolute(o.data_dir, ec).string());
    return std::nullopt;
}

namespace {

// The web view of a local run (`--serve`): one viewer token made up now and printed, the
// URL to open, the engine's commits followed live. Stopped when the run ends.
struct local_web {
    system_clock clk;
    std::unique_ptr<web_server> server;

    void start(const local_options& o, engine& eng, const std::string& db, std::ostream& out) {
        if (!o.serve) return;
        web_options w;
        w.listen = o.web_listen;
        w.database = db;
        w.access.admins = eng.settings().admins;
        web::viewer_token v{"local viewer", web::random_token(), {}, false, {}};
        if (!o.serve_as.empty()) {
            v.name = "@" + o.serve_as;
            v.people.insert(o.serve_as);
        }
        auto token = v.token;
        w.access.viewers.push_back(std::move(v));
        server = std::make_unique<web_server>(std::move(w), clk);
        eng.set_on_commit([s = server.get()](const change& c) { s->publish(c); });
        server->start(eng.state());
        auto host = o.web_listen.substr(0, o.web_listen.rfind(':'));
        out << fmt::format("Web view: http://{}:{}/login\nViewer token: {}\n", host, server->port(), token)
            << std::flush;
    }
    ~local_web() {
        if (server) server->stop();
    }
};

}  // namespace

int run_console(const local_options& o, std::istream& in, std::ostream& out, bool interactive) {
    configure_logging(o);
    auto store = open_store(database_path(o), std::cerr);
    if (!store) return 2;
    system_clock clk;
    console_adapter adapter(out, clk, fs::path(o.data_dir) / "documents");
    engine_settings settings;
    settings.announcement_rooms["console"] = room_ref{"console", "announcements"};
    engine eng(*store, settings, clk);
    eng.add_adapter(adapter);
    eng.set_renderer(postmortem_renderer());
    eng.set_document_writer(document_folder((fs::path(o.data_dir) / "documents").string()));
    // Rooms of incidents from earlier sessions exist again.
    for (const auto& [n, inc] : eng.state().incidents)
        if (auto r = inc.room_on("console")) adapter.ensure_room(r->id);
    adapter.ensure_room("announcements");
    eng.deliver();  // anything a previous session left undelivered

    auto finder = [&eng](std::int64_t n) -> std::optional<std::string> {
        const incident* inc = eng.state().find(n);
        if (!inc) return std::nullopt;
        if (auto r = inc->room_on("console")) return r->id;
        return std::nullopt;
    };
    adapter.start([&eng](const inbound& in, const chat_adapter::ack_fn& ack) {
        eng.handle(in.event, in.cursor);
        ack();  // only after the commit above
    });
    // /wait moves the console's clock; what falls due meanwhile happens at its own instant.
    auto wait = [&eng, &clk](duration d) {
        const instant target = clk.now() + d;
        auto advance = [&clk](duration step) { clk.advance(step); };
        run_until(eng, clk, advance, target);
        if (target > clk.now()) clk.advance(target - clk.now());
    };
    // A private incident's room takes only those who may see it, as on the platforms.
    auto gate = [&eng](const std::string& room, const std::string& user) {
        const incident* inc = eng.state().by_room(room_ref{"console", room});
        return !inc || may_see(*inc, viewer{user_ref{user}, {}, false}, eng.settings().admins);
    };
    console_session session(adapter, clk, out, finder, wait,
                            std::to_string(to_unix_ms(clk.now())), gate);
    out << "firebreak console — a local chat. Type /help for console commands, !incident help for the bot's.\n";
    out << fmt::format("Database: {}\n", database_path(o));
    local_web web;
    try {
        web.start(o, eng, database_path(o), out);
    } catch (const std::exception& e) {
        std::cerr << "firebreak: " << e.what() << "\n";
        return 2;
    }
    std::string line;
    for (;;) {
        if (interactive) out << session.prompt() << std::flush;
        if (!std::getline(in, line)) break;
        bool go_on = true;
        try {
            go_on = session.feed(line, [&adapter](const chat_event& ev) { adapter.inject(ev); });
        } catch (const std::exception& e) {
            // The store failed: nothing more can be accepted safely.
            std::cerr << "firebreak: " << e.what() << "\n";
            return 2;
        }
        if (!go_on) break;
        // Real time passed while the person typed.
        eng.tick();
    }
    return 0;
}

int run_replay(const local_options& o, const std::string& file, std::ostream& out, std::ostream& err) {
    configure_logging(o);
    std::ifstream f(file, std::ios::binary);
    if (!f) {
        err << fmt::format("firebreak: cannot read transcript {}\n", file);
        return 2;
    }
    auto t = read_transcript(f);
    auto store = open_store(database_path(o), err);
    if (!store) return 2;
    manual_clock clk(t.lines.empty() ? instant{} : t.lines.front().event.at);
    console_adapter adapter(out, clk, fs::path(o.data_dir) / "documents", true);
    engine_settings settings;
    settings.announcement_rooms["console"] = room_ref{"console", "announcements"};
    engine eng(*store, settings, clk);
    eng.add_adapter(adapter);
    eng.set_renderer(postmortem_renderer());
    eng.set_document_writer(document_folder((fs::path(o.data_dir) / "documents").string()));
    replay_stats s;
    try {
        s = replay_transcript(eng, clk, t, err);
    } catch (const std::exception& e) {
        err << "firebreak: " << e.what() << "\n";
        return 2;
    }
    print_room_by_room(adapter, out);
    out << fmt::format("\nReplayed {} events from {} ({} already handled before, {} lines skipped).\n", s.events, file,
                       s.duplicates, s.errors);
    return 0;
}

int run_demo(const local_options& o, std::ostream& out, std::ostream& err) {
    configure_logging(o);
    local_options d = o;
    std::error_code ec;
    if (d.db_path.empty()) {
        // The demo's own database starts empty each run; one the user named is never deleted.
        d.db_path = demo_database(o).string();
        for (auto suffix : {"", "-wal", "-shm"}) fs::remove(d.db_path + suffix, ec);
    } else if (fs::exists(d.db_path, ec)) {
        err << fmt::format("firebreak: {} exists; the demo only writes into a new database\n", d.db_path);
        return 2;
    }
    std::istringstream src{std::string(example_transcript)};
    auto t = read_transcript(src);
    auto store = open_store(d.db_path, err);
    if (!store) return 2;
    manual_clock clk(t.lines.empty() ? instant{} : t.lines.front().event.at);
    console_adapter adapter(out, clk, fs::path(o.data_dir) / "documents", true);
    engine_settings settings;
    settings.announcement_rooms["console"] = room_ref{"console", "announcements"};
    engine eng(*store, settings, clk);
    eng.add_adapter(adapter);
    eng.set_renderer(postmortem_renderer());
    auto docs = (fs::path(o.data_dir) / "documents").string();
    eng.set_document_writer(document_folder(docs));

    out << "firebreak demo — replaying the bundled example: a checkout outage worked in chat, "
           "from the first alert to close.\n";
    replay_stats s;
    try {
        s = replay_transcript(eng, clk, t, err);
    } catch (const std::exception& e) {
        err << "firebreak: " << e.what() << "\n";
        return 2;
    }
    print_room_by_room(adapter, out);

    out << "\n══ What firebreak recorded ══\n";
    for (const auto& [n, inc] : eng.state().incidents) {
        auto entries = store->timeline(inc.id);
        out << fmt::format("{} · {} · {} — {}\n", inc.id.str(), to_string(inc.sev), to_title(inc.state), inc.title);
        out << fmt::format("  declared {} · mitigated {} · resolved {} · closed {}\n", format_utc(inc.times.declared),
                           inc.times.mitigated ? format_utc(*inc.times.mitigated) : "—",
                           inc.times.resolved ? format_utc(*inc.times.resolved) : "—",
                           inc.times.closed ? format_utc(*inc.times.closed) : "—");
        for (const auto& sh : inc.shifts)
            out << fmt::format("  {:<9} @{:<8} {} → {}\n", to_string(sh.held), sh.user.id, format_hhmm(sh.start),
                               sh.end ? format_hhmm(*sh.end) : "now");
        for (const auto& h : inc.hypotheses) out << fmt::format("  H{} {}: {}\n", h.n, to_string(h.result), h.text);
        std::size_t decisions = 0, deadends = 0;
        for (const auto& nte : inc.notes) {
            decisions += nte.kind == note_kind::decision;
            deadends += nte.kind == note_kind::deadend;
        }
        for (const auto& h : inc.hypotheses) deadends += h.result == outcome::ruled_out;  // also dead ends
        std::size_t nudges = 0;
        for (const auto& e : entries) nudges += e.kind == entry_kind::system && e.tag == "nudge";
        out << fmt::format("  {} messages, {} timeline entries, {} decisions, {} dead ends, {} status updates, {} nudges, "
                           "{} action items\n",
                           inc.message_count, entries.size(), decisions, deadends, inc.updates.size(), nudges,
                           inc.actions.size());
    }
    // The engine wrote the drafts when the incident closed; show where, and say so loudly
    // if one is missing rather than point at nothing.
    bool drafts_ok = true;
    for (const auto& [n, inc] : eng.state().incidents) {
        if (!inc.is_closed()) continue;
        out << fmt::format("\nPostmortem draft of {}:\n", inc.id.str());
        for (auto format : postmortem_formats) {
            auto path = fs::path(docs) / postmortem_filename(inc.id, format);
            bool there = fs::exists(path, ec);
            drafts_ok = drafts_ok && there;
            out << fmt::format("  {}{}\n", path.string(), there ? "" : "  (missing!)");
        }
    }
    out << fmt::format("\nDatabase: {}  ({} events replayed, {} skipped)\n", d.db_path, s.events, s.errors);
    // Commands that work from any directory: the binary and the database by absolute path.
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    const std::string self = ec ? std::string("firebreak") : exe.string();
    const std::string db = fs::absolute(d.db_path, ec).string();
    out << fmt::format("Next:\n  {} list --all --db {}\n  {} export INC-1 --format html --db {} -o INC-1.html\n"
                       "  {} console   (chat with firebreak yourself)\n",
                       self, db, self, db, self);
    int code = s.errors == 0 && drafts_ok ? 0 : 1;
    if (!o.serve) return code;
    // Serve until Ctrl-C: the signals are taken here, before the view's thread exists, so
    // that thread never sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    local_web web;
    try {
        out << "\n";
        web.start(o, eng, d.db_path, out);
    } catch (const std::exception& e) {
        err << "firebreak: " << e.what() << "\n";
        return 2;
    }
    out << "Serving the web view until Ctrl-C.\n" << std::flush;
    int sig = 0;
    sigwait(&stop_signals, &sig);
    return code;
}

int run_list(const local_options& o, bool all, std::ostream& out, std::ostream& err) {
    // A read-only command: it never creates a database, or the directory for one.
    auto path = existing_database(o, err);
    if (!path) return 1;
    auto store = open_store(*path, err);
    if (!store) return 2;
    auto st = store->load(1).state;
    std::size_t shown = 0;
    for (const auto& [n, inc] : st.incidents) {
        if (!all && inc.is_closed()) continue;
        const shift* c = inc.commander();
        out << fmt::format("{:<8} {:<5} {:<14} {:<12} {}  (declared {}{})\n", inc.id.str(), to_string(inc.sev),
                           to_string(inc.state), c ? "@" + c->user.id : "-", inc.title, format_utc(inc.times.declared),
                           inc.updates.empty() ? "" : ", last update " + format_utc(inc.updates.back().at));
        ++shown;
    }
    if (shown == 0) out << (all ? "No incidents.\n" : "No open incidents (use --all to include closed ones).\n");
    return 0;
}

namespace {

// Where a card went, in a few words: "INC-3", "dismissed by @U0MAYA", "open".
std::string card_fate(const alert_card& c) {
    if (c.incident.n != 0) return c.incident.str();
    if (c.dismissed) return "dismissed" + (c.decided_by.empty() ? std::string{} : " by @" + c.decided_by.id);
    return "open";
}

}  // namespace

int run_alerts(const local_options& o, std::size_t limit, std::ostream& out, std::ostream& err) {
    auto path = existing_database(o, err);
    if (!path) return 1;
    auto store = open_store(*path, err);
    if (!store) return 2;
    const auto st = store->load(1).state;
    std::vector<const card_alert*> recent;
    for (const auto& [n, card] : st.cards)
        for (const auto& a : card.alerts) recent.push_back(&a);
    if (recent.empty()) {
        out << "No alerts received.\n";
        return 0;
    }
    // Newest first; within one payload (one instant) the last in it first.
    std::stable_sort(recent.begin(), recent.end(), [](const card_alert* a, const card_alert* b) { return a->received > b->received; });
    const std::size_t total = recent.size();
    if (recent.size() > limit) recent.resize(limit);
    // What a sender wrote is shown on one line, without control characters.
    const auto line = [](std::string_view s, std::size_t max) { return clean_line(s, max); };
    out << fmt::format("Alerts, newest first ({} of {}):\n", recent.size(), total);
    std::set<std::int64_t> shown_cards;
    for (const auto* a : recent) {
        const auto& card = st.cards.at(a->card);
        shown_cards.insert(a->card);
        std::string labels;
        for (const auto& [k, v] : a->labels) labels += (labels.empty() ? "" : " ") + line(k, 60) + "=" + line(v, 60);
        out << fmt::format("  {}  {:<8} A{:<4} {:<22} {}  [{}]  fired {}{}\n", format_utc(a->received),
                           a->firing ? "firing" : "resolved", a->card, card_fate(card), line(a->title, 120),
                           line(a->source, 40) + "/" + line(a->fingerprint, 40), format_utc(a->started),
                           labels.empty() ? std::string{} : "  " + shorten_words(labels, 200));
    }
    out << "Their cards:\n";
    for (auto n : shown_cards) {
        const auto& c = st.cards.at(n);
        out << fmt::format("  {:<5} {:<22} {:<5} {} firing of {}  {}  (room {}:{}, opened {}, last alert {})\n", c.str(),
                           card_fate(c), to_string(c.sev), c.firing(), c.alerts.size(), line(c.title, 120), c.room.platform,
                           c.room.id, format_utc(c.opened), format_utc(c.last));
    }
    return 0;
}

int run_export(const local_options& o, const std::string& which, const std::string& format, const std::string& out_file,
               std::ostream& out, std::ostream& err) {
    auto n = parse_incident_ref(which);
    if (!n) {
        err << fmt::format("firebreak: \"{}\" is not an incident id like INC-3\n", which.substr(0, 40));
        return 2;
    }
    if (std::find(postmortem_formats.begin(), postmortem_formats.end(), format) == postmortem_formats.end()) {
        err << fmt::format("firebreak: unknown format \"{}\" (supported: md, html, json)\n", format.substr(0, 20));
        return 2;
    }
    auto path = existing_database(o, err);
    if (!path) return 2;
    auto store = open_store(*path, err);
    if (!store) return 2;
    auto st = store->load(1).state;
    const incident* inc = st.find(*n);
    if (!inc) {
        err << fmt::format("firebreak: there is no INC-{} in {}\n", *n, *path);
        return 2;
    }
    auto text = *render_postmortem_as(postmortem_source(*inc, *store), format);
    if (out_file.empty() || out_file == "-") {
        out << text;
        return 0;
    }
    std::ofstream f(out_file, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) {
        err << fmt::format("firebreak: cannot write {}\n", out_file);
        return 2;
    }
    out << fmt::format("wrote {}\n", out_file);
    return 0;
}

}  // namespace firebreak
