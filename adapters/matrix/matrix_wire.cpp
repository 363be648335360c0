#include "adapters/matrix/matrix_wire.hpp"
#include "adapters/matrix/matrix_json.hpp"

#include "adapters/net/http_client.hpp"
#include "bot/core/text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/url/grammar/hexdig_chars.hpp>
#include <boost/url/pct_string_view.hpp>

#include <cmath>
#include <fmt/format.h>

namespace firebreak::matrix {

namespace json = boost::json;

using namespace detail;

namespace {

std::optional<std::int64_t> integer(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end()) return std::nullopt;
    if (it->value().is_int64()) return it->value().get_int64();
    if (it->value().is_uint64() && it->value().get_uint64() < (1ull << 62)) return std::int64_t(it->value().get_uint64());
    return std::nullopt;
}

// 📌 U+1F4CC PUSHPIN and 📍 U+1F4CD ROUND PUSHPIN, with or without a variation selector.
bool is_highlight_key(std::string_view key) {
    return key.rfind("\xF0\x9F\x93\x8C", 0) == 0 || key.rfind("\xF0\x9F\x93\x8D", 0) == 0;
}

void escape_html(std::string& out, std::string_view s) {
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
}

std::string unescape_html(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '&') {
            out += s[i];
            continue;
        }
        static constexpr std::pair<std::string_view, char> names[] = {
            {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
        bool done = false;
        for (auto [n, c] : names)
            if (s.substr(i, n.size()) == n) {
                out += c;
                i += n.size() - 1;
                done = true;
                break;
            }
        if (!done) out += '&';
    }
    return out;
}

// Decodes a matrix.to href. A '%' that starts no valid escape ("%zz", a lone '%') stays a
// literal '%' rather than spoiling the whole link, as it did before; Boost.URL refuses such
// text, so each stray '%' is first escaped to "%25", which it then decodes back to '%'.
std::string percent_decode(std::string_view s) {
    if (auto valid = boost::urls::make_pct_string_view(s)) return valid->decode();
    auto hex = [](char c) { return boost::urls::grammar::hexdig_chars(c); };
    std::string escaped;
    escaped.reserve(s.size() + 8);
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool escape = s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) && hex(s[i + 2]);
        escaped += s[i];
        if (s[i] == '%' && !escape) escaped += "25";
    }
    return boost::urls::make_pct_string_view(escaped)->decode();
}

// A reply carries the quoted original as "> " lines and a blank line before the
// answer (the spec's fallback); the timeline wants the answer only.
std::string strip_reply_fallback(std::string_view body) {
    if (!body.starts_with("> ")) return std::string(body);
    auto end = body.find("\n\n");
    return std::string(end == std::string_view::npos ? body : body.substr(end + 2));
}

}  // namespace

std::string to_mxid(const user_ref& u) { return !u.id.empty() && u.id[0] == '@' ? u.id : "@" + u.id; }

user_ref from_mxid(std::string_view mxid) {
    if (!mxid.empty() && mxid[0] == '@') mxid.remove_prefix(1);
    return user_ref{std::string(mxid)};
}

std::string server_of(std::string_view mxid) {
    auto colon = mxid.find(':');
    return colon == std::string_view::npos ? std::string{} : std::string(mxid.substr(colon + 1));
}

std::string readable_body(const json::object& content) {
    std::string body = str(content, "body");
    bool reply = false;
    if (auto rel = obj(content, "m.relates_to")) reply = obj(*rel, "m.in_reply_to") != nullptr;
    if (reply) body = strip_reply_fallback(body);
    // Mention pills: <a href="https://matrix.to/#/@user:server">Display</a>. The body
    // holds only the display name; commands need the user id.
    std::string html = str(content, "formatted_body");
    if (str(content, "format") != "org.matrix.custom.html" || html.empty()) return body;
    static constexpr std::string_view prefix = "https://matrix.to/#/";
    std::size_t pos = 0;
    while ((pos = html.find("<a ", pos)) != std::string::npos) {
        auto href = html.find("href=\"", pos);
        auto tag_end = html.find('>', pos);
        if (href == std::string::npos || tag_end == std::string::npos || href > tag_end) {
            pos += 3;
            continue;
        }
        auto url_start = href + 6;
        auto url_end = html.find('"', url_start);
        auto close = html.find("</a>", tag_end);
        if (url_end == std::string::npos || close == std::string::npos) break;
        std::string target = percent_decode(std::string_view(html).substr(url_start, url_end - url_start));
        std::string label = unescape_html(std::string_view(html).substr(tag_end + 1, close - tag_end - 1));
        pos = close + 4;
        if (target.rfind(prefix, 0) != 0) continue;
        std::string id = target.substr(prefix.size());
        if (auto q = id.find('?'); q != std::string::npos) id.resize(q);
        if (id.empty() || id[0] != '@' || label.empty() || label == id) continue;
        if (auto at = body.find(label); at != std::string::npos) body.replace(at, label.size(), id);
    }
    return body;
}

