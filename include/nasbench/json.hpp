#pragma once
/// @file json.hpp
/// The json layer, the only nlohmann user of the core: the Python form of
/// every query result and the JSON-lines protocol of `nasbench query`.
#include "nasbench/json/protocol.hpp"
#include "nasbench/json/records.hpp"
