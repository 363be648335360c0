// The command table and the parser: names, aliases, explicit incidents, mentions.
#include "commands/command_spec.hpp"
#include "commands/parser.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace firebreak;

TEST_CASE("every command and alias is found, and names are unique", "[commands]") {
    std::set<std::string_view> seen;
    for (const auto& s : command_specs()) {
        INFO(s.name);
        CHECK(seen.insert(s.name).second);
        CHECK(find_command(s.name) == &s);
        // The usage line starts with the command's own name.
        CHECK(s.usage.substr(0, s.name.size()) == s.name);
        CHECK_FALSE(s.summary.empty());
        for (auto a : s.aliases) {
            CHECK(seen.insert(a).second);
            CHECK(find_command(a) == &s);
        }
    }
    CHECK(find_command("SEV") == find_command("sev"));
    CHECK(find_command("IC")->name == "commander");
    CHECK(find_command("ruleout")->name == "rule-out");
    CHECK(find_command("dead-end")->name == "deadend");
    CHECK(find_command("frobnicate") == nullptr);
    CHECK(find_command("") == nullptr);
}

TEST_CASE("the command table says which commands need an incident and work when closed", "[commands]") {
    for (auto name : {"declare", "list", "help"}) CHECK_FALSE(find_command(name)->needs_incident);
    const std::set<std::string_view> on_closed = {"action", "timeline", "roles", "reopen", "postmortem", "list", "help"};
    for (const auto& s : command_specs()) {
        INFO(s.name);
        CHECK(s.on_closed == (on_closed.count(s.name) == 1));
    }
    for (auto name : {"handoff", "close", "reopen"})
        CHECK(find_command(name)->who == permission::commander_or_admin);
    CHECK(find_command("commander")->who == permission::anyone);
}

TEST_CASE("the snooze kinds are the nudges of the product", "[commands]") {
    const std::set<std::string_view> want = {"commander", "scribe", "update", "rotation", "hypothesis", "rollback", "close"};
    const std::set<std::string_view> got(nudge_kinds().begin(), nudge_kinds().end());
    CHECK(got == want);
}

TEST_CASE("parse_command splits name, incident and arguments", "[commands]") {
    SECTION("plain") {
        auto r = parse_command("  sev 1   checkout is down  ");
        REQUIRE(r.command);
        CHECK(r.error.empty());
        CHECK(r.command->spec->name == "sev");
        CHECK_FALSE(r.command->incident);
        CHECK(r.command->args == std::vector<std::string>{"1", "checkout", "is", "down"});
        CHECK(r.command->rest == "1   checkout is down");
    }
    SECTION("incident before the name") {
        auto r = parse_command("INC-7 sev 1 reason");
        REQUIRE(r.command);
        CHECK(r.command->spec->name == "sev");
        CHECK(r.command->incident == 7);
        CHECK(r.command->args == std::vector<std::string>{"1", "reason"});
        CHECK(r.command->rest == "1 reason");
    }
    SECTION("incident after the name, any case") {
        auto r = parse_command("sev inc-12 2 reason");
        REQUIRE(r.command);
        CHECK(r.command->incident == 12);
        CHECK(r.command->rest == "2 reason");
    }
    SECTION("an alias, with newlines kept in the rest") {
        auto r = parse_command("severity 3\nbecause");
        REQUIRE(r.command);
        CHECK(r.command->spec->name == "sev");
        CHECK(r.command->rest == "3\nbecause");
    }
    SECTION("no arguments") {
        auto r = parse_command("roles");
        REQUIRE(r.command);
        CHECK(r.command->args.empty());
        CHECK(r.command->rest.empty());
    }
}

TEST_CASE("parse_command explains empty and unknown commands", "[commands]") {
    for (auto empty : {"", "   ", "\n\t"}) {
        auto r = parse_command(empty);
        CHECK_FALSE(r.command);
        CHECK(r.error.find("help") != std::string::npos);
    }
    auto u = parse_command("frobnicate now");
    CHECK_FALSE(u.command);
    CHECK(u.error.find("\"frobnicate\"") != std::string::npos);
    CHECK(u.error.find("help") != std::string::npos);

    auto only_inc = parse_command("INC-4");
    CHECK_FALSE(only_inc.command);
    CHECK(only_inc.error.find("INC-4") != std::string::npos);

    // A very long unknown name is shown shortened.
    auto longer = parse_command(std::string(500, 'z'));
    CHECK_FALSE(longer.command);
    CHECK(longer.error.size() < 200);
}

TEST_CASE("parse_incident_ref reads INC-n only", "[commands]") {
    CHECK(parse_incident_ref("INC-7") == 7);
    CHECK(parse_incident_ref("inc-42") == 42);
    CHECK(parse_incident_ref("Inc-000123") == 123);
    CHECK(parse_incident_ref("INC-999999999999") == 999999999999);
    for (auto bad : {"", "7", "INC", "INC-", "INC-0", "INC--1", "INC-x", "INC-7x", "INC-1234567890123", "INC 7", "NC-7"}) {
        INFO("\"" << bad << "\"");
        CHECK_FALSE(parse_incident_ref(bad).has_value());
    }
}

TEST_CASE("parse_user_mention reads @names, and no platform's mention syntax", "[commands]") {
    struct row { const char* in; const char* want; };
    for (auto r : {row{"@dana", "dana"}, row{"@dana,", "dana"}, row{"@dana.", "dana"}, row{"@dana!?", "dana"},
                   row{"@U024BE7LH", "U024BE7LH"}, row{"@bot:example.org", "bot:example.org"},
                   row{"@a.b-c_d", "a.b-c_d"}}) {
        INFO(r.in);
        CHECK(parse_user_mention(r.in) == std::optional<std::string>(r.want));
    }
    // Slack's <@U…> is read by the Slack adapter, which hands "@U…" over.
    for (auto bad : {"", "@", "dana", "@,", "<@>", "@da<na", "@da`na", "@da*na", "@@dana", "<@U1", "@da\x01na",
                     "<@U024BE7LH>", "<@U024BE7LH|dana>"}) {
        INFO("\"" << bad << "\"");
        CHECK_FALSE(parse_user_mention(bad).has_value());
    }
    CHECK_FALSE(parse_user_mention("@" + std::string(300, 'a')).has_value());
}

TEST_CASE("split_words and trim use ASCII whitespace", "[commands]") {
    CHECK(split_words("  a b\t\tc\nd\r\n") == std::vector<std::string>{"a", "b", "c", "d"});
    CHECK(split_words("").empty());
    CHECK(split_words(" \n ").empty());
    CHECK(trim("\t a b \r\n") == "a b");
    CHECK(trim("   ").empty());
}

TEST_CASE("a message is a command when it starts with the prefix as a word, in any case", "[commands]") {
    CHECK(is_command_text("!incident declare x", "!incident"));
    CHECK(is_command_text("!INCIDENT help", "!incident"));
    CHECK(is_command_text("!incident", "!incident"));
    CHECK(is_command_text("!incident\nupdate", "!incident"));
    CHECK_FALSE(is_command_text("!incidents are fun", "!incident"));
    CHECK_FALSE(is_command_text("say !incident help", "!incident"));
    CHECK_FALSE(is_command_text("!inc", "!incident"));
}
