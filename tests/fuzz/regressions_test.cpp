// The fuzz targets' inputs in the normal build: every crash kept in
// fuzz/regressions/<target>/ and every seed in fuzz/corpus/<target>/ runs through the
// same body the libFuzzer target runs (fuzz/targets.hpp) and must return normally.
#include "fuzz/targets.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace fs = std::filesystem;

namespace {

// The files of fuzz/<kind>/<target>/, in name order; none when the folder is missing.
std::vector<fs::path> inputs(std::string_view kind, std::string_view target) {
    std::vector<fs::path> out;
    auto dir = fs::path(FIREBREAK_SOURCE_DIR) / "fuzz" / kind / target;
    if (!fs::is_directory(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::uint8_t> bytes_of(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    REQUIRE(f);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

const firebreak::fuzz::target& target_named(std::string_view name) {
    const auto& all = firebreak::fuzz::targets();
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& t) { return t.name == name; });
    REQUIRE(it != all.end());
    return *it;
}

// Runs every kept crash, then every seed; a target without seeds is a mistake.
void replay(std::string_view name) {
    const auto& t = target_named(name);
    for (auto kind : {"regressions", "corpus"}) {
        auto files = inputs(kind, name);
        if (std::string_view(kind) == "corpus") REQUIRE_FALSE(files.empty());
        for (const auto& p : files) {
            INFO(p.string());
            auto data = bytes_of(p);
            CHECK(t.run(data.data(), data.size()) == 0);
        }
    }
}

}  // namespace

TEST_CASE("every target has seeds, and a folder of its own", "[fuzz]") {
    for (const auto& t : firebreak::fuzz::targets()) {
        INFO(t.name);
        CHECK_FALSE(inputs("corpus", t.name).empty());
    }
}

TEST_CASE("the world the targets start from holds INC-1 with its room, update, hypothesis and scribe", "[fuzz]") {
    using firebreak::fuzz::detail::make_world;
    for (auto w : {make_world("console", "general", {"maya", "dev", "admin"}),
                   make_world("slack", "C0GENERAL", {"U0MAYA", "U0DEV", "U0ADMIN"}),
                   make_world("matrix", "!general:example.org", {"maya:example.org", "dev:example.org", "admin:example.org"})}) {
        INFO(w.platform);
        REQUIRE(w.state.incidents.size() == 1);
        const auto& inc = w.state.incidents.begin()->second;
        CHECK(inc.room_on(w.platform) == w.incident_room);
        CHECK_FALSE(w.incident_room.empty());
        CHECK(inc.updates.size() == 1);
        CHECK(inc.hypotheses.size() == 1);
        CHECK(inc.scribe() != nullptr);
    }
}

TEST_CASE("command parser: kept crashes and seeds run clean", "[fuzz]") { replay("command_parser"); }

TEST_CASE("Slack envelope: kept crashes and seeds run clean", "[fuzz]") { replay("slack_envelope"); }

TEST_CASE("Matrix sync: kept crashes and seeds run clean", "[fuzz]") { replay("matrix_sync"); }

TEST_CASE("transcript: kept crashes and seeds run clean", "[fuzz]") { replay("transcript"); }

TEST_CASE("config: kept crashes and seeds run clean", "[fuzz]") { replay("config"); }
