#pragma once
// Bot output as styled spans: adapters render it (Slack mrkdwn, Matrix HTML,
// console plain text) and every platform gets a plain fallback from the same value.
// A message may also offer buttons (actions) for its next steps; platforms that can
// show them do (Slack), the others and the plain fallback leave them out.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak {

/// One run of text with one style. A newline is a span of its own ("\n", plain).
struct span {
    // mention: text is a user id. room: a link to a room, text its name ("inc-3-checkout",
    // shown "#inc-3-checkout") and ref its platform id once delivery knows it.
    enum class style { plain, bold, italic, code, mention, room };
    style look = style::plain;
    std::string text;
    std::string ref;
    span() = default;
    span(style l, std::string t, std::string r = {}) : look(l), text(std::move(t)), ref(std::move(r)) {}
    bool operator==(const span&) const = default;
};

/// A button offering a next step: pressing it runs `command` (the text after the command
/// prefix) as the person who pressed; "{me}" in it stands for that person ("scribe {me}").
struct action {
    std::string label;
    std::string command;
    bool operator==(const action&) const = default;
};

/// A message firebreak posts: styled spans, with a plain-text rendering.
class rich_text {
public:
    /// Appends unstyled text.
    rich_text& text(std::string_view s);
    /// Appends bold text.
    rich_text& bold(std::string_view s);
    /// Appends italic text.
    rich_text& italic(std::string_view s);
    /// Appends inline code.
    rich_text& code(std::string_view s);
    /// Appends a mention of a user id (plain form "@id"; adapters render a platform mention).
    rich_text& mention(std::string_view user_id);
    /// Appends a link to the room named `name` whose platform id is `room_id` (may be
    /// empty: the runtime fills it in at delivery, where the room is known). Plain form
    /// "#name".
    rich_text& room_link(std::string_view name, std::string_view room_id = {});
    /// Ends the current line.
    rich_text& line();
    /// Starts a bullet item on a new line.
    rich_text& bullet();
    /// Appends another rich text, its buttons after this one's.
    rich_text& append(const rich_text& other);
    /// Adds a button for a next step (never part of plain()).
    rich_text& button(std::string_view label, std::string_view command);

    /// The spans in order.
    const std::vector<span>& spans() const { return spans_; }
    /// Replaces the spans and the buttons (used when loading from the store).
    void assign(std::vector<span> s, std::vector<action> a = {}) {
        spans_ = std::move(s);
        actions_ = std::move(a);
    }
    /// The buttons in order.
    const std::vector<action>& actions() const { return actions_; }
    /// Plain text: styles dropped, text kept exactly; buttons left out.
    std::string plain() const;
    /// The same with each mention written as `person` gives it (plain() writes "@id").
    std::string plain(const std::function<std::string(const std::string& user_id)>& person) const;
    /// Whether no text has been added (buttons alone do not make a message).
    bool empty() const { return spans_.empty(); }
    bool operator==(const rich_text&) const = default;


private:
    std::vector<span> spans_;
    std::vector<action> actions_;
};

}  // namespace firebreak
