#pragma once
// Shared helpers of the storage tests: temporary database files and fully
// populated domain values.
#include "bot/core/engine_state.hpp"

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace firebreak::test {

/// A unique path under the temp directory; removes the database, its WAL/SHM
/// side files and the lock file when it goes out of scope.
class temp_path {
public:
    explicit temp_path(const std::string& suffix = ".sqlite") {
        static std::atomic<int> counter{0};
        path_ = (std::filesystem::temp_directory_path() /
                 ("firebreak-storage-test-" + std::to_string(::getpid()) + "-" +
                  std::to_string(counter++) + suffix))
                    .string();
        remove_all();
    }
    ~temp_path() { remove_all(); }
    temp_path(const temp_path&) = delete;
    temp_path& operator=(const temp_path&) = delete;

    /// The path as a string.
    const std::string& str() const { return path_; }

private:
    void remove_all() {
        std::error_code ec;
        for (const char* side : {"", "-wal", "-shm", "-journal", ".lock"})
            std::filesystem::remove_all(path_ + side, ec);
    }
    std::string path_;
};

/// An instant at a fixed date with a millisecond part, `minutes` later.
inline instant at_min(int minutes, int ms = 123) {
    return from_unix_ms(1'795'000'000'000 + std::int64_t{minutes} * 60'000 + ms);
}

/// An incident with every field set: milestones, rooms, several shifts,
/// hypotheses of every outcome, notes of every kind, actions, updates, snoozes.
inline incident full_incident(std::int64_t n) {
    incident inc;
    inc.id = incident_id{n};
    inc.title = "Checkout latency above 2s in eu-west";
    inc.sev = severity::sev1;
    inc.state = status::resolved;
    inc.is_private = true;
    inc.declared_by = user_ref{"U_ALICE"};
    inc.declared_in = room_ref{"slack", "C_GENERAL"};
    inc.rooms = {room_ref{"slack", "C_INC_" + std::to_string(n)},
                 room_ref{"matrix", "!inc" + std::to_string(n) + ":example.org"}};
    inc.times.impact_started = at_min(-15, 1);
    inc.times.detected = at_min(-5, 2);
    inc.times.declared = at_min(0, 3);
    inc.times.commander_assigned = at_min(1, 4);
    inc.times.identified = at_min(20, 5);
    inc.times.mitigated = at_min(35, 6);
    inc.times.resolved = at_min(50, 7);
    inc.times.closed = at_min(90, 8);
    inc.shifts = {
        shift{role::commander, user_ref{"U_ALICE"}, "", at_min(1), at_min(30), user_ref{"U_ALICE"},
              user_ref{"U_BOB"}},
        shift{role::commander, user_ref{"U_BOB"}, "", at_min(30), std::nullopt, user_ref{"U_ALICE"},
              user_ref{}},
        shift{role::scribe, user_ref{"U_CAROL"}, "", at_min(2), std::nullopt, user_ref{"U_ALICE"},
              user_ref{}},
        shift{role::sme, user_ref{"U_DAN"}, "database", at_min(5), at_min(40), user_ref{"U_BOB"},
              user_ref{"U_DAN"}},
    };
    inc.hypotheses = {
        hypothesis{1, "connection pool exhausted", user_ref{"U_DAN"}, at_min(6), outcome::ruled_out,
                   at_min(12), user_ref{"U_DAN"}, "pool at 40% during the spike", message_id{"m6"},
                   message_id{"m12"}, false, true},
        hypothesis{2, "bad deploy of pricing", user_ref{"U_BOB"}, at_min(13), outcome::confirmed,
                   at_min(19), user_ref{"U_BOB"}, "rollback drops p99 to 300ms", {}, {}},
        hypothesis{3, "cache stampede", user_ref{"U_CAROL"}, at_min(14), outcome::open, std::nullopt,
                   user_ref{}, "", message_id{"m14"}, {}, true},
    };
    inc.notes = {
        note{note_kind::decision, "roll back pricing to v41", user_ref{"U_BOB"}, at_min(20), message_id{"m20"}},
        note{note_kind::deadend, "H1 ruled out: pool fine", user_ref{"U_DAN"}, at_min(12), {}},
        note{note_kind::change, "pricing v42 deployed 13:55", user_ref{"U_CAROL"}, at_min(8), {}},
        note{note_kind::impact, "12% of checkouts time out", user_ref{"U_ALICE"}, at_min(3), {}},
        note{note_kind::mitigation, "traffic shifted to eu-central", user_ref{"U_BOB"}, at_min(33), {}},
    };
    inc.actions = {
        action_item{1, "add canary for pricing", user_ref{"U_BOB"}, "2026-12-01", user_ref{"U_CAROL"},
                    at_min(60), message_id{"m60"}, true},
        action_item{2, "alert on checkout p99", user_ref{}, "", user_ref{"U_ALICE"}, at_min(61), {}},
    };
    inc.updates = {
        status_update{at_min(10), user_ref{"U_ALICE"}, "checkout slow for 12%", "investigating pool",
                      "", at_min(40)},
        status_update{at_min(36), user_ref{"U_BOB"}, "mitigated", "rolled back", "nothing",
                      at_min(96)},
    };
    inc.history = {
        phase{at_min(0), severity::sev2, status::investigating, user_ref{"U_ALICE"}, ""},
        phase{at_min(12), severity::sev1, status::investigating, user_ref{"U_ALICE"}, "all regions"},
        phase{at_min(30), severity::sev1, status::mitigated, user_ref{"U_BOB"}, ""},
    };
    inc.snoozed_until = {{"update", at_min(45)}, {"scribe", at_min(70)}};
    inc.nudges = {{"scribe@0", nudge_mark{1, at_min(10), at_min(10)}},
                  {"update@40", nudge_mark{2, at_min(40, 1), at_min(50, 3)}}};
    inc.next_update_due = at_min(96, 9);
    inc.message_count = 17;
    inc.members = {user_ref{"U_ALICE"}, user_ref{"U_BOB"}, user_ref{"U_CAROL"}};
    return inc;
}

/// An incident with only what `declare` sets: every optional unset, no children.
inline incident bare_incident(std::int64_t n) {
    incident inc;
    inc.id = incident_id{n};
    inc.title = "minimal";
    inc.declared_by = user_ref{"U_EVE"};
    inc.declared_in = room_ref{"console", "main"};
    inc.times.declared = at_min(100);
    return inc;
}

/// A message entry of an incident room.
inline timeline_entry message_entry(const incident& inc, const std::string& msg,
                                    const std::string& text, int minute) {
    timeline_entry e;
    e.incident = inc.id;
    e.at = at_min(minute, 456);
    e.kind = entry_kind::message;
    e.author = user_ref{"U_ALICE"};
    e.text = text;
    e.room = inc.rooms.empty() ? inc.declared_in : inc.rooms.front();
    e.msg = message_id{msg};
    return e;
}

/// A system entry.
inline timeline_entry system_entry(const incident& inc, const std::string& tag,
                                   const std::string& text, int minute) {
    timeline_entry e;
    e.incident = inc.id;
    e.at = at_min(minute, 789);
    e.kind = entry_kind::system;
    e.tag = tag;
    e.author = user_ref{"U_BOB"};
    e.text = text;
    e.room = inc.rooms.empty() ? inc.declared_in : inc.rooms.front();
    return e;
}

}  // namespace firebreak::test
