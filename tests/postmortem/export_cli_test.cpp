// `firebreak demo` and `firebreak export --format md|html|json` end to end, through the
// binary: the drafts the demo leaves, and exports that match them.
#include "bot/runtime/local_runs.hpp"
#include "tests/postmortem/fixtures.hpp"

#include <boost/json.hpp>

using namespace firebreak;
using namespace firebreak::testing;

TEST_CASE("the demo ends with the three drafts of the example, and export reproduces them",
          "[postmortem][cli]") {
    temp_dir dir;
    const std::string data = "--data-dir '" + dir.path().string() + "'";
    auto demo = run_firebreak("demo " + data, "", dir.path().string());
    INFO(demo.output.substr(demo.output.size() > 3000 ? demo.output.size() - 3000 : 0));
    REQUIRE(demo.exit_code == 0);
    const auto docs = dir.path() / "documents";
    auto tail = demo.output.substr(demo.output.find("Postmortem draft of INC-1:"));
    for (auto format : postmortem_formats) {
        auto path = docs / postmortem_filename(incident_id{1}, format);
        CHECK_THAT(tail, Catch::Contains(path.string()));
        CHECK(std::filesystem::exists(path));
    }

    const std::string db = "--db '" + (dir.path() / "demo.sqlite").string() + "'";
    SECTION("md to standard output is the draft written on close") {
        auto r = run_firebreak("export INC-1 --format md " + db, "", dir.path().string());
        CHECK(r.exit_code == 0);
        CHECK(r.output == slurp(docs / "INC-1-postmortem.md"));
    }
    SECTION("html to a file") {
        auto out = dir.path() / "out.html";
        auto r = run_firebreak("export INC-1 --format html -o '" + out.string() + "' " + db, "", dir.path().string());
        CHECK(r.exit_code == 0);
        CHECK_THAT(r.output, Catch::Contains("wrote " + out.string()));
        CHECK(slurp(out) == slurp(docs / "INC-1-postmortem.html"));
        require_well_formed_xml(slurp(out), "the exported page");
    }
    SECTION("json to a file") {
        auto out = dir.path() / "out.json";
        auto r = run_firebreak("export INC-1 --format json --output '" + out.string() + "' " + db, "",
                               dir.path().string());
        CHECK(r.exit_code == 0);
        auto text = slurp(out);
        CHECK(text == slurp(docs / "INC-1-postmortem.json"));
        boost::json::error_code ec;
        auto v = boost::json::parse(text, ec);
        REQUIRE_FALSE(ec);
        CHECK(v.at("version").as_int64() == 1);
        CHECK(v.at("incident").at("id").as_string() == "INC-1");
    }
    SECTION("an unknown format is refused, naming the ones there are") {
        auto r = run_firebreak("export INC-1 --format pdf " + db, "", dir.path().string());
        CHECK(r.exit_code != 0);
        CHECK_THAT(r.output, Catch::Contains("pdf") && Catch::Contains("html") && Catch::Contains("json"));
        CHECK_FALSE(std::filesystem::exists(dir.path() / "INC-1.pdf"));
    }
    SECTION("an incident that does not exist is an error") {
        auto r = run_firebreak("export INC-2 --format json " + db, "", dir.path().string());
        CHECK(r.exit_code != 0);
        CHECK_THAT(r.output, Catch::Contains("INC-2"));
    }
}

TEST_CASE("run_export refuses an unknown format before touching the store", "[postmortem][cli]") {
    temp_dir dir;
    local_options o;
    o.data_dir = dir.path().string();
    std::ostringstream out, err;
    CHECK(run_export(o, "INC-1", "docx", "", out, err) == 2);
    CHECK_THAT(err.str(), Catch::Contains("unknown format \"docx\" (supported: md, html, json)"));
    CHECK(out.str().empty());
    CHECK_FALSE(std::filesystem::exists(database_path(o)));
}
