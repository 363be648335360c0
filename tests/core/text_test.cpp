// Cleaning of outside text (UTF-8 repair, control and bidi characters, length
// bounds) and slugs for room names.
#include "bot/core/text.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace firebreak;

namespace {
const std::string marker = "\xE2\x80\xA6 [cut]";  // "… [cut]"
const std::string fffd = "\xEF\xBF\xBD";

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool has_control(const std::string& s) {
    for (unsigned char c : s)
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) return true;
    return false;
}
}  // namespace

TEST_CASE("clean_text keeps valid text exactly", "[core]") {
    auto text = GENERATE(as<std::string>{}, "", "plain ascii", "line one\nline two", "tab\tseparated",
                         "🔥 checkout down — 5xx at 40 %", "データベース障害", "Ошибка базы данных",
                         "emoji 👩‍💻 with ZWJ", "*bold* <b>html</b> `code` @here #decision");
    CHECK(clean_text(text, 4000) == text);
}

TEST_CASE("clean_text replaces invalid UTF-8 with U+FFFD", "[core]") {
    struct row { std::string in; std::string want; };
    const std::vector<row> rows = {
        {"a\xFF" "b", "a" + fffd + "b"},
        {"\xC3", fffd},                                  // truncated 2-byte sequence
        {"x\xE2\x82", "x" + fffd + fffd},                // truncated 3-byte sequence
        {"\x80", fffd},                                  // lone continuation byte
        {"\xC0\xAF", fffd + fffd},                       // overlong '/'
        {"\xED\xA0\x80", fffd + fffd + fffd},            // UTF-16 surrogate
        {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd}, // above U+10FFFF
        {"ok \xC3\xA9 \xC3", "ok \xC3\xA9 " + fffd},
    };
    for (const auto& r : rows) {
        INFO("input bytes: " << r.in.size());
        auto out = clean_text(r.in, 4000);
        CHECK(out == r.want);
        CHECK(valid_utf8(out));
    }
}

TEST_CASE("clean_text drops control characters but keeps newline and tab", "[core]") {
    CHECK(clean_text("a\x01" "b\x7F" "c", 100) == "abc");
    CHECK(clean_text("\x1B[31mred\x1B[0m", 100) == "[31mred[0m");
    CHECK(clean_text(std::string("nul\0byte", 8), 100) == "nulbyte");
    CHECK(clean_text("bell\a and backspace\b", 100) == "bell and backspace");
    CHECK(clean_text("a\r\nb", 100) == "a\nb");
    CHECK(clean_text("a\n\tb", 100) == "a\n\tb");
    CHECK(clean_text("C1 \xC2\x85 next line", 100) == "C1  next line");
    CHECK(clean_text("line\xE2\x80\xA8sep\xE2\x80\xA9para", 100) == "linesep" "para");
}

TEST_CASE("clean_text drops bidi overrides and isolates that can reorder text", "[core]") {
    // U+202A..U+202E (embeddings, overrides) and U+2066..U+2069 (isolates).
    const std::vector<std::string> bidi = {"\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD",
                                           "\xE2\x80\xAE", "\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8",
                                           "\xE2\x81\xA9"};
    for (const auto& b : bidi) {
        auto out = clean_text("rm -rf " + b + "fdp.exe" + b, 100);
        CHECK(out == "rm -rf fdp.exe");
        CHECK(clean_line(b + "title" + b, 100) == "title");
    }
}

TEST_CASE("clean_line folds lines and tabs to single spaces and trims", "[core]") {
    CHECK(clean_line("  DB\n down\t\tagain  ", 100) == "DB down again");
    CHECK(clean_line("a\r\nb", 100) == "a b");
    CHECK(clean_line("\n\n\t ", 100).empty());
    CHECK(clean_line("x\x01y", 100) == "xy");
    CHECK(clean_line("keep  inner", 100) == "keep inner");
}

