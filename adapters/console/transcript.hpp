#pragma once
// Reading a JSONL transcript for `firebreak replay`: one JSON object per line
// with time, room, user, text, and optionally id, thread, react/target, edit, delete.
#include "bot/core/chat_event.hpp"

#include <istream>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

namespace firebreak {

/// Whether a console or transcript reaction marks a highlight: 📌 or 📍, by emoji or by
/// name (pushpin, :pushpin:, round_pushpin).
bool console_highlight(std::string_view reaction);

/// One understood transcript line.
struct transcript_line {
    std::size_t line_no = 0;
    chat_event event;                        ///< room.id is the room as written ("#general")
    std::optional<std::int64_t> incident;    ///< set when the room was written as "INC-<n>"
};

/// A line that could not be used, with why.
struct transcript_error {
    std::size_t line_no = 0;
    std::string message;
};

/// Everything read from one transcript.
struct transcript {
    std::vector<transcript_line> lines;
    std::vector<transcript_error> errors;
};

/// Reads a transcript. Bad lines are reported with their line number and skipped;
/// the rest is kept. Lines longer than 64 KiB are refused. Event ids are derived from
/// the line number and content, so replaying the same file into one store twice
/// changes nothing the second time.
transcript read_transcript(std::istream& in, std::string_view platform = "console");

}  // namespace firebreak
