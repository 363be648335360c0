#pragma once
// Conformance checks for tests: a small JSON Schema evaluator over Boost.JSON and,
// on top of it, checkers for requests sent to the Matrix Client-Server API and the
// Slack Web API, reading the official definitions in tests/fixtures/specs.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak::testing {

/// Problems found validating `instance` against a JSON Schema (subset); empty = valid.
/// Each problem names the JSON path ("$.content.body: expected string, found number").
std::vector<std::string> validate_schema(const boost::json::value& schema, const boost::json::value& instance,
                                         const std::string& path = "$");

/// An application/x-www-form-urlencoded body (or query string) as an object of strings; a repeated key keeps its last value.
boost::json::object decode_form(std::string_view form);

/// The Matrix Client-Server OpenAPI definition, for checking requests a client sends.
class matrix_api {
public:
    /// Loads tests/fixtures/specs/matrix/client-server-v1.19.openapi.json (FIREBREAK_SPECS_DIR is a
    /// compile definition giving the absolute path of tests/fixtures/specs); cached after the first call.
    static const matrix_api& get();
    /// Problems with one HTTP request; empty = valid. `target` is the raw request target with
    /// percent-encoded path segments and an optional query string ("/_matrix/client/v3/sync?timeout=30000&since=s1").
    /// Checks: a path template matches (path params percent-decoded and checked against their schemas),
    /// the method exists on it (any operation on path keys that differ only by a trailing space),
    /// required query params present, query param values fit their schema types (integer/boolean/string/enum),
    /// a JSON body is valid against the operation's application/json requestBody schema (when the operation has one),
    /// and "the operation is unknown" when nothing matches. Beyond that: undeclared query params, a body sent to an
    /// operation that takes none, and the content of events sent with PUT send/state when the event type is known.
    std::vector<std::string> check_request(std::string_view method, std::string_view target,
                                           std::string_view content_type, std::string_view body) const;
    /// Problems with the content of an event the client sends (e.g. type "m.room.message" with msgtype m.notice,
    /// "m.room.topic", "m.reaction"), checked against the `content` schema of that event type in
    /// event-schemas-v1.19.resolved.json; "unknown event type" when the file has none.
    std::vector<std::string> check_event_content(std::string_view type, const boost::json::value& content) const;

    /// Frees the parsed definition (only at program exit: get() keeps the one instance).
    ~matrix_api();
    /// One shared instance: not copyable.
    matrix_api(const matrix_api&) = delete;
    /// One shared instance: not assignable.
    matrix_api& operator=(const matrix_api&) = delete;

private:
    matrix_api();
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Slack Web API method definitions (tests/fixtures/specs/slack/methods/*.json).
class slack_api {
public:
    /// Loads every method file once.
    static const slack_api& get();
    /// Problems with one call: unknown method; wrong HTTP verb where the file says; required args missing
    /// (except `token`, which travels in the Authorization header); args not declared by the method;
    /// argument values that do not fit the declared type where that is checkable. `args` is the request's
    /// arguments as a JSON object (from a JSON body or a form body, the caller decodes).
    std::vector<std::string> check_call(std::string_view method_name, std::string_view http_verb,
                                        const boost::json::object& args) const;
    /// Whether a definition for `method_name` was loaded.
    bool knows(std::string_view method_name) const;

private:
    slack_api();
    struct method_def {
        std::string http_method;         // upper case; empty when the file does not say
        boost::json::value args;         // the file's `args` schema (an object schema)
        std::vector<std::string> json_encoded;  // args documented as JSON sent inside a string
    };
    std::map<std::string, method_def, std::less<>> methods_;
};

}  // namespace firebreak::testing