std::optional<chat_event> translate_event(const std::string& room_id, const json::object& ev,
                                          const std::string& bot_mxid, const reaction_index& known_reactions) {
    std::string type = str(ev, "type");
    std::string sender = str(ev, "sender");
    std::string event_id = str(ev, "event_id");
    auto ts = integer(ev, "origin_server_ts");
    const json::object* content = obj(ev, "content");
    if (type.empty() || sender.empty() || event_id.empty() || !ts || !content) return std::nullopt;
    if (sender == bot_mxid) return std::nullopt;  // never the bot's own output

    chat_event ce;
    ce.event_id = "matrix:" + event_id;
    ce.room = room_ref{"matrix", room_id};
    ce.user = from_mxid(sender);
    ce.at = from_unix_ms(*ts);
    ce.msg = message_id{event_id};
    const json::object* rel = obj(*content, "m.relates_to");
    std::string rel_type = str(rel, "rel_type");

    if (type == "m.room.message") {
        std::string msgtype = str(*content, "msgtype");
        if (msgtype.empty() || !content->contains("body")) return std::nullopt;  // redacted or malformed
        if (rel_type == "m.replace") {
            std::string target = str(rel, "event_id");
            const json::object* fresh = obj(*content, "m.new_content");
            if (target.empty()) return std::nullopt;
            ce.kind = event_kind::edit;
            ce.msg = message_id{target};
            ce.text = fresh ? readable_body(*fresh) : readable_body(*content);
            return ce;
        }
        ce.kind = event_kind::message;
        ce.text = readable_body(*content);
        if (msgtype == "m.emote") ce.text = "* " + ce.text;
        else if (msgtype == "m.image" || msgtype == "m.file" || msgtype == "m.video" || msgtype == "m.audio")
            ce.text = "[" + msgtype.substr(2) + "] " + ce.text;
        if (rel_type == "m.thread") ce.thread_parent = message_id{str(rel, "event_id")};
        else if (rel)
            if (auto reply = obj(*rel, "m.in_reply_to")) ce.thread_parent = message_id{str(reply, "event_id")};
        return ce;
    }
    if (type == "m.reaction") {
        if (rel_type != "m.annotation" || str(rel, "event_id").empty()) return std::nullopt;
        std::string key = str(rel, "key");
        ce.kind = event_kind::reaction;
        ce.msg = message_id{str(rel, "event_id")};
        // U+1F4CC PUSHPIN (with or without a variation selector) is Slack's "pushpin".
        ce.reaction = key.rfind("\xF0\x9F\x93\x8C", 0) == 0 ? "pushpin" : key;
        ce.highlight = is_highlight_key(key);
        ce.reaction_added = true;
        return ce;
    }
    if (type == "m.room.member") {
        // Who is in an incident room decides who may see a private incident. The target is
        // the state key (a kick is sent by someone else); the bot's own membership is not
        // a person's, and an invitation is not yet a join.
        std::string target = str(ev, "state_key");
        std::string membership = str(*content, "membership");
        if (target.empty() || target == bot_mxid) return std::nullopt;
        // A member who was in and stays in changed their profile: a new display name is
        // worth keeping (a new avatar is not, and reads as the join it repeats).
        const json::object* unsigned_part = obj(ev, "unsigned");
        const json::object* before = unsigned_part ? obj(*unsigned_part, "prev_content") : nullptr;
        if (membership == "join" && before && str(*before, "membership") == "join") {
            std::string name = str(*content, "displayname");
            if (!name.empty() && name != str(*before, "displayname")) {
                ce.kind = event_kind::name_changed;
                ce.user = from_mxid(target);
                ce.text = name;
                ce.msg = {};
                return ce;
            }
        }
        if (membership == "join") ce.kind = event_kind::member_joined;
        else if (membership == "leave" || membership == "ban") ce.kind = event_kind::member_left;
        else return std::nullopt;
        ce.user = from_mxid(target);
        ce.msg = {};
        return ce;
    }
    if (type == "m.room.redaction") {
        // Room versions before 11 carry `redacts` at the top level, later ones in content.
        std::string target = str(*content, "redacts");
        if (target.empty()) target = str(ev, "redacts");
        if (target.empty()) return std::nullopt;
        if (auto r = known_reactions.find(target); r != known_reactions.end()) {
            ce.kind = event_kind::reaction;
            ce.msg = message_id{r->second.first};
            ce.reaction = r->second.second.rfind("\xF0\x9F\x93\x8C", 0) == 0 ? "pushpin" : r->second.second;
            ce.highlight = is_highlight_key(r->second.second);
            ce.reaction_added = false;
            return ce;
        }
        ce.kind = event_kind::remove;
        ce.msg = message_id{target};
        return ce;
    }
    return std::nullopt;
}

