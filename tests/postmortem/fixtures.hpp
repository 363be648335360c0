#pragma once
// Incidents to render: the bundled example replayed through the real engine, an
// incident with nothing recorded, one whose every text field is hostile, and helpers
// to look at rendered documents.
#include "adapters/console/console_adapter.hpp"
#include "bot/runtime/document_folder.hpp"
#include "bot/runtime/engine.hpp"
#include "bot/runtime/example_transcript.hpp"
#include "bot/runtime/local_runs.hpp"
#include "postmortem/draft.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/core/test_time.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak::testing {

/// The example transcript replayed on a manual clock into an in-memory store, with the
/// postmortem renderer the binary uses and documents written under a temporary directory.
struct replayed_example {
    temp_dir dir;
    sqlite_store store{":memory:"};
    manual_clock clk{from_unix_ms(0)};
    std::ostringstream out;
    console_adapter adapter{out, clk, dir.path() / "files", true};
    engine eng{store, settings(), clk};

    replayed_example() {
        eng.add_adapter(adapter);
        eng.set_renderer(postmortem_renderer());
        eng.set_document_writer(document_folder(documents().string()));
        std::istringstream in{std::string(example_transcript)};
        auto t = read_transcript(in);
        REQUIRE(t.errors.empty());
        std::ostringstream err;
        auto stats = replay_transcript(eng, clk, t, err);
        INFO(err.str());
        REQUIRE(stats.errors == 0);
        REQUIRE(eng.state().find(1));
    }

    static engine_settings settings() {
        engine_settings s;
        s.announcement_rooms["console"] = room_ref{"console", "announcements"};
        return s;
    }
    /// Where the engine writes documents.
    std::filesystem::path documents() const { return dir.path() / "documents"; }
    /// INC-1 as the engine holds it.
    const incident& inc() const { return *eng.state().find(1); }
    /// What a draft of INC-1 is rendered from, read back from the store.
    draft_source source() { return postmortem_source(inc(), store); }
};

/// Reads a whole file.
inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

/// Writes a whole file.
inline void spit(const std::filesystem::path& p, std::string_view content) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << content;
}

/// An incident declared at 10:00 and nothing else: no roles, no entries, no history.
inline draft_source empty_draft() {
    draft_source src;
    src.inc.id = incident_id{7};
    src.inc.title = "Quiet incident";
    src.inc.declared_by = user_ref{"ana"};
    src.inc.times.declared = test::utc(2026, 11, 3, 10, 0);
    return src;
}

/// Text that tries to break out of every format: Markdown structure and tables, HTML
/// tags and attribute quotes, control characters and invalid UTF-8.
inline const std::string hostile =
    "a|b `tick` *star* _under_ [link](http://example.com) <script>alert('x')</script> & \"dq\" 'sq'\n"
    "- not a list\r\n# not a heading\r1. not numbered\n---\n\x01\x1f\x7f bad:\xff\xc3(\xed\xa0\x80";

/// A hostile user id (platforms allow far less, but a renderer must not rely on that).
inline const std::string hostile_user = "ev\"il'<u>&|`x`";