TEST_CASE("clean_text cuts long text on a character boundary with a marker", "[core]") {
    SECTION("ASCII") {
        auto out = clean_text(std::string(5000, 'x'), 4000);
        CHECK(out == std::string(4000, 'x') + marker);
    }
    SECTION("exactly the limit is not cut") {
        CHECK(clean_text(std::string(4000, 'x'), 4000) == std::string(4000, 'x'));
        CHECK(clean_text("\xC3\xA9\xC3\xA9", 4) == "\xC3\xA9\xC3\xA9");
    }
    SECTION("two-byte characters never split") {
        std::string e;
        for (int i = 0; i < 10; ++i) e += "\xC3\xA9";  // é
        auto out = clean_text(e, 5);
        CHECK(out == "\xC3\xA9\xC3\xA9" + marker);
        CHECK(valid_utf8(out));
    }
    SECTION("four-byte characters never split") {
        auto out = clean_text("🔥🔥🔥", 6);
        CHECK(out == "🔥" + marker);
        CHECK(valid_utf8(out));
    }
    SECTION("clean_line cuts too") {
        auto out = clean_line(std::string(300, 'a'), 200);
        CHECK(out == std::string(200, 'a') + marker);
    }
}

TEST_CASE("a 4 KB message with invalid UTF-8 and controls comes out valid and bounded", "[core]") {
    std::string hostile;
    for (int i = 0; hostile.size() < 4500; ++i) {
        hostile += "chunk ";
        hostile += std::to_string(i);
        hostile += i % 3 == 0 ? "\xFF\xFE" : i % 3 == 1 ? "\x01\x1B\xE2\x80\xAE" : "\xF0\x9F\x94";
        hostile += "\n";
    }
    for (std::size_t max : {std::size_t{4000}, std::size_t{100}, std::size_t{1}, std::size_t{0}}) {
        INFO("max " << max);
        auto text = clean_text(hostile, max);
        CHECK(valid_utf8(text));
        CHECK_FALSE(has_control(text));
        CHECK(text.size() <= max + marker.size());
        CHECK(ends_with(text, marker));
        auto line = clean_line(hostile, max);
        CHECK(valid_utf8(line));
        CHECK(line.find('\n') == std::string::npos);
        CHECK(line.size() <= max + marker.size());
    }
}

