#pragma once
// The pure heart of firebreak: what one event means for the incidents.
#include "bot/core/chat_event.hpp"
#include "bot/core/engine_state.hpp"
#include "commands/nudges.hpp"

namespace firebreak {

/// Decides what `ev` changes, given the state and the current time. Does no I/O and
/// reads no clock; the returned change is committed by the runtime in one transaction.
change apply(const engine_state& state, const chat_event& ev, instant now,
             const engine_settings& settings);

/// Sends one nudge: the messages, a timeline entry, and the step recorded in the
/// incident. Empty when the nudge is no longer due at `now` with this step (its
/// condition ended, it was sent already, or it was snoozed).
change apply_nudge(const engine_state& state, const nudge& n, instant now, const engine_settings& settings);

}  // namespace firebreak
