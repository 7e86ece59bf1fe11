// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/result.h"
#include "model/device_class.h"
#include "model/event.h"

namespace sousveil {

// Why a record from the kernel was refused. Counted, never silent.
enum class DecodeError : std::uint8_t { Short, SizeMismatch, UnknownKind, BadClass };
inline constexpr int kDecodeErrorCount = 4;

struct DecodeStats {
  std::uint64_t decoded = 0;
  std::uint64_t errors[kDecodeErrorCount] = {};
  std::uint64_t total_errors() const {
    std::uint64_t n = 0;
    for (auto e : errors) n += e;
    return n;
  }
};

// Turns one ring-buffer or iterator record into a typed event. Checks the
// size before reading anything and bounds every string: the bytes may be
// anything. On failure, stats says why.
Result<RawEvent> decode_record(std::span<const std::byte> record, const DeviceClassTable& table,
                               DecodeStats& stats);

}  // namespace sousveil
