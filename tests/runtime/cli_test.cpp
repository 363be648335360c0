// The firebreak binary end to end: a console session driven through a pipe, the
// store surviving the process, and clear errors for bad databases.
#include "storage/sqlite_store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_http.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

using namespace firebreak::testing;

TEST_CASE("a console session through a pipe declares and works an incident that outlives the process",
          "[runtime][console]") {
    temp_dir dir;
    std::string data = "--data-dir '" + dir.path().string() + "'";
    auto r = run_firebreak("console " + data,
                           "/user maya\n"
                           "/incident declare Search is timing out --sev 1\n"  // the Slack habit works too
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
    // The nudge that fell due during /wait was sent then.
    CHECK_THAT(r.output, Catch::Contains("H1 has been open 15m with no evidence"));
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

TEST_CASE("a private incident on the console: the room keeps out outsiders, and leaving it ends access",
          "[runtime][console][privacy]") {
    temp_dir dir;
    std::string data = "--data-dir '" + dir.path().string() + "'";
    auto r = run_firebreak("console " + data,
                           "/user maya\n"
                           "!incident declare leaked deploy token --private\n"
                           "/user zed\n"
                           "/room INC-1\n"
                           "!incident INC-1 timeline\n"
                           "/user maya\n"
                           "/room INC-1\n"
                           "!incident sme @zed forensics\n"
                           "/user zed\n"
                           "checking the audit log\n"
                           "/leave\n"
                           "!incident INC-1 roles\n"
                           "/room INC-1\n"
                           "/quit\n",
                           dir.path().string());
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("INC-1 declared (private)"));
    CHECK_THAT(r.output, Catch::Contains("INC-1 has no room here."));
    CHECK_THAT(r.output, Catch::Contains("There is no INC-1 you can see."));
    CHECK_THAT(r.output, Catch::Contains("@zed joins INC-1 as SME (forensics)"));
    CHECK_THAT(r.output, Catch::Contains("* you left #inc-1-leaked-deploy-token"));
    // Twice refused at the door (before and after), once answered as if INC-1 did not exist
    // before being invited, and once after leaving.
    auto count = [&](const std::string& needle) {
        std::size_t n = 0;
        for (auto p = r.output.find(needle); p != std::string::npos; p = r.output.find(needle, p + 1)) ++n;
        return n;
    };
    CHECK(count("INC-1 has no room here.") == 2);
    CHECK(count("There is no INC-1 you can see.") == 2);
    // The announcement room heard that a private incident exists, and nothing else.
    CHECK_THAT(r.output, Catch::Contains("#announcements") && Catch::Contains("INC-1 · SEV2 · Investigating (private incident)"));
}

TEST_CASE("the demo shows the example incident from declaration to close", "[runtime][demo]") {
    temp_dir dir;
    auto r = run_firebreak("demo --data-dir '" + dir.path().string() + "'", "", dir.path().string());
    INFO(r.output.substr(0, 2000));
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("INC-1 declared"));
    CHECK_THAT(r.output, Catch::Contains("Handoff briefing"));
    // Status updates, a reminder that one is due, and a rotation that ends in a handoff.
    CHECK_THAT(r.output, Catch::Contains("Next update at"));
    CHECK_THAT(r.output, Catch::Contains("@maya, the INC-1 status update is due now"));
    CHECK_THAT(r.output, Catch::Contains("@maya, you have been commander of INC-1 for 2h 00m"));
    CHECK_THAT(r.output, Catch::Contains("@dev is now commander of INC-1 (taking over from @maya)"));
    CHECK_THAT(r.output, Catch::Contains("INC-1 closed by @dev"));
    CHECK_THAT(r.output, Catch::Contains("0 skipped"));
    for (auto ext : {"md", "html", "json"})
        CHECK(std::filesystem::exists(dir.path() / "documents" / (std::string("INC-1-postmortem.") + ext)));
}

