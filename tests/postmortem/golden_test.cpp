// The drafts of the bundled example, as the engine renders them on close, against the
// reviewed files in tests/postmortem/golden/. To accept a deliberate change, run the
// test with FIREBREAK_UPDATE_GOLDEN=1 (or `make golden`), then review the diff.
#include "postmortem/html.hpp"
#include "postmortem/json_export.hpp"
#include "postmortem/markdown.hpp"
#include "tests/postmortem/fixtures.hpp"

#include <cstdlib>

using namespace firebreak;
using namespace firebreak::testing;

namespace {

const std::filesystem::path golden_dir = std::filesystem::path(FIREBREAK_SOURCE_DIR) / "tests" / "postmortem" / "golden";

bool updating() {
    const char* v = std::getenv("FIREBREAK_UPDATE_GOLDEN");
    return v && std::string_view(v) == "1";
}

// The first line where two texts differ, for a failure message one can act on.
std::string first_difference(const std::string& want, const std::string& got) {
    auto a = lines_of(want), b = lines_of(got);
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
        std::string x = i < a.size() ? a[i] : "<end of file>", y = i < b.size() ? b[i] : "<end of file>";
        if (x != y) return "line " + std::to_string(i + 1) + "\n  golden: " + x.substr(0, 300) + "\n  now:    " + y.substr(0, 300);
    }
    return "same lines, different line endings or trailing bytes";
}

// Compares with the golden file; in update mode rewrites it and returns its path.
std::string compare_with_golden(const std::string& name, const std::string& rendered) {
    auto path = golden_dir / name;
    if (updating()) {
        std::filesystem::create_directories(golden_dir);
        spit(path, rendered);
        return path.string();
    }
    REQUIRE(std::filesystem::exists(path));
    auto golden = slurp(path);
    INFO(name << " differs from the golden file: " << first_difference(golden, rendered)
              << "\nIf the change is intended: FIREBREAK_UPDATE_GOLDEN=1 build/tests/postmortem_tests '[golden]'");
    CHECK(rendered == golden);
    return {};
}

}  // namespace

TEST_CASE("the example's drafts match the golden Markdown and JSON", "[postmortem][golden]") {
    replayed_example ex;
    REQUIRE(ex.inc().is_closed());
    auto md = ex.store.document(ex.inc().id, "md");
    auto json = ex.store.document(ex.inc().id, "json");
    REQUIRE(md);
    REQUIRE(json);
    auto rewritten = compare_with_golden("INC-1-postmortem.md", *md) + " " +
                     compare_with_golden("INC-1-postmortem.json", *json);
    // Never green while rewriting: a run that updates the files must not pass for one that checked them.
    if (updating())
        FAIL("FIREBREAK_UPDATE_GOLDEN=1: rewrote " << rewritten
                                                  << "; review `git diff`, then run the tests again without it");
}

TEST_CASE("on close the engine keeps the draft in all three formats, in the store and as files",
          "[postmortem][engine]") {
    replayed_example ex;
    const auto id = ex.inc().id;
    auto src = ex.source();
    // What was kept on close is what an export renders from the store afterwards.
    for (auto format : postmortem_formats) {
        INFO(format);
        auto stored = ex.store.document(id, std::string(format));
        REQUIRE(stored);
        CHECK(*stored == *render_postmortem_as(src, format));
        auto file = ex.documents() / postmortem_filename(id, format);
        REQUIRE(std::filesystem::exists(file));
        CHECK(slurp(file) == *stored);
    }
    // The console can take files: the Markdown was posted into the incident room as one.
    auto posted = ex.dir.path() / "files" / "INC-1-postmortem.md";
    REQUIRE(std::filesystem::exists(posted));
    CHECK(slurp(posted) == *ex.store.document(id, "md"));
}

TEST_CASE("a draft is the same bytes every time it is rendered from the same record", "[postmortem]") {
    replayed_example ex;
    auto a = ex.source(), b = ex.source();
    CHECK(postmortem_markdown(a) == postmortem_markdown(b));
    CHECK(postmortem_html(a) == postmortem_html(b));
    CHECK(postmortem_json(a) == postmortem_json(b));
    // Rendering later changes nothing: there is no clock inside.
    ex.clk.advance(std::chrono::hours{30});
    CHECK(postmortem_markdown(ex.source()) == postmortem_markdown(a));
}
