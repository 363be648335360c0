#include "adapters/slack/slack_frames.hpp"

#include "adapters/slack/slack_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace firebreak::slack {

namespace json = boost::json;
using namespace detail;

namespace {

bool hex4(std::string_view s, std::size_t i, unsigned& v) {
    if (i + 4 > s.size()) return false;
    v = 0;
    for (std::size_t k = i; k < i + 4; ++k) {
        char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= unsigned(c - '0');
        else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
        else return false;
    }
    return true;
}

// A "\uD83D" without its partner is valid JSON text but no character; the parser refuses
// the whole frame for it. Such escapes become U+FFFD so the rest of the message survives.
std::string repair_surrogates(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            unsigned v = 0;
            if (s[i + 1] == 'u' && hex4(s, i + 2, v) && v >= 0xD800 && v <= 0xDFFF) {
                unsigned low = 0;
                bool paired = v <= 0xDBFF && i + 11 < s.size() && s.substr(i + 6, 2) == "\\u" &&
                              hex4(s, i + 8, low) && low >= 0xDC00 && low <= 0xDFFF;
                if (paired) {
                    out.append(s.substr(i, 12));
                    i += 11;
                } else {
                    out += "\\uFFFD";
                    i += 5;
                }
                continue;
            }
            out += s[i];
            out += s[i + 1];
            ++i;
            continue;
        }
        out += s[i];
    }
    return out;
}

}  // namespace

std::optional<frame> decode_frame(std::string_view text, std::string& error) {
    boost::system::error_code ec;
    json::parse_options lenient;
    lenient.allow_invalid_utf8 = true;
    json::value v = json::parse(text, ec, {}, lenient);
    if (ec && text.find("\\u") != std::string_view::npos) {
        ec = {};
        v = json::parse(repair_surrogates(text), ec, {}, lenient);
    }
    if (ec) {
        error = "not JSON: " + ec.message();
        return std::nullopt;
    }
    if (!v.is_object()) {
        error = "not a JSON object";
        return std::nullopt;
    }
    auto& o = v.get_object();
    frame f;
    f.type_name = str(o, "type");
    if (f.type_name.empty()) {
        error = "no type";
        return std::nullopt;
    }
    f.envelope_id = str(o, "envelope_id");
    f.reason = str(o, "reason");
    if (auto it = o.find("retry_attempt"); it != o.end() && it->value().is_int64())
        f.retry_attempt = int(it->value().get_int64());
    if (auto p = obj(o, "payload")) f.payload = *p;
    if (f.type_name == "hello") f.type = frame::kind::hello;
    else if (f.type_name == "disconnect") f.type = frame::kind::disconnect;
    else if (f.type_name == "events_api") f.type = frame::kind::events_api;
    else if (f.type_name == "slash_commands") f.type = frame::kind::slash_commands;
    else if (f.type_name == "interactive") f.type = frame::kind::interactive;
    return f;
}

std::string ack_frame(const std::string& envelope_id) {
    return json::serialize(json::object{{"envelope_id", envelope_id}});
}

}  // namespace firebreak::slack