TEST_CASE("the commands the demo prints work from any directory, and list/export find the demo's store",
          "[runtime][demo]") {
    temp_dir dir;
    auto r = run_firebreak("demo --data-dir '" + dir.path().string() + "/data'", "", dir.path().string());
    REQUIRE(r.exit_code == 0);
    // The printed next steps, run as printed from somewhere else entirely.
    std::vector<std::string> next;
    std::istringstream lines(r.output.substr(r.output.find("Next:")));
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("  /", 0) == 0 && line.find(" console") == std::string::npos) next.push_back(line.substr(2));
    REQUIRE(next.size() == 2);
    std::filesystem::create_directories(dir.path() / "elsewhere");
    auto listed = run_command("cd '" + (dir.path() / "elsewhere").string() + "' && " + next[0]);
    INFO(next[0] << "\n" << listed.output);
    CHECK(listed.exit_code == 0);
    CHECK_THAT(listed.output, Catch::Contains("INC-1") && Catch::Contains("closed"));
    auto exported = run_command("cd '" + (dir.path() / "elsewhere").string() + "' && " + next[1]);
    INFO(next[1] << "\n" << exported.output);
    CHECK(exported.exit_code == 0);
    CHECK(std::filesystem::exists(dir.path() / "elsewhere" / "INC-1.html"));

    // Without --db, list and export read the demo's store when there is no other, and say so.
    auto data = "--data-dir '" + dir.path().string() + "/data'";
    auto list = run_firebreak("list --all " + data, "", dir.path().string());
    CHECK(list.exit_code == 0);
    CHECK_THAT(list.output, Catch::Contains("reading the demo's database") && Catch::Contains("INC-1"));
    auto md = run_firebreak("export INC-1 " + data, "", dir.path().string());
    CHECK(md.exit_code == 0);
    CHECK_THAT(md.output, Catch::Contains("# INC-1: "));
}

TEST_CASE("read-only commands never create a database, and say how to make one", "[runtime][cli]") {
    temp_dir dir;
    const std::string here = "cd '" + dir.path().string() + "' && timeout 60 '" + FIREBREAK_BINARY + "' ";
    auto list = run_command(here + "list");
    CHECK(list.exit_code == 1);
    CHECK_THAT(list.output, Catch::Contains("no database in") && Catch::Contains("firebreak demo"));
    auto exp = run_command(here + "export INC-1");
    CHECK(exp.exit_code == 2);
    CHECK_THAT(exp.output, Catch::Contains("no database in"));
    auto named = run_command(here + "list --db nowhere.sqlite");
    CHECK(named.exit_code == 1);
    CHECK_THAT(named.output, Catch::Contains("no database at nowhere.sqlite"));
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("firebreak with no arguments prints its help", "[runtime][cli]") {
    auto r = run_command(std::string("timeout 60 '") + FIREBREAK_BINARY + "'");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains("Subcommands:") && Catch::Contains("console") && Catch::Contains("demo") &&
                             Catch::Contains("export"));
    CHECK_THAT(r.output, !Catch::Contains("A subcommand is required"));
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

TEST_CASE("check-config validates a file offline and never prints a secret", "[runtime][config]") {
    temp_dir dir;
    auto path = dir.file("firebreak.toml");
    std::ofstream(path) << "[slack]\nenabled = true\nbot_token_env = \"FB_TEST_BOT\"\napp_token_env = \"FB_TEST_APP\"\n"
                           "announcement_channel = \"C0ANN\"\n[nudges.sev1]\nupdate_every = \"15m\"\n";
    ::unsetenv("FB_TEST_BOT");
    ::unsetenv("FB_TEST_APP");
    auto missing = run_firebreak("check-config --config '" + path + "'", "", dir.path().string());
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.output, Catch::Contains("slack.bot_token_env: environment variable FB_TEST_BOT is not set"));

    ::setenv("FB_TEST_BOT", "xoxb-42-TOPSECRETBOT", 1);
    ::setenv("FB_TEST_APP", "xapp-1-TOPSECRETAPP", 1);
    auto ok = run_firebreak("check-config --config '" + path + "'", "", dir.path().string());
    ::unsetenv("FB_TEST_BOT");
    ::unsetenv("FB_TEST_APP");
    INFO(ok.output);
    CHECK(ok.exit_code == 0);
    CHECK_THAT(ok.output, Catch::Contains("bot token from environment variable FB_TEST_BOT"));
    CHECK_THAT(ok.output, Catch::Contains("SEV1 nudges   update every 15m"));
    CHECK(ok.output.find("TOPSECRET") == std::string::npos);
}

