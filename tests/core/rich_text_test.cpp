// rich_text: building styled messages, their plain fallback, and the storage
// encoding that must survive any text a person can type.
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

TEST_CASE("encode/decode round-trips any text, including hostile text", "[core]") {
    const std::vector<std::string> hostile = {
        "",
        "p3:abc",
        "12:34:56",
        "b0:",
        ":",
        "p",
        "99999999999999999999:",
        "line\nbreak",
        "🔥 データ \xC3\xA9",
        std::string("nul\0inside", 10),
        "m4:evil",
        std::string(5000, '7'),
    };
    for (const auto& h : hostile) {
        rich_text r;
        r.text(h).bold(h).italic(h).code(h).mention(h).line().text("tail " + h);
        INFO("hostile text of " << h.size() << " bytes");
        auto enc = r.encode();
        auto back = rich_text::decode(enc);
        CHECK(back == r);
        CHECK(back.plain() == r.plain());
        CHECK(back.encode() == enc);
    }
}

TEST_CASE("encode writes style, length and text per span", "[core]") {
    rich_text r;
    r.text("ab").bold("c:d").mention("U1").line().code("");
    CHECK(r.encode() == "p2:abb3:c:dm2:U1p1:\n");
    auto d = rich_text::decode("p2:abb3:c:dm2:U1p1:\ni0:c1:x");
    REQUIRE(d.spans().size() == 6);
    CHECK(d.spans()[1] == span{style::bold, "c:d"});
    CHECK(d.spans()[4] == span{style::italic, ""});
    CHECK(d.spans()[5] == span{style::code, "x"});
}

TEST_CASE("decode of malformed input keeps the whole input as plain text", "[core]") {
    auto in = GENERATE(as<std::string>{}, "x", "p", "p3", "p3ab", "p3:ab", "p-1:a", "p+1:a", "p:abc",
                       "p99999999999999999999999:a", "p3:abcq", "p3:abcp", "P3:abc", "p18446744073709551615:",
                       "hello world", "b2:ok\xFF", "p1:a p1:b");
    auto r = rich_text::decode(in);
    INFO("\"" << in << "\"");
    REQUIRE(r.spans().size() == 1);
    CHECK(r.spans()[0].look == style::plain);
    CHECK(r.plain() == in);
}

TEST_CASE("decode of empty input is empty", "[core]") { CHECK(rich_text::decode("").empty()); }

TEST_CASE("decode survives random bytes and stays stable", "[core]") {
    std::mt19937 rng(12345);
    const std::string alphabet = "pbicm0123456789:\n\xFFx";
    for (int i = 0; i < 2000; ++i) {
        std::string in;
        auto len = rng() % 40;
        for (unsigned k = 0; k < len; ++k) in += alphabet[rng() % alphabet.size()];
        auto r = rich_text::decode(in);
        auto again = rich_text::decode(r.encode());
        INFO("input #" << i << ": \"" << in << "\"");
        REQUIRE(again == r);
    }
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

TEST_CASE("encode/decode keeps buttons, and an old encoding without them still decodes", "[core]") {
    rich_text r;
    r.text("ab").bold("c").button("I'll scribe", "scribe {me}").button("", "").button("a3:x", "p1:y\n");
    auto enc = r.encode();
    CHECK(enc == "p2:abb1:ca11:I'll scribe11:scribe {me}a0:0:a4:a3:x5:p1:y\n");
    auto back = rich_text::decode(enc);
    CHECK(back == r);
    CHECK(back.actions() == r.actions());
    CHECK(back.encode() == enc);

    // Stored before buttons existed: the same spans, no buttons.
    auto old = rich_text::decode("p2:abb3:c:dm2:U1p1:\n");
    CHECK(old.actions().empty());
    CHECK(old.plain() == "abc:d@U1\n");
    CHECK(old.encode() == "p2:abb3:c:dm2:U1p1:\n");

    // Without text, with buttons only, and with hostile labels and commands.
    for (const std::string h : {"", ":", "a", "a1:", "99:", "line\nbreak", "🔥 \xC3\xA9"}) {
        rich_text t;
        t.button(h, h).text(h).button("x" + h, h + "y");
        INFO("\"" << h << "\"");
        CHECK(rich_text::decode(t.encode()) == t);
    }
}

TEST_CASE("a malformed button encoding keeps the whole input as plain text", "[core]") {
    auto in = GENERATE(as<std::string>{}, "a", "a1", "a1:x", "a1:x1", "a1:x2:y", "p1:xa", "a1:x1:yp", "p1:xa0:");
    auto r = rich_text::decode(in);
    INFO("\"" << in << "\"");
    REQUIRE(r.spans().size() == 1);
    CHECK(r.actions().empty());
    CHECK(r.plain() == in);
}

TEST_CASE("a room link keeps its name and, once known, its id through storage", "[core]") {
    rich_text r;
    r.text("Join ").room_link("inc-3-checkout").text(" or ").room_link("inc-4-db", "C0123").text(".");
    CHECK(r.plain() == "Join #inc-3-checkout or #inc-4-db.");
    REQUIRE(r.spans().size() == 5);
    CHECK(r.spans()[1].look == span::style::room);
    CHECK(r.spans()[1].ref.empty());
    CHECK(r.spans()[3].ref == "C0123");
    auto enc = r.encode();
    CHECK(enc == "p5:Join r14:inc-3-checkout0:p4: or r8:inc-4-db5:C0123p1:.");
    CHECK(rich_text::decode(enc) == r);
    // Two links side by side stay two; append copies them whole.
    rich_text two;
    two.room_link("a", "1").room_link("b", "2");
    CHECK(two.spans().size() == 2);
    rich_text joined;
    joined.append(two);
    CHECK(joined == two);
    // A link cut short is malformed like any other field.
    CHECK(rich_text::decode("r1:a").plain() == "r1:a");
    CHECK(rich_text::decode("r1:a9:x").plain() == "r1:a9:x");
}
