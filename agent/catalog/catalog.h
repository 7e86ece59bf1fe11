// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/loader.h"

namespace sousveil::catalog {

// A vendor product a worker should know about, and how to recognise it.
struct Product {
  std::string id;
  std::string name;
  std::string vendor;
  std::string kind;  // employee-monitoring, remote-view, session-recording, endpoint-agent
  std::vector<std::string> captures;
  std::string summary;
  std::vector<std::string> executables;  // globs on the executable path
  std::vector<std::string> packages;
  std::vector<std::string> units;
  std::vector<std::string> autostart;
  std::vector<std::string> browser_extensions;
  std::vector<std::string> domains;
  std::vector<std::string> sources;
  rules::SourcePos pos;
};

// What identifies a running process for the catalog.
struct ProcessIdentity {
  std::string_view exe;
  std::string_view unit;
  std::string_view package;
};

// Whether a unit name matches a catalog entry; templates match their instances.
bool unit_matches(std::string_view pattern, std::string_view unit);

class Catalog {
 public:
  explicit Catalog(std::vector<Product> products) : m_products(std::move(products)) {}
  // The first product whose executable glob, unit or package matches.
  const Product* match(const ProcessIdentity& process) const;
  const Product* find(std::string_view id) const;
  const std::vector<Product>& products() const { return m_products; }

 private:
  std::vector<Product> m_products;
};

struct CatalogLoad {
  std::shared_ptr<const Catalog> catalog;  // null when there were errors
  std::vector<rules::LoadError> errors;
  bool ok() const { return errors.empty() && catalog; }
};

// Loads rules/products/*.yaml (files or directories); all or nothing.
CatalogLoad load_catalog(const std::vector<std::filesystem::path>& sources);

}  // namespace sousveil::catalog
