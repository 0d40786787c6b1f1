#pragma once
/// @file fuzz/check_cells.hpp
/// fuzz_cells' check: Structure::parse either fails with a ParseError or
/// gives a cell whose to_string() is the input, byte for byte, and parses back
/// to itself; its queries throw nothing but nasbench::Error. The same bytes go
/// through Channels::parse (the size space's `8:16:24:32:40`), with the same
/// round trip and index() / from_index() agreeing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nasbench/space/size.hpp"
#include "nasbench/space/topology.hpp"
#include "support.hpp"

namespace nasbench_fuzz {

/// Violation unless `text` parses as channels (and round-trips: str() is the
/// text, index() is in range and from_index() gives it back) or fails with a ParseError.
inline void check_channels(std::string_view text) {
  std::optional<nasbench::Channels> c;
  try {
    c = nasbench::Channels::parse(text);
  } catch (const nasbench::ParseError& e) {
    if (e.position() > text.size())
      throw Violation("Channels::parse: ParseError position " + std::to_string(e.position()) + " is past the input (" +
                      std::to_string(text.size()) + " bytes)");
    if (nasbench::Channels::try_parse(text)) throw Violation("Channels::try_parse accepts what parse rejects");
    return;
  } catch (...) {
    throw Violation("Channels::parse threw something other than ParseError: " + describe_current_exception());
  }
  if (!nasbench::Channels::try_parse(text) || *nasbench::Channels::try_parse(text) != *c)
    throw Violation("Channels::try_parse disagrees with parse");
  if (!nasbench::looks_like_channels(text)) throw Violation("looks_like_channels is false for a parsed channels string");
  std::string back;
  only_nasbench_errors("Channels::str", [&] { back = c->str(); });
  if (back != text) throw Violation("str() of parsed channels is \"" + back + "\", not the input");
  const std::size_t index = c->index();
  if (index >= nasbench::kSizeSpaceSize) throw Violation("Channels::index() " + std::to_string(index) + " is out of range");
  only_nasbench_errors("Channels::from_index", [&] {
    if (nasbench::Channels::from_index(index) != *c)
      throw Violation("from_index(index()) of \"" + back + "\" is " + nasbench::Channels::from_index(index).str());
  });
}

/// Violation unless `data` parses (and round-trips) or fails with a ParseError,
/// as a cell and as size-space channels.
inline void check_cells(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_channels(text);
  std::optional<nasbench::Structure> cell;
  try {
    cell = nasbench::Structure::parse(text);
  } catch (const nasbench::ParseError&) {
    return;
  } catch (...) {
    throw Violation("Structure::parse threw something other than ParseError: " + describe_current_exception());
  }
  std::string back;
  only_nasbench_errors("Structure::to_string", [&] { back = cell->to_string(); });
  if (back != text) throw Violation("to_string() of a parsed cell is \"" + back + "\", not the input");
  only_nasbench_errors("Structure::parse(to_string())", [&] {
    if (nasbench::Structure::parse(back).to_string() != back)
      throw Violation("to_string() does not parse back to itself: \"" + back + "\"");
  });
  only_nasbench_errors("Structure::check_valid", [&] { (void)cell->check_valid(); });
  only_nasbench_errors("official_index", [&] { (void)nasbench::official_index(*cell); });
  only_nasbench_errors("canonical_index", [&] { (void)nasbench::canonical_index(*cell); });
  only_nasbench_errors("Structure::to_unique_str", [&] { (void)cell->to_unique_str(true); });
  only_nasbench_errors("Structure::to_unique_str(false)", [&] { (void)cell->to_unique_str(false); });
  only_nasbench_errors("Structure::to_matrix", [&] { (void)cell->to_matrix(); });
  only_nasbench_errors("Structure::tolist", [&] { (void)cell->tolist(nasbench::Op::kNone); });
}

}  // namespace nasbench_fuzz
