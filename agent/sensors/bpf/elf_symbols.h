// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/result.h"

namespace sousveil {

// The function a uprobe's file offset falls in, from the ELF file's symbol
// tables (.symtab, else .dynsym): "readline", or "readline+0x10" inside it.
// An error says why there is no name (not ELF, stripped, no symbol there).
Result<std::string> symbol_at_file_offset(const std::filesystem::path& file, std::uint64_t offset);

// The inverse, for tests and tools: the file offset of a function symbol.
Result<std::uint64_t> file_offset_of_symbol(const std::filesystem::path& file, const std::string& name);

}  // namespace sousveil
