// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace sousveil {

// The text with every byte sequence that is not valid UTF-8 replaced by
// U+FFFD. Process names, paths and arguments come from the watched program
// and may hold any byte; JSON output must not fail on them.
std::string valid_utf8(std::string_view text);

}  // namespace sousveil
