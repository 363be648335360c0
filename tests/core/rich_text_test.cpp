// rich_text: building styled messages and their plain fallback.
#include "bot/core/rich_text.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace firebreak;
using style = span::style;

TEST_CASE("rich_text builds spans and a plain fallback", "[core]") {
    rich_text r;
    r.bold("INC-1 · SEV1").text(" — ").text("DB down").line().text("Commander: ").mention("maya");
    r.bullet().text("first").bullet().code("!incident help");

    CHECK(r.plain() == "INC-1 · SEV1 — DB down\nCommander: @maya\n• first\n• !incident help");
    const auto& s = r.spans();
    REQUIRE(s.size() >= 6);
    CHECK(s[0] == span{style::bold, "INC-1 · SEV1"});
    CHECK(s[1] == span{style::plain, " — DB down"});  // adjacent plain runs merge
    CHECK(s[2] == span{style::plain, "\n"});           // a newline is a span of its own
    CHECK(s[3] == span{style::plain, "Commander: "});
    CHECK(s[4] == span{style::mention, "maya"});
    CHECK(r.spans().back() == span{style::code, "!incident help"});
}

TEST_CASE("rich_text keeps newlines and mentions as separate spans", "[core]") {
    rich_text r;
    r.mention("a").mention("b").line().line().text("x").text("").bold("");
    REQUIRE(r.spans().size() == 5);
    CHECK(r.spans()[0] == span{style::mention, "a"});
    CHECK(r.spans()[1] == span{style::mention, "b"});
    CHECK(r.spans()[2].text == "\n");
    CHECK(r.spans()[3].text == "\n");
    CHECK(r.spans()[4] == span{style::plain, "x"});
    CHECK(r.plain() == "@a@b\n\nx");
    CHECK_FALSE(r.empty());
    CHECK(rich_text{}.empty());
    CHECK(rich_text{}.text("").empty());
}

TEST_CASE("a bullet starts on a new line unless one was just started", "[core]") {
    CHECK(rich_text{}.bullet().text("a").plain() == "• a");
    CHECK(rich_text{}.text("head").bullet().text("a").plain() == "head\n• a");
    CHECK(rich_text{}.text("head").line().bullet().text("a").plain() == "head\n• a");
}

TEST_CASE("append keeps styles, mentions and newlines", "[core]") {
    rich_text a;
    a.text("one ");
    rich_text b;
    b.text("two").line().mention("sam").bold("!");
    a.append(b);
    CHECK(a.plain() == "one two\n@sam!");
    CHECK(a.spans()[0] == span{style::plain, "one two"});
    CHECK(a.spans()[2] == span{style::mention, "sam"});
    CHECK(a.spans()[3] == span{style::bold, "!"});
}

TEST_CASE("buttons travel with a rich text but never into its plain text", "[core]") {
    rich_text r;
    r.bold("INC-1").text(" declared").button("I'll scribe", "scribe {me}").button("Roles", "roles");
    CHECK(r.plain() == "INC-1 declared");
    REQUIRE(r.actions().size() == 2);
    CHECK(r.actions()[0] == action{"I'll scribe", "scribe {me}"});
    CHECK(r.actions()[1] == action{"Roles", "roles"});

    // Equality sees the buttons; a rich text without them is another message.
    rich_text same_text;
    same_text.bold("INC-1").text(" declared");
    CHECK_FALSE(same_text == r);
    CHECK(same_text.plain() == r.plain());

    // Appending keeps both sides' buttons in order.
    rich_text lead;
    lead.mention("maya").text(" ").button("Timeline", "timeline");
    lead.append(r);
    CHECK(lead.plain() == "@maya INC-1 declared");
    REQUIRE(lead.actions().size() == 3);
    CHECK(lead.actions()[0].command == "timeline");
    CHECK(lead.actions()[2].command == "roles");

    // Buttons alone are not a message to post.
    CHECK(rich_text{}.button("x", "y").empty());
}

