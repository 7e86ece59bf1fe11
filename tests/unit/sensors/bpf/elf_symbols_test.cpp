// SPDX-License-Identifier: Apache-2.0
// The ELF symbol reader against a file with known symbols: this test binary.
#include "sensors/bpf/elf_symbols.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

extern "C" __attribute__((noinline, used)) int sv_elf_symbols_probe_target(int x) {
  return x * 3 + 1;
}

namespace sousveil {
namespace {

const std::filesystem::path kSelf = std::filesystem::read_symlink("/proc/self/exe");

TEST(ElfSymbols, AFunctionsOwnOffsetNamesIt) {
  auto at = file_offset_of_symbol(kSelf, "sv_elf_symbols_probe_target");
  ASSERT_TRUE(at.ok()) << at.error().message;
  auto name = symbol_at_file_offset(kSelf, *at);
  ASSERT_TRUE(name.ok()) << name.error().message;
  EXPECT_EQ(*name, "sv_elf_symbols_probe_target");
}

TEST(ElfSymbols, AnOffsetInsideAFunctionIsNamedRelativeToIt) {
  auto at = file_offset_of_symbol(kSelf, "sv_elf_symbols_probe_target");
  ASSERT_TRUE(at.ok()) << at.error().message;
  auto name = symbol_at_file_offset(kSelf, *at + 1);
  ASSERT_TRUE(name.ok()) << name.error().message;
  EXPECT_EQ(*name, "sv_elf_symbols_probe_target+0x1");
}

TEST(ElfSymbols, AnOffsetOutsideEveryFunctionIsAnError) {
  // Offset 0 is the ELF header, never code.
  auto name = symbol_at_file_offset(kSelf, 0);
  EXPECT_FALSE(name.ok());
}

TEST(ElfSymbols, AFileThatIsNotElfIsAnErrorNamingIt) {
  auto path = std::filesystem::temp_directory_path() / "sv-not-elf.txt";
  std::ofstream(path) << "just text\n";
  auto name = symbol_at_file_offset(path, 16);
  std::filesystem::remove(path);
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.error().message.find("sv-not-elf.txt"), std::string::npos) << name.error().message;
}

TEST(ElfSymbols, AMissingFileIsAnError) {
  EXPECT_FALSE(symbol_at_file_offset("/nonexistent/sv-elf", 0).ok());
  EXPECT_FALSE(file_offset_of_symbol(kSelf, "no_such_function_in_sousveil").ok());
}

}  // namespace
}  // namespace sousveil
