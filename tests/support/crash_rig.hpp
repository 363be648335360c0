#pragma once
// What the tests that SIGKILL `firebreak run` against the fake homeserver share: a seed
// that can be replayed, the bot's messages in a room, and a log cut to a readable tail.
#include "tests/support/fake_homeserver.hpp"

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace firebreak::testing {

/// FIREBREAK_CRASH_SEED when set, else a fresh one; printed with how to replay it.
inline std::uint32_t crash_seed(const std::string& what) {
    std::uint32_t seed = 0;
    if (const char* s = std::getenv("FIREBREAK_CRASH_SEED")) seed = static_cast<std::uint32_t>(std::stoul(s));
    else seed = std::random_device{}();
    std::cout << what << " seed: " << seed << " (replay with FIREBREAK_CRASH_SEED=" << seed << ")" << std::endl;
    return seed;
}

/// The bodies of `bot`'s m.room.message events in a room, in timeline order.
inline std::vector<std::string> bot_messages(const fake_homeserver& hs, const std::string& room, const std::string& bot) {
    std::vector<std::string> out;
    for (const auto& e : hs.timeline(room)) {
        if (e.at("sender") != bot.c_str() || e.at("type") != "m.room.message") continue;
        const auto& c = e.at("content").as_object();
        out.emplace_back(c.contains("body") && c.at("body").is_string() ? std::string(c.at("body").as_string()) : "");
    }
    return out;
}

/// The last `n` characters of a log, so a failure report stays readable.
inline std::string log_tail(const std::string& s, std::size_t n = 20000) {
    return s.size() <= n ? s : "…" + s.substr(s.size() - n);
}

}  // namespace firebreak::testing
