#pragma once
/// @file pickle/opcodes.hpp
/// The pickle opcodes (protocols 0 to 5): byte, pickletools name and how the
/// argument after the byte is laid out. One constexpr table, indexed by the
/// opcode byte, that every pass of the reader reads (the prescan skips
/// arguments by it, the main pass and the item loop decode them by it, error
/// messages name opcodes by it); lookups with a constant byte fold at compile
/// time.

#include <array>
#include <cstddef>
#include <cstdint>

namespace nasbench::pickle {

/// How an opcode's argument is laid out after the opcode byte.
enum class ArgKind : std::uint8_t {
  kNone,           ///< No argument.
  kFixed,          ///< `size` bytes (little-endian integers; BINFLOAT: a big-endian double).
  kLine,           ///< Text up to a newline.
  kTwoLines,       ///< Two newline-terminated texts (module, name).
  kCounted,        ///< An unsigned little-endian length of `size` bytes, then that many bytes.
  kSignedCounted,  ///< A signed little-endian length of `size` bytes (negative: an error), then the bytes.
};

/// One opcode's facts.
struct OpcodeInfo {
  std::uint8_t code = 0;       ///< The opcode byte.
  const char* name = nullptr;  ///< pickletools' name ("BINUNICODE"); nullptr: not an opcode.
  ArgKind arg = ArgKind::kNone;
  std::uint8_t size = 0;  ///< kFixed: argument bytes; k*Counted: length-prefix bytes; else 0.
  std::uint8_t proto = 0;  ///< Protocol that introduced it.
  /// Whether the byte is an opcode.
  [[nodiscard]] constexpr bool known() const noexcept { return name != nullptr; }
};

namespace detail {

// clang-format off
inline constexpr OpcodeInfo kOpcodeList[] = {
    {'(', "MARK", ArgKind::kNone, 0, 0},
    {'.', "STOP", ArgKind::kNone, 0, 0},
    {'0', "POP", ArgKind::kNone, 0, 0},
    {'1', "POP_MARK", ArgKind::kNone, 0, 1},
    {'2', "DUP", ArgKind::kNone, 0, 0},
    {'F', "FLOAT", ArgKind::kLine, 0, 0},
    {'I', "INT", ArgKind::kLine, 0, 0},
    {'J', "BININT", ArgKind::kFixed, 4, 1},
    {'K', "BININT1", ArgKind::kFixed, 1, 1},
    {'L', "LONG", ArgKind::kLine, 0, 0},
    {'M', "BININT2", ArgKind::kFixed, 2, 1},
    {'N', "NONE", ArgKind::kNone, 0, 0},
    {'P', "PERSID", ArgKind::kLine, 0, 0},
    {'Q', "BINPERSID", ArgKind::kNone, 0, 1},
    {'R', "REDUCE", ArgKind::kNone, 0, 0},
    {'S', "STRING", ArgKind::kLine, 0, 0},
    {'T', "BINSTRING", ArgKind::kSignedCounted, 4, 1},
    {'U', "SHORT_BINSTRING", ArgKind::kCounted, 1, 1},
    {'V', "UNICODE", ArgKind::kLine, 0, 0},
    {'X', "BINUNICODE", ArgKind::kCounted, 4, 1},
    {'a', "APPEND", ArgKind::kNone, 0, 0},
    {'b', "BUILD", ArgKind::kNone, 0, 0},
    {'c', "GLOBAL", ArgKind::kTwoLines, 0, 0},
    {'d', "DICT", ArgKind::kNone, 0, 0},
    {'}', "EMPTY_DICT", ArgKind::kNone, 0, 1},
    {'e', "APPENDS", ArgKind::kNone, 0, 1},
    {'g', "GET", ArgKind::kLine, 0, 0},
    {'h', "BINGET", ArgKind::kFixed, 1, 1},
    {'i', "INST", ArgKind::kTwoLines, 0, 0},
    {'j', "LONG_BINGET", ArgKind::kFixed, 4, 1},
    {'l', "LIST", ArgKind::kNone, 0, 0},
    {']', "EMPTY_LIST", ArgKind::kNone, 0, 1},
    {'o', "OBJ", ArgKind::kNone, 0, 1},
    {'p', "PUT", ArgKind::kLine, 0, 0},
    {'q', "BINPUT", ArgKind::kFixed, 1, 1},
    {'r', "LONG_BINPUT", ArgKind::kFixed, 4, 1},
    {'s', "SETITEM", ArgKind::kNone, 0, 0},
    {'t', "TUPLE", ArgKind::kNone, 0, 0},
    {')', "EMPTY_TUPLE", ArgKind::kNone, 0, 1},
    {'u', "SETITEMS", ArgKind::kNone, 0, 1},
    {'G', "BINFLOAT", ArgKind::kFixed, 8, 1},
    {0x80, "PROTO", ArgKind::kFixed, 1, 2},
    {0x81, "NEWOBJ", ArgKind::kNone, 0, 2},
    {0x82, "EXT1", ArgKind::kFixed, 1, 2},
    {0x83, "EXT2", ArgKind::kFixed, 2, 2},
    {0x84, "EXT4", ArgKind::kFixed, 4, 2},
    {0x85, "TUPLE1", ArgKind::kNone, 0, 2},
    {0x86, "TUPLE2", ArgKind::kNone, 0, 2},
    {0x87, "TUPLE3", ArgKind::kNone, 0, 2},
    {0x88, "NEWTRUE", ArgKind::kNone, 0, 2},
    {0x89, "NEWFALSE", ArgKind::kNone, 0, 2},
    {0x8a, "LONG1", ArgKind::kCounted, 1, 2},
    {0x8b, "LONG4", ArgKind::kSignedCounted, 4, 2},
    {'B', "BINBYTES", ArgKind::kCounted, 4, 3},
    {'C', "SHORT_BINBYTES", ArgKind::kCounted, 1, 3},
    {0x8c, "SHORT_BINUNICODE", ArgKind::kCounted, 1, 4},
    {0x8d, "BINUNICODE8", ArgKind::kCounted, 8, 4},
    {0x8e, "BINBYTES8", ArgKind::kCounted, 8, 4},
    {0x8f, "EMPTY_SET", ArgKind::kNone, 0, 4},
    {0x90, "ADDITEMS", ArgKind::kNone, 0, 4},
    {0x91, "FROZENSET", ArgKind::kNone, 0, 4},
    {0x92, "NEWOBJ_EX", ArgKind::kNone, 0, 4},
    {0x93, "STACK_GLOBAL", ArgKind::kNone, 0, 4},
    {0x94, "MEMOIZE", ArgKind::kNone, 0, 4},
    {0x95, "FRAME", ArgKind::kFixed, 8, 4},
    {0x96, "BYTEARRAY8", ArgKind::kCounted, 8, 5},
    {0x97, "NEXT_BUFFER", ArgKind::kNone, 0, 5},
    {0x98, "READONLY_BUFFER", ArgKind::kNone, 0, 5},
};
// clang-format on

constexpr std::array<OpcodeInfo, 256> make_opcode_table() {
  std::array<OpcodeInfo, 256> t{};
  for (std::size_t i = 0; i < t.size(); ++i) t[i].code = static_cast<std::uint8_t>(i);
  for (const OpcodeInfo& o : kOpcodeList) t[o.code] = o;
  return t;
}

}  // namespace detail

/// Every byte's OpcodeInfo (known() false for the bytes that are no opcode).
inline constexpr std::array<OpcodeInfo, 256> kOpcodes = detail::make_opcode_table();

/// The facts of opcode `op`.
[[nodiscard]] constexpr const OpcodeInfo& opcode_info(std::uint8_t op) noexcept { return kOpcodes[op]; }

/// Bytes an opcode with a fixed-size argument occupies, the opcode included.
[[nodiscard]] constexpr std::size_t fixed_opcode_bytes(std::uint8_t op) noexcept {
  return 1 + static_cast<std::size_t>(kOpcodes[op].size);
}

namespace detail {

/// Name of a pickle opcode for messages ("BINUNICODE"), or nullptr if unknown.
inline const char* opcode_name(int op) noexcept {
  return op >= 0 && op < 256 ? kOpcodes[static_cast<std::size_t>(op)].name : nullptr;
}

// Each byte at most once in the list, so no entry overwrites another.
constexpr bool opcode_list_unique() {
  for (std::size_t i = 0; i < std::size(kOpcodeList); ++i)
    for (std::size_t j = i + 1; j < std::size(kOpcodeList); ++j)
      if (kOpcodeList[i].code == kOpcodeList[j].code) return false;
  return true;
}
static_assert(opcode_list_unique(), "an opcode byte is listed twice");

}  // namespace detail

}  // namespace nasbench::pickle
