#pragma once
/// @file fuzz/check_cells.hpp
/// fuzz_cells' check: Structure::parse either fails with a ParseError or
/// gives a cell whose to_string() is the input, byte for byte, and parses back
/// to itself; its queries throw nothing but nasbench::Error.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nasbench/space/topology.hpp"
#include "support.hpp"

namespace nasbench_fuzz {

/// Violation unless `data` parses (and round-trips) or fails with a ParseError.
inline void check_cells(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
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
