// The store's encoding of rich_text (outbox bodies): lossless for any text a person can
// type, and anything malformed read back as its whole text.
#include "storage/rich_text_codec.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace firebreak;
using style = span::style;

TEST_CASE("encode/decode round-trips any text, including hostile text", "[storage]") {
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
        auto enc = encode_rich_text(r);
        auto back = decode_rich_text(enc);
        CHECK(back == r);
        CHECK(back.plain() == r.plain());
        CHECK(encode_rich_text(back) == enc);
    }
}

TEST_CASE("encode writes style, length and text per span", "[storage]") {
    rich_text r;
    r.text("ab").bold("c:d").mention("U1").line().code("");
    CHECK(encode_rich_text(r) == "p2:abb3:c:dm2:U1p1:\n");
    auto d = decode_rich_text("p2:abb3:c:dm2:U1p1:\ni0:c1:x");
    REQUIRE(d.spans().size() == 6);
    CHECK(d.spans()[1] == span{style::bold, "c:d"});
    CHECK(d.spans()[4] == span{style::italic, ""});
    CHECK(d.spans()[5] == span{style::code, "x"});
}

TEST_CASE("decode of malformed input keeps the whole input as plain text", "[storage]") {
    auto in = GENERATE(as<std::string>{}, "x", "p", "p3", "p3ab", "p3:ab", "p-1:a", "p+1:a", "p:abc",
                       "p99999999999999999999999:a", "p3:abcq", "p3:abcp", "P3:abc", "p18446744073709551615:",
                       "hello world", "b2:ok\xFF", "p1:a p1:b");
    auto r = decode_rich_text(in);
    INFO("\"" << in << "\"");
    REQUIRE(r.spans().size() == 1);
    CHECK(r.spans()[0].look == style::plain);
    CHECK(r.plain() == in);
}

TEST_CASE("decode of empty input is empty", "[storage]") { CHECK(decode_rich_text("").empty()); }

TEST_CASE("decode survives random bytes and stays stable", "[storage]") {
    std::mt19937 rng(12345);
    const std::string alphabet = "pbicm0123456789:\n\xFFx";
    for (int i = 0; i < 2000; ++i) {
        std::string in;
        auto len = rng() % 40;
        for (unsigned k = 0; k < len; ++k) in += alphabet[rng() % alphabet.size()];
        auto r = decode_rich_text(in);
        auto again = decode_rich_text(encode_rich_text(r));
        INFO("input #" << i << ": \"" << in << "\"");
        REQUIRE(again == r);
    }
}

TEST_CASE("encode/decode keeps buttons, and an old encoding without them still decodes", "[storage]") {
    rich_text r;
    r.text("ab").bold("c").button("I'll scribe", "scribe {me}").button("", "").button("a3:x", "p1:y\n");
    auto enc = encode_rich_text(r);
    CHECK(enc == "p2:abb1:ca11:I'll scribe11:scribe {me}a0:0:a4:a3:x5:p1:y\n");
    auto back = decode_rich_text(enc);
    CHECK(back == r);
    CHECK(back.actions() == r.actions());
    CHECK(encode_rich_text(back) == enc);

    // Stored before buttons existed: the same spans, no buttons.
    auto old = decode_rich_text("p2:abb3:c:dm2:U1p1:\n");
    CHECK(old.actions().empty());
    CHECK(old.plain() == "abc:d@U1\n");
    CHECK(encode_rich_text(old) == "p2:abb3:c:dm2:U1p1:\n");

    // Without text, with buttons only, and with hostile labels and commands.
    for (const std::string h : {"", ":", "a", "a1:", "99:", "line\nbreak", "🔥 \xC3\xA9"}) {
        rich_text t;
        t.button(h, h).text(h).button("x" + h, h + "y");
        INFO("\"" << h << "\"");
        CHECK(decode_rich_text(encode_rich_text(t)) == t);
    }
}

TEST_CASE("a malformed button encoding keeps the whole input as plain text", "[storage]") {
    auto in = GENERATE(as<std::string>{}, "a", "a1", "a1:x", "a1:x1", "a1:x2:y", "p1:xa", "a1:x1:yp", "p1:xa0:");
    auto r = decode_rich_text(in);
    INFO("\"" << in << "\"");
    REQUIRE(r.spans().size() == 1);
    CHECK(r.actions().empty());
    CHECK(r.plain() == in);
}

TEST_CASE("a room link keeps its name and, once known, its id through storage", "[storage]") {
    rich_text r;
    r.text("Join ").room_link("inc-3-checkout").text(" or ").room_link("inc-4-db", "C0123").text(".");
    CHECK(r.plain() == "Join #inc-3-checkout or #inc-4-db.");
    REQUIRE(r.spans().size() == 5);
    CHECK(r.spans()[1].look == span::style::room);
    CHECK(r.spans()[1].ref.empty());
    CHECK(r.spans()[3].ref == "C0123");
    auto enc = encode_rich_text(r);
    CHECK(enc == "p5:Join r14:inc-3-checkout0:p4: or r8:inc-4-db5:C0123p1:.");
    CHECK(decode_rich_text(enc) == r);
    // Two links side by side stay two; append copies them whole.
    rich_text two;
    two.room_link("a", "1").room_link("b", "2");
    CHECK(two.spans().size() == 2);
    rich_text joined;
    joined.append(two);
    CHECK(joined == two);
    // A link cut short is malformed like any other field.
    CHECK(decode_rich_text("r1:a").plain() == "r1:a");
    CHECK(decode_rich_text("r1:a9:x").plain() == "r1:a9:x");
}
