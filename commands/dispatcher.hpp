#pragma once
// The pure heart of firebreak: what one event means for the incidents.
#include "bot/core/chat_event.hpp"
#include "bot/core/engine_state.hpp"

namespace firebreak {

/// Decides what `ev` changes, given the state and the current time. Does no I/O and
/// reads no clock; the returned change is committed by the runtime in one transaction.
change apply(const engine_state& state, const chat_event& ev, instant now,
             const engine_settings& settings);

}  // namespace firebreak
