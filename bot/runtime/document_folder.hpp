#pragma once
// Where the postmortem drafts are written as files: a folder on the local disk.
#include "bot/runtime/engine.hpp"

#include <string>

namespace firebreak {

/// A document_writer that writes each file into `dir` (made when missing), replacing a
/// file of the same name; a file that cannot be written is logged and reported as not saved.
document_writer document_folder(std::string dir);

}  // namespace firebreak
