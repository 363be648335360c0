// The dependency rings, checked on the source tree: the core includes only itself; the
// commands, the store, the postmortem and the alert translators only the core; an adapter only the core, the
// network layer and itself; only the composition root (bot/runtime) puts them together
// and names concrete adapters. Tests, benchmarks and fuzz targets may include anything.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// Folder -> the project folders its files may include.
const std::map<std::string, std::vector<std::string>> rings = {
    {"bot/core", {"bot/core"}},
    {"commands", {"bot/core", "commands"}},
    {"storage", {"bot/core", "storage"}},
    {"postmortem", {"bot/core", "postmortem"}},
    {"alerts", {"bot/core", "alerts"}},
    {"web", {"bot/core", "postmortem", "web"}},
    {"adapters/net", {"adapters/net"}},
    {"adapters/console", {"bot/core", "adapters/console"}},
    {"adapters/slack", {"bot/core", "adapters/net", "adapters/slack"}},
    {"adapters/matrix", {"bot/core", "adapters/net", "adapters/matrix"}},
    {"bot/runtime", {"bot/core", "bot/runtime", "commands", "storage", "postmortem", "alerts", "web", "adapters/console",
                     "adapters/slack", "adapters/matrix", "adapters/net"}},
};

bool under(const std::string& path, const std::string& folder) {
    return path.rfind(folder + "/", 0) == 0;
}

// The project includes ("dir/file.hpp") of one file's text that its folder may not have.
std::vector<std::string> violations(const std::string& folder, const std::string& text) {
    static const std::regex include(R"re(^\s*#\s*include\s*"([^"]+)")re");
    std::vector<std::string> out;
    const auto& allowed = rings.at(folder);
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        start = end + 1;
        std::smatch m;
        if (!std::regex_search(line, m, include)) continue;
        std::string target = m[1];
        bool ok = false;
        for (const auto& a : allowed) ok = ok || under(target, a);
        if (!ok) out.push_back(target);
    }
    return out;
}

}  // namespace

TEST_CASE("the checker sees a forbidden include", "[core][rings]") {
    CHECK(violations("bot/core", "#include \"bot/core/ids.hpp\"\n#include <string>\n").empty());
    CHECK(violations("bot/core", "  #  include \"storage/sqlite_store.hpp\"") ==
          std::vector<std::string>{"storage/sqlite_store.hpp"});
    CHECK(violations("adapters/slack", "#include \"commands/views.hpp\"\n#include \"adapters/net/ws_client.hpp\"") ==
          std::vector<std::string>{"commands/views.hpp"});
    CHECK(violations("commands", "#include \"adapters/matrix/matrix_wire.hpp\"").size() == 1);
}

TEST_CASE("every source file keeps to its ring", "[core][rings]") {
    const fs::path root = FIREBREAK_SOURCE_DIR;
    std::map<std::string, int> files;
    for (const auto& [folder, allowed] : rings) {
        REQUIRE(fs::is_directory(root / folder));
        for (const auto& e : fs::recursive_directory_iterator(root / folder)) {
            auto ext = e.path().extension();
            if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
            std::ifstream in(e.path(), std::ios::binary);
            std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            ++files[folder];
            for (const auto& bad : violations(folder, text)) {
                INFO(fs::relative(e.path(), root).string() << " includes " << bad);
                CHECK(false);
            }
        }
    }
    // Each ring has files: a moved folder would otherwise pass unchecked.
    for (const auto& [folder, allowed] : rings) {
        INFO(folder);
        CHECK(files[folder] > 0);
    }
    // Nothing outside the rings but tests and benchmarks holds C++ sources.
    for (const auto& e : fs::directory_iterator(root)) {
        if (!e.is_directory()) continue;
        auto name = e.path().filename().string();
        if (name.rfind("build", 0) == 0 || name.front() == '.' || name == "tests" || name == "bench" ||
            name == "fuzz")
            continue;
        for (const auto& f : fs::recursive_directory_iterator(e.path())) {
            auto ext = f.path().extension();
            if (!f.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
            auto rel = fs::relative(f.path(), root).string();
            bool in_ring = false;
            for (const auto& [folder, allowed] : rings) in_ring = in_ring || under(rel, folder);
            INFO(rel << " is in no ring");
            CHECK(in_ring);
        }
    }
}

// The service holds a list of adapters and names none: inside the composition root only
// the adapter registry builds the network platforms, and only the local runs (console,
// demo, replay) name the console adapter.
TEST_CASE("only the adapter registry names the network platforms", "[core][rings]") {
    const fs::path root = FIREBREAK_SOURCE_DIR;
    const std::map<std::string, std::vector<std::string>> named_by = {
        {"adapters/slack", {"bot/runtime/adapter_registry.cpp"}},
        {"adapters/matrix", {"bot/runtime/adapter_registry.cpp"}},
        {"adapters/net", {}},
        {"adapters/console", {"bot/runtime/local_runs.cpp", "bot/runtime/local_runs.hpp"}},
    };
    int files = 0;
    for (const auto& e : fs::recursive_directory_iterator(root / "bot/runtime")) {
        auto ext = e.path().extension();
        if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
        ++files;
        auto rel = fs::relative(e.path(), root).string();
        std::ifstream in(e.path(), std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (const auto& [folder, who] : named_by) {
            bool allowed = std::find(who.begin(), who.end(), rel) != who.end();
            if (allowed) continue;
            INFO(rel << " includes from " << folder);
            CHECK(text.find("#include \"" + folder + "/") == std::string::npos);
        }
    }
    CHECK(files > 5);
}
