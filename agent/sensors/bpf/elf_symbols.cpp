// SPDX-License-Identifier: Apache-2.0
#include "sensors/bpf/elf_symbols.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdio>
#include <functional>
#include <optional>
#include <vector>

namespace sousveil {
namespace {

struct Segment {
  std::uint64_t vaddr = 0;
  std::uint64_t offset = 0;
  std::uint64_t filesz = 0;
};

// An open ELF file, closed on every path.
class ElfFile {
 public:
  static Result<ElfFile> open(const std::filesystem::path& path) {
    ElfFile f;
    if (elf_version(EV_CURRENT) == EV_NONE) return make_error("libelf is too old");
    f.m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f.m_fd < 0) return make_error("cannot open " + path.string() + ": " + std::strerror(errno));
    f.m_elf = elf_begin(f.m_fd, ELF_C_READ, nullptr);
    if (!f.m_elf || elf_kind(f.m_elf) != ELF_K_ELF) return make_error(path.string() + " is not an ELF file");
    return f;
  }
  ElfFile() = default;
  ElfFile(ElfFile&& o) noexcept : m_fd(o.m_fd), m_elf(o.m_elf) {
    o.m_fd = -1;
    o.m_elf = nullptr;
  }
  ElfFile& operator=(ElfFile&&) = delete;
  ~ElfFile() {
    if (m_elf) elf_end(m_elf);
    if (m_fd >= 0) ::close(m_fd);
  }
  Elf* elf() const { return m_elf; }

 private:
  int m_fd = -1;
  Elf* m_elf = nullptr;
};

// Executable load segments: a uprobe offset is a file offset, symbols are addresses.
std::vector<Segment> exec_segments(Elf* elf) {
  std::vector<Segment> out;
  std::size_t n = 0;
  if (elf_getphdrnum(elf, &n) != 0) return out;
  for (std::size_t i = 0; i < n; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf, static_cast<int>(i), &ph)) continue;
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) out.push_back({ph.p_vaddr, ph.p_offset, ph.p_filesz});
  }
  return out;
}

// Calls fn(name, file offset, size) for each function symbol, from .symtab if
// the file has one, else .dynsym. Returns false when it has neither.
bool for_each_function(Elf* elf, const std::function<void(const char*, std::uint64_t, std::uint64_t)>& fn) {
  auto segments = exec_segments(elf);
  for (Elf64_Word want : {SHT_SYMTAB, SHT_DYNSYM}) {
    bool found = false;
    for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh) || sh.sh_type != want || sh.sh_entsize == 0) continue;
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (!data) continue;
      found = true;
      std::size_t count = sh.sh_size / sh.sh_entsize;
      for (std::size_t i = 0; i < count; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
        if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || sym.st_value == 0) continue;
        const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
        if (!name || !*name) continue;
        for (const auto& s : segments) {
          if (sym.st_value >= s.vaddr && sym.st_value < s.vaddr + s.filesz) {
            fn(name, sym.st_value - s.vaddr + s.offset, sym.st_size);
            break;
          }
        }
      }
    }
    if (found) return true;
  }
  return false;
}

}  // namespace

Result<std::string> symbol_at_file_offset(const std::filesystem::path& file, std::uint64_t offset) {
  auto f = ElfFile::open(file);
  if (!f) return f.error();
  std::string best;
  std::uint64_t best_start = 0;
  bool exact = false;
  bool any = for_each_function(f->elf(), [&](const char* name, std::uint64_t start, std::uint64_t size) {
    if (offset < start || (size ? offset >= start + size : offset != start)) return;
    // Aliases share an address: keep the first, and prefer a name without a leading underscore.
    if (!best.empty() && start == best_start && !(best[0] == '_' && name[0] != '_')) return;
    if (best.empty() || start >= best_start) {
      best = name;
      best_start = start;
      exact = start == offset;
    }
  });
  if (!any) return make_error(file.string() + " has no symbol table");
  if (best.empty()) return make_error("no function of " + file.string() + " contains offset " + std::to_string(offset));
  if (exact) return best;
  char rel[32];
  std::snprintf(rel, sizeof(rel), "+0x%llx", static_cast<unsigned long long>(offset - best_start));
  return best + rel;
}

Result<std::uint64_t> file_offset_of_symbol(const std::filesystem::path& file, const std::string& name) {
  auto f = ElfFile::open(file);
  if (!f) return f.error();
  std::optional<std::uint64_t> at;
  for_each_function(f->elf(), [&](const char* n, std::uint64_t start, std::uint64_t) {
    if (!at && name == n) at = start;
  });
  if (!at) return make_error(name + " is not a function of " + file.string());
  return *at;
}

}  // namespace sousveil