/// An incident whose every text field, user id and reason is hostile.
inline draft_source hostile_draft() {
    using test::utc;
    draft_source src;
    incident& inc = src.inc;
    inc.id = incident_id{9};
    inc.title = hostile;
    inc.sev = severity::sev1;
    inc.state = status::closed;
    user_ref evil{hostile_user};
    inc.declared_by = evil;
    inc.times.impact_started = utc(2026, 11, 3, 9, 50);
    inc.times.declared = utc(2026, 11, 3, 10, 0);
    inc.times.commander_assigned = utc(2026, 11, 3, 10, 0);
    inc.times.mitigated = utc(2026, 11, 3, 10, 40);
    inc.times.resolved = utc(2026, 11, 3, 11, 0);
    inc.times.closed = utc(2026, 11, 3, 11, 10);
    inc.shifts.push_back({role::commander, evil, "", utc(2026, 11, 3, 10, 0), utc(2026, 11, 3, 11, 10), evil, evil});
    inc.shifts.push_back({role::sme, evil, hostile, utc(2026, 11, 3, 10, 5), utc(2026, 11, 3, 11, 10), evil, evil});
    inc.history.push_back({utc(2026, 11, 3, 10, 0), severity::sev2, status::investigating, evil, {}});
    inc.history.push_back({utc(2026, 11, 3, 10, 10), severity::sev1, status::investigating, evil, hostile});
    inc.history.push_back({utc(2026, 11, 3, 10, 40), severity::sev1, status::mitigated, evil, {}});
    inc.history.push_back({utc(2026, 11, 3, 11, 10), severity::sev1, status::closed, evil, {}});
    inc.hypotheses.push_back({1, hostile, evil, utc(2026, 11, 3, 10, 6), outcome::confirmed, utc(2026, 11, 3, 10, 30),
                              evil, hostile});
    inc.hypotheses.push_back({2, hostile, evil, utc(2026, 11, 3, 10, 7), outcome::ruled_out, utc(2026, 11, 3, 10, 20),
                              evil, hostile});
    for (auto k : {note_kind::decision, note_kind::deadend, note_kind::change, note_kind::impact, note_kind::mitigation})
        inc.notes.push_back({k, hostile, evil, utc(2026, 11, 3, 10, 15)});
    inc.actions.push_back({1, hostile, evil, hostile, evil, utc(2026, 11, 3, 11, 5)});
    inc.updates.push_back({utc(2026, 11, 3, 10, 20), evil, hostile, hostile, hostile, utc(2026, 11, 3, 10, 40)});
    inc.message_count = 3;

    auto entry = [&](std::int64_t seq, instant at, entry_kind kind, std::string tag) {
        timeline_entry e;
        e.seq = seq;
        e.incident = inc.id;
        e.at = at;
        e.kind = kind;
        e.tag = std::move(tag);
        e.author = evil;
        e.text = hostile;
        e.room = room_ref{"console", hostile};
        e.msg = message_id{hostile};
        return e;
    };
    src.entries.push_back(entry(1, utc(2026, 11, 3, 10, 0), entry_kind::system, hostile));
    auto said = entry(2, utc(2026, 11, 3, 10, 1), entry_kind::message, "");
    said.highlight = true;
    said.thread_parent = message_id{hostile};
    src.entries.push_back(said);
    auto edited = entry(3, utc(2026, 11, 3, 10, 2), entry_kind::message, "decision");
    edited.edited = true;
    src.entries.push_back(edited);
    src.edits[3] = {{utc(2026, 11, 3, 10, 3), hostile}};
    auto gone = entry(4, utc(2026, 11, 3, 10, 4), entry_kind::message, "");
    gone.deleted = true;
    gone.text.clear();
    src.entries.push_back(gone);
    return src;
}

/// The lines of a text.
inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

/// Checks a document with xmllint as XML (no network, no DTD loading). The test fails,
/// rather than skips, where xmllint is not installed: install libxml2-utils.
inline void require_well_formed_xml(const std::string& content, const std::string& what) {
    auto which = run_command("command -v xmllint");
    INFO("xmllint not found: install Debian's libxml2-utils (scripts/install-deps.sh does)");
    REQUIRE(which.exit_code == 0);
    temp_dir dir;
    auto file = dir.path() / "doc.xml";
    spit(file, content);
    auto r = run_command("xmllint --noout --nonet '" + file.string() + "'");
    INFO(what << " is not well-formed XML:\n" << r.output.substr(0, 2000));
    CHECK(r.exit_code == 0);
}

/// The <svg>…</svg> element of an HTML page, or "" when there is none.
inline std::string svg_of(const std::string& html) {
    auto a = html.find("<svg");
    auto b = html.find("</svg>");
    if (a == std::string::npos || b == std::string::npos) return {};
    return html.substr(a, b + 6 - a);
}

}  // namespace firebreak::testing
