// The firebreak binary end to end: a console session driven through a pipe, the
// store surviving the process, and clear errors for bad databases.
#include "storage/sqlite_store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fstream>

using namespace firebreak::testing;

TEST_CASE("a console session through a pipe declares and works an incident that outlives the process",
          "[runtime][console]") {
    temp_dir dir;
    std::string data = "--data-dir '" + dir.path().string() + "'";
    auto r = run_firebreak("console " + data,
                           "/user maya\n"
                           "!incident declare Search is timing out --sev 1\n"
                           "/room INC-1\n"
                           "/user ravi\n"
                           "!incident scribe @ravi\n"
                           "#hypothesis the new index is missing\n"
                           "/react m3\n"
                           "/wait 15m\n"
                           "!incident status mitigated\n"
                           "!incident sev\n"
                           "/quit\n",
                           dir.path().string());
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("room #inc-1-search-is-timing-out created"));
    CHECK_THAT(r.output, Catch::Contains("INC-1 · SEV1 · Investigating — Search is timing out"));
    CHECK_THAT(r.output, Catch::Contains("@ravi is now scribe of INC-1"));
    CHECK_THAT(r.output, Catch::Contains("Recorded hypothesis H1: the new index is missing"));
    CHECK_THAT(r.output, Catch::Contains("INC-1 is now Mitigated (by @ravi)"));
    CHECK_THAT(r.output, Catch::Contains("only @ravi sees this") && Catch::Contains("Usage: !incident sev <1-4> <reason>"));
    CHECK_THAT(r.output, Catch::Contains("#announcements") && Catch::Contains("declared · SEV1"));

    // A new process reads the same store.
    auto list = run_firebreak("list " + data, "", dir.path().string());
    CHECK(list.exit_code == 0);
    CHECK_THAT(list.output, Catch::Contains("INC-1") && Catch::Contains("mitigated") && Catch::Contains("@maya") &&
                                Catch::Contains("Search is timing out"));

    auto md = run_firebreak("export INC-1 --format md " + data, "", dir.path().string());
    CHECK(md.exit_code == 0);
    CHECK_THAT(md.output, Catch::StartsWith("# INC-1: Search is timing out"));
    CHECK_THAT(md.output, Catch::Contains("| 📌 ") && Catch::Contains("\\#hypothesis the new index is missing"));

    // And a second console session picks up the incident room where the first left it.
    auto again = run_firebreak("console " + data, "/user maya\n/room INC-1\n!incident roles\n/quit\n", dir.path().string());
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.output, Catch::Contains("commander: @maya") && Catch::Contains("scribe: @ravi"));
}

TEST_CASE("the demo shows the example incident from declaration to close", "[runtime][demo]") {
    temp_dir dir;
    auto r = run_firebreak("demo --data-dir '" + dir.path().string() + "'", "", dir.path().string());
    INFO(r.output.substr(0, 2000));
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("INC-1 declared"));
    CHECK_THAT(r.output, Catch::Contains("Handoff briefing"));
    CHECK_THAT(r.output, Catch::Contains("INC-1 closed by @dev"));
    CHECK_THAT(r.output, Catch::Contains("0 skipped"));
    for (auto ext : {"md", "html", "json"})
        CHECK(std::filesystem::exists(dir.path() / "documents" / (std::string("INC-1-postmortem.") + ext)));
}

TEST_CASE("database problems give a clear error naming the path and a non-zero exit", "[runtime][storage]") {
    temp_dir dir;
    SECTION("a path that cannot be created") {
        std::ofstream(dir.file("plainfile")) << "x";
        std::string db = dir.file("plainfile") + "/sub/fb.sqlite";
        auto r = run_firebreak("list --db '" + db + "'", "", dir.path().string());
        CHECK(r.exit_code != 0);
        CHECK_THAT(r.output, Catch::Contains(dir.file("plainfile")));
    }
    SECTION("a file that is not a database") {
        std::ofstream(dir.file("junk.sqlite")) << std::string(4096, 'z');
        auto r = run_firebreak("list --db '" + dir.file("junk.sqlite") + "'", "", dir.path().string());
        CHECK(r.exit_code != 0);
        CHECK_THAT(r.output, Catch::Contains("junk.sqlite"));
    }
    SECTION("a database another firebreak holds") {
        firebreak::sqlite_store held(dir.file("busy.sqlite"));
        auto r = run_firebreak("list --db '" + dir.file("busy.sqlite") + "'", "", dir.path().string());
        CHECK(r.exit_code != 0);
        CHECK_THAT(r.output, Catch::Contains("busy.sqlite") && Catch::Contains("in use"));
    }
    SECTION("exporting an incident that does not exist") {
        auto r = run_firebreak("export INC-4 --data-dir '" + dir.path().string() + "'", "", dir.path().string());
        CHECK(r.exit_code != 0);
    }
}