std::optional<sync_batch> decode_sync(std::string_view body, const std::string& bot_mxid,
                                      const reaction_index& known_reactions, std::string& error) {
    boost::system::error_code ec;
    // A stray invalid byte in one message must not make the whole batch unreadable (and
    // the bot stuck on it): text is repaired later, where the core cleans it.
    json::parse_options lenient;
    lenient.allow_invalid_utf8 = true;
    json::value v = json::parse(body, ec, {}, lenient);
    if (ec) {
        error = "sync response is not JSON: " + ec.message();
        return std::nullopt;
    }
    if (!v.is_object()) {
        error = "sync response is not a JSON object";
        return std::nullopt;
    }
    const auto& root = v.get_object();
    sync_batch b;
    b.next_batch = str(root, "next_batch");
    if (b.next_batch.empty()) {
        error = "sync response has no next_batch";
        return std::nullopt;
    }
    // Reactions seen earlier in this batch count for redactions later in it.
    reaction_index seen = known_reactions;
    const json::object* rooms = obj(root, "rooms");
    if (!rooms) return b;
    if (auto invite = obj(*rooms, "invite")) {
        for (const auto& [room_id, room] : *invite) {
            b.invites.emplace_back(room_id);
            if (!room.is_object()) continue;
            const json::object* state = obj(room.get_object(), "invite_state");
            const json::array* events = state ? arr(*state, "events") : nullptr;
            if (!events) continue;
            for (const auto& e : *events) {
                if (!e.is_object()) continue;
                const auto& eo = e.get_object();
                const json::object* c = obj(eo, "content");
                if (str(eo, "type") == "m.room.member" && str(eo, "state_key") == bot_mxid && c) {
                    auto d = c->find("is_direct");
                    if (d != c->end() && d->value().is_bool() && d->value().get_bool())
                        b.direct_rooms.insert(std::string(room_id));
                }
            }
        }
    }
    const json::object* join = obj(*rooms, "join");
    if (!join) return b;
    for (const auto& [room_key, room] : *join) {
        std::string room_id(room_key);
        if (!room.is_object()) {
            ++b.skipped;
            continue;
        }
        const auto& ro = room.get_object();
        if (auto summary = obj(ro, "summary")) {
            auto joined = integer(*summary, "m.joined_member_count");
            if (joined && *joined == 2) b.direct_rooms.insert(room_id);
        }
        const json::object* timeline = obj(ro, "timeline");
        if (!timeline) continue;
        auto limited = timeline->find("limited");
        if (limited != timeline->end() && limited->value().is_bool() && limited->value().get_bool())
            b.gaps.push_back({room_id, str(timeline, "prev_batch")});
        const json::array* events = arr(*timeline, "events");
        if (!events) continue;
        for (const auto& e : *events) {
            if (!e.is_object()) {
                ++b.skipped;
                continue;
            }
            const auto& eo = e.get_object();
            if (str(eo, "type") == "m.reaction") {
                const json::object* c = obj(eo, "content");
                const json::object* rel = c ? obj(*c, "m.relates_to") : nullptr;
                if (rel) {
                    auto entry = std::pair{str(rel, "event_id"), str(rel, "key")};
                    seen[str(eo, "event_id")] = entry;
                    b.reactions[str(eo, "event_id")] = entry;
                }
            }
            auto ce = translate_event(room_id, eo, bot_mxid, seen);
            if (!ce) {
                if (str(eo, "sender") != bot_mxid) ++b.skipped;
                continue;
            }
            b.events.push_back(std::move(*ce));
        }
    }
    return b;
}

std::string to_html(const rich_text& t) {
    std::string out;
    for (const auto& s : t.spans()) {
        if (s.look == span::style::plain && s.text == "\n") {
            out += "<br/>";
            continue;
        }
        switch (s.look) {
            case span::style::plain: escape_html(out, s.text); break;
            case span::style::bold:
                out += "<strong>";
                escape_html(out, s.text);
                out += "</strong>";
                break;
            case span::style::italic:
                out += "<em>";
                escape_html(out, s.text);
                out += "</em>";
                break;
            case span::style::code:
                out += "<code>";
                escape_html(out, s.text);
                out += "</code>";
                break;
            case span::style::mention: {
                std::string id = to_mxid(user_ref{s.text});
                out += "<a href=\"https://matrix.to/#/";
                escape_html(out, id);
                out += "\">";
                escape_html(out, id);
                out += "</a>";
                break;
            }
            case span::style::room:
                // A room id ("!abc:example.org") becomes a link clients show as a pill; via its
                // server, which is in it, the way matrix.to asks for room ids.
                if (s.ref.size() > 1 && s.ref[0] == '!' && s.ref.find(':') != std::string::npos) {
                    out += "<a href=\"https://matrix.to/#/";
                    escape_html(out, s.ref);
                    out += "?via=";
                    escape_html(out, s.ref.substr(s.ref.find(':') + 1));
                    out += "\">#";
                    escape_html(out, s.text);
                    out += "</a>";
                } else {
                    out += '#';
                    escape_html(out, s.text);
                }
                break;
        }
    }
    return out;
}