TEST_CASE("valid_utf8 accepts only well-formed UTF-8", "[core]") {
    CHECK(valid_utf8(""));
    CHECK(valid_utf8("ascii"));
    CHECK(valid_utf8("é ü 🔥 データ"));
    CHECK(valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
    CHECK_FALSE(valid_utf8("\xFF"));
    CHECK_FALSE(valid_utf8("\xC3"));
    CHECK_FALSE(valid_utf8("\xC0\x80"));
    CHECK_FALSE(valid_utf8("\xED\xBF\xBF"));
    CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80"));
    CHECK_FALSE(valid_utf8("ok\x80"));
}

TEST_CASE("slugify makes lowercase ASCII slugs for room names", "[core]") {
    struct row { std::string title; std::string want; };
    const std::vector<row> rows = {
        {"DB down", "db-down"},
        {"DB down!", "db-down"},
        {"Checkout API 5xx after release 2026.11.3", "checkout-api-5xx-after-release-2026-11-3"},
        {"  --leading and trailing--  ", "leading-and-trailing"},
        {"a   b\t\nc", "a-b-c"},
        {"🔥🔥 fire in eu-west 🔥", "fire-in-eu-west"},
        {"<b>html</b> *md*", "b-html-b-md"},
        {"!!! ??? ...", ""},
        {"", ""},
        {"🔥🔥🔥", ""},
        {"Ошибка базы данных", ""},
        {"データベース障害 db", "db"},
        {"Crème brûlée", "creme-brulee"},
        {"Ünïcödé outage", "unicode-outage"},
        {"Straße Łódź Œuvre Æsir Þing", "strasse-lodz-oeuvre-aesir-thing"},
        {"Cafe\xcc\x81 down", "cafe-down"},    // decomposed: e + combining acute
        {"3×4 ÷ 2", "3-4-2"},                    // signs are no letters
        {"Ñandú \xff bad byte", "nandu-bad-byte"},
    };
    for (const auto& r : rows) {
        INFO("\"" << r.title << "\"");
        CHECK(slugify(r.title, 80) == r.want);
    }
}

TEST_CASE("fold_to_ascii spells accented Latin letters in ASCII and leaves the rest", "[core]") {
    CHECK(fold_to_ascii("Ünïcödé") == "Unicode");
    CHECK(fold_to_ascii("Ğüşİöç ğı") == "GusIoc gi");
    CHECK(fold_to_ascii("Ĳsselmeer œuvre Straße") == "IJsselmeer oeuvre Strasse");
    CHECK(fold_to_ascii("データ 🔥 Ошибка") == "データ 🔥 Ошибка");
    CHECK(fold_to_ascii("\xc3 cut") == "\xc3 cut");  // an invalid byte stays for the caller to judge
    CHECK(fold_to_ascii("plain ascii-123") == "plain ascii-123");
}

TEST_CASE("slugify cuts a long title at a word, not inside one", "[core]") {
    auto s = slugify("Checkout API errors for every customer in eu-west after the release", 40);
    CHECK(s == "checkout-api-errors-for-every-customer");
    auto t = slugify("Zahlungsabwicklung für alle Händler gestört nach Überlastung", 30);
    CHECK(t == "zahlungsabwicklung-fur-alle");
}

TEST_CASE("slugify stays within its bound and never ends in a dash", "[core]") {
    std::string long_title;
    for (int i = 0; i < 50; ++i) long_title += "word ";  // 250 chars, a dash every 5
    REQUIRE(long_title.size() >= 200);
    auto max = GENERATE(range(std::size_t{1}, std::size_t{30}), std::size_t{74}, std::size_t{80},
                        std::size_t{200});
    INFO("max " << max);
    auto s = slugify(long_title, max);
    CHECK(s.size() <= max);
    CHECK_FALSE(s.empty());
    CHECK(s.back() != '-');
    CHECK(s.front() != '-');
    CHECK(s.find("--") == std::string::npos);
    for (char c : s) CHECK(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'));

    CHECK(slugify(std::string(200, 'A'), 80) == std::string(80, 'a'));
    CHECK(slugify(long_title, 0).empty());
}

TEST_CASE("repaired_utf8 keeps valid UTF-8 and replaces each bad byte", "[core]") {
    CHECK(repaired_utf8("plain") == "plain");
    CHECK(repaired_utf8("caf\xC3\xA9 \xF0\x9F\x93\x8C") == "caf\xC3\xA9 \xF0\x9F\x93\x8C");
    CHECK(repaired_utf8("\xFF") == "\xEF\xBF\xBD");
    CHECK(repaired_utf8("a\xC3") == "a\xEF\xBF\xBD");                           // cut short
    CHECK(repaired_utf8("\xE0\x80\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
    CHECK(repaired_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    CHECK(repaired_utf8("\xF4\x90\x80\x80") ==
          "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // above U+10FFFF
    CHECK(repaired_utf8(std::string("\0", 1)) == std::string("\0", 1));  // valid, if unusual
}

TEST_CASE("slugs and derived lines are shortened at a word boundary", "[core]") {
    CHECK(slugify("checkout latency spikes everywhere", 20) == "checkout-latency");
    CHECK(slugify("checkout latency", 16) == "checkout-latency");
    // One long word is cut where it must be.
    CHECK(slugify("a supercalifragilistic", 10) == "a-supercal");
    CHECK(shorten_words("short", 10) == "short");
    CHECK(shorten_words("checkout latency spikes everywhere", 20) == "checkout latency…");
    CHECK(shorten_words("checkout, latency", 14, "…") == "checkout…");
    // Never inside a UTF-8 sequence.
    auto s = shorten_words(std::string(10, 'x') + "\xC3\xA9\xC3\xA9\xC3\xA9", 13, "");
    CHECK(valid_utf8(s));
    CHECK(s.size() <= 13);
}
