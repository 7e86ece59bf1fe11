// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sousveil::rules {

// Every field a rule can test. The table in fields.cpp gives each its name,
// type and place in the JSON form of an event (docs/events.md): one
// definition serves rules, templates, replayed events and examples.
enum class FieldId : std::uint16_t {
  Kind,
  Source,
  Result,
  DeviceClass,
  DeviceDetail,
  DeviceMajor,
  DeviceMinor,
  DevicePath,
  DeviceName,
  AccessMode,
  AccessFlags,
  AccessFd,
  IoctlCmd,
  IoctlName,
  IoctlArg,
  ReadBytes,
  ReadRate,
  TargetPid,
  TargetName,
  TargetExe,
  TargetUser,
  TargetUid,
  TargetAccess,
  SocketPath,
  SocketFamily,
  SocketPort,
  SocketService,
  X11Display,
  X11Request,
  X11Detail,
  X11Rate,
  X11Extension,
  X11Client,
  X11Mask,
  X11Count,
  X11Root,
  DbusBus,
  DbusInterface,
  DbusMember,
  DbusPath,
  DbusDestination,
  DbusDetail,
  PipewireMediaClass,
  PipewireNode,
  PipewireCapture,
  BpfProgType,
  BpfProgName,
  BpfAttachPoint,
  BpfHelpers,
  InjectionVariable,
  InjectionLibrary,
  PostureCheck,
  PostureEvidence,
  PostureLevel,
  PostureSubject,
  PostureDetail,
  PostureState,
  ProcessName,
  ProcessExe,
  ProcessExeInode,
  ProcessCmdline,
  ProcessArgs,
  ProcessPid,
  ProcessPpid,
  ProcessUid,
  ProcessEuid,
  ProcessUser,
  ProcessUnit,
  ProcessPackage,
  ProcessProduct,
  ParentName,
  ParentExe,
  AncestorNames,
  AncestorExes,
  Count_,
};
inline constexpr std::size_t kFieldCount = static_cast<std::size_t>(FieldId::Count_);

enum class FieldType : std::uint8_t { String, Number, List };

struct FieldInfo {
  FieldId id;
  std::string_view name;  // as written in rules: "device.class"
  FieldType type;
  std::string_view json;  // where it sits in the JSON event: "/device/class"; "*" marks a list walk
  std::string_view doc;
};

std::span<const FieldInfo> all_fields();
const FieldInfo& field_info(FieldId id);
std::optional<FieldId> field_by_name(std::string_view name);

// The event kinds rules may name: those the sensors produce now and those the
// architecture names for sensors to come.
std::span<const std::string_view> all_event_kinds();
bool is_event_kind(std::string_view kind);

// A field's value in one event. Strings and lists point into the event.
struct FieldValue {
  enum class Type : std::uint8_t { Missing, Number, String, List };
  Type type = Type::Missing;
  std::int64_t number = 0;
  std::string_view string;
  const std::vector<std::string>* list = nullptr;

  static FieldValue missing() { return {}; }
  static FieldValue of(std::int64_t n) { return {Type::Number, n, {}, nullptr}; }
  static FieldValue of(std::string_view s) { return {Type::String, 0, s, nullptr}; }
  static FieldValue of(const std::vector<std::string>& l) { return {Type::List, 0, {}, &l}; }
  // The value as text, for explanations: numbers in decimal, lists space-joined.
  std::string to_text() const;
};

// Anything rules can be evaluated over.
class EventFields {
 public:
  virtual ~EventFields() = default;
  virtual FieldValue get(FieldId id) const = 0;
};

}  // namespace sousveil::rules