json::object notice_content(const rich_text& t, const std::string& thread_root) {
    json::object c;
    c["msgtype"] = "m.notice";
    // An event holds 65,536 bytes in all; the rest of the event needs a few hundred. A
    // reply too long for both forms goes as plain text alone, and one too long even so is
    // cut, saying so.
    constexpr std::size_t room_for_text = 60000;
    std::string plain = t.plain();
    std::string html = to_html(t);
    if (plain.size() + html.size() <= room_for_text) {
        c["body"] = std::move(plain);
        c["format"] = "org.matrix.custom.html";
        c["formatted_body"] = std::move(html);
    } else {
        c["body"] = shorten_words(plain, room_for_text,
                                  " … (cut to fit Matrix; `timeline` or the export has the rest)");
    }
    if (!thread_root.empty()) {
        json::object rel;
        rel["rel_type"] = "m.thread";
        rel["event_id"] = thread_root;
        rel["is_falling_back"] = true;
        json::object reply;
        reply["event_id"] = thread_root;
        rel["m.in_reply_to"] = std::move(reply);
        c["m.relates_to"] = std::move(rel);
    }
    return c;
}

error_kind classify(int status, std::string_view errcode) {
    if (status == 429 || errcode == "M_LIMIT_EXCEEDED") return error_kind::retry_after;
    if (status == 401 || errcode == "M_UNKNOWN_TOKEN" || errcode == "M_MISSING_TOKEN") return error_kind::auth;
    if (errcode == "M_NOT_FOUND" || status == 404) return error_kind::not_found;
    if (errcode == "M_FORBIDDEN" || status == 403) return error_kind::auth;
    if (status >= 500 || status == 0 || status == 408) return error_kind::transient;
    return error_kind::invalid;
}

std::string errcode_of(std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return {};
    return str(v.get_object(), "errcode");
}

delivery failure(int status, std::string_view body, std::optional<std::string> retry_after_header,
                 std::string_view operation) {
    delivery d;
    std::string errcode, message;
    std::optional<std::int64_t> retry_ms;
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (!ec && v.is_object()) {
        errcode = str(v.get_object(), "errcode");
        message = clean_line(str(v.get_object(), "error"), 200);
        retry_ms = integer(v.get_object(), "retry_after_ms");
    }
    d.error = classify(status, errcode);
    d.detail = fmt::format("{}: HTTP {}{}{}", operation, status, errcode.empty() ? "" : " " + errcode,
                           message.empty() ? "" : " (" + message + ")");
    if (d.error == error_kind::retry_after) {
        // The header first (seconds); the body's retry_after_ms is deprecated.
        if (auto wait = net::retry_after_of(retry_after_header); wait && *wait < std::chrono::hours{24})
            d.retry_after = duration{wait->count()};
        if (d.retry_after.count() == 0 && retry_ms && *retry_ms > 0 && *retry_ms < 86400000)
            d.retry_after = duration{*retry_ms};
        if (d.retry_after.count() == 0) d.retry_after = duration{1000};
    }
    return d;
}

std::string alias_localpart(std::string_view name) {
    std::string out;
    for (unsigned char c : name) {
        if (out.size() >= 80) break;
        if (std::isalnum(c)) out += char(std::tolower(c));
        else if ((c == '-' || c == '_' || c == '.') && !out.empty()) out += char(c);
        else if (!out.empty() && out.back() != '-') out += '-';
    }
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out.empty() ? "incident" : out;
}

json::object sync_filter() {
    json::object none;
    none["not_types"] = json::array{"*"};
    json::object timeline;
    // Joins, leaves and kicks come in the timeline too: they decide who sees a private incident.
    timeline["types"] = json::array{"m.room.message", "m.reaction", "m.room.redaction", "m.room.member"};
    timeline["limit"] = 1000;
    json::object state;
    state["lazy_load_members"] = true;
    state["types"] = json::array{"m.room.member"};
    json::object room;
    room["timeline"] = std::move(timeline);
    room["state"] = std::move(state);
    room["ephemeral"] = none;
    room["account_data"] = none;
    json::object f;
    f["room"] = std::move(room);
    f["presence"] = none;
    f["account_data"] = none;
    return f;
}

}  // namespace firebreak::matrix