TEST_CASE("firebreak alerts lists recent alerts newest first with their cards and where each went", "[runtime][alerts][cli]") {
    using namespace firebreak;
    temp_dir dir;
    auto db = dir.file("firebreak.sqlite");
    const instant t0 = from_unix_ms(1796613600000);  // 2026-12-07 03:20 UTC
    {
        sqlite_store store(db);
        change c;
        incident inc;
        inc.id = incident_id{1};
        inc.title = "Checkout errors";
        inc.times.declared = t0;
        c.incidents = {inc};
        const auto card = [&](std::int64_t n, incident_id to, bool dismissed, std::string title) {
            alert_card k;
            k.number = n;
            k.room = room_ref{"slack", "C0ALERTS"};
            k.group = "prometheus|g" + std::to_string(n);
            k.title = std::move(title);
            k.sev = severity::sev2;
            k.opened = k.last = t0;
            k.incident = to;
            k.dismissed = dismissed;
            if (dismissed) k.decided_by = user_ref{"U0MAYA"};
            return k;
        };
        c.cards = {card(1, incident_id{1}, false, "HighErrorRate"), card(2, {}, true, "Watchdog"),
                   card(3, {}, false, "Disk \x1b[31mfull")};
        const auto alert = [&](std::int64_t n, const std::string& fp, int minute, bool firing) {
            card_alert a;
            a.card = n;
            a.source = "prometheus";
            a.fingerprint = fp;
            a.key = "prometheus/" + fp;
            a.title = c.cards[std::size_t(n - 1)].title;
            a.labels = {{"alertname", a.title}, {"instance", "api-" + fp}};
            a.started = t0;
            a.firing = firing;
            if (!firing) a.resolved = t0 + std::chrono::minutes{minute};
            a.received = t0 + std::chrono::minutes{minute};
            return a;
        };
        c.card_alerts = {alert(1, "a1", 1, false), alert(2, "w1", 2, true), alert(1, "a2", 3, true), alert(3, "d1", 4, true)};
        c.next_card = 4;
        REQUIRE(store.commit(c, "ev", t0, std::nullopt));
    }
    auto r = run_firebreak("alerts --db '" + db + "' -n 3", "", dir.path().string());
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("Alerts, newest first (3 of 4):"));
    // Newest first: d1 (04:04), a2 (04:03), w1 (04:02); a1 is beyond the limit.
    auto d1 = r.output.find("prometheus/d1"), a2 = r.output.find("prometheus/a2"), w1 = r.output.find("prometheus/w1");
    REQUIRE(d1 != std::string::npos);
    REQUIRE(a2 != std::string::npos);
    REQUIRE(w1 != std::string::npos);
    CHECK((d1 < a2 && a2 < w1));
    CHECK(r.output.find("prometheus/a1") == std::string::npos);
    CHECK_THAT(r.output, Catch::Contains("A1    INC-1") && Catch::Contains("dismissed by @U0MAYA") && Catch::Contains("A3    open"));
    CHECK_THAT(r.output, Catch::Contains("1 firing of 2  HighErrorRate"));
    CHECK(r.output.find('\x1b') == std::string::npos);  // a sender's control characters never reach the terminal

    temp_dir empty;
    {
        sqlite_store store(empty.file("firebreak.sqlite"));
    }
    auto none = run_firebreak("alerts --db '" + empty.file("firebreak.sqlite") + "'", "", empty.path().string());
    CHECK(none.exit_code == 0);
    CHECK_THAT(none.output, Catch::Contains("No alerts received."));
}

TEST_CASE("demo --serve prints the web view's address and a token that signs in, and stops on SIGINT",
          "[runtime][demo][web]") {
    using firebreak::testing::raw_http_exchange;
    using firebreak::testing::status_line;
    firebreak::testing::temp_dir dir;
    firebreak::testing::child_process demo(
        {FIREBREAK_BINARY, "demo", "--serve", "--web-listen", "127.0.0.1:0", "--data-dir", dir.file("data")}, {},
        dir.file("demo.log"));
    REQUIRE(demo.wait_output("Serving the web view until Ctrl-C.", std::chrono::seconds{60}));
    auto out = demo.output();
    auto url = out.find("Web view: http://127.0.0.1:");
    REQUIRE(url != std::string::npos);
    auto port = static_cast<unsigned short>(std::stoi(out.substr(url + 27)));
    CHECK(out.find("/login\n", url) != std::string::npos);
    auto at = out.find("Viewer token: ");
    REQUIRE(at != std::string::npos);
    auto token = out.substr(at + 14, out.find('\n', at) - at - 14);
    CHECK(token.size() == 48);
    auto login = raw_http_exchange(port, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                             std::to_string(token.size() + 6) + "\r\n\r\ntoken=" + token);
    REQUIRE(status_line(login) == "HTTP/1.1 303 See Other");
    auto c = login.find("Set-Cookie: ");
    auto cookie = login.substr(c + 12, login.find(';', c) - c - 12);
    auto page = raw_http_exchange(port, "GET /incidents/INC-1 HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n");
    CHECK(status_line(page) == "HTTP/1.1 200 OK");
    CHECK(page.find("Closed") != std::string::npos);
    CHECK(page.find("/incidents/INC-1/postmortem.html") != std::string::npos);
    auto draft = raw_http_exchange(port, "GET /incidents/INC-1/postmortem.md HTTP/1.1\r\nHost: x\r\nCookie: " + cookie +
                                             "\r\n\r\n");
    CHECK(status_line(draft) == "HTTP/1.1 200 OK");
    CHECK(draft.find("postmortem draft") != std::string::npos);
    demo.signal(SIGINT);
    CHECK(demo.wait_exit(std::chrono::seconds{10}) == 0);
}
