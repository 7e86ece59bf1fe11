// SPDX-License-Identifier: Apache-2.0
#include "catalog/catalog.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <re2/re2.h>

#include "rules/condition.h"

namespace sousveil::catalog {
namespace {

const std::set<std::string> kKinds = {"employee-monitoring", "remote-view", "session-recording", "endpoint-agent"};
const std::set<std::string> kCaptures = {"keystrokes", "activity", "screen", "camera", "microphone",
                                         "clipboard", "terminal", "apps",     "urls",   "files",
                                         "network",   "email",    "location"};
const std::set<std::string> kKeys = {"product", "name",     "vendor",    "kind",   "captures",
                                     "summary", "recognise", "sources"};
const std::set<std::string> kRecogniseKeys = {"executables", "packages", "units",
                                              "autostart",   "browser_extensions", "domains"};

struct Fail {
  rules::SourcePos pos;
  std::string message;
};

rules::SourcePos pos_of(const std::string& file, const YAML::Node& n) {
  auto m = n.Mark();
  return {file, m.line + 1, m.column + 1};
}

std::vector<std::string> strings(const YAML::Node& n, const std::string& file, const char* key) {
  std::vector<std::string> out;
  if (!n) return out;
  if (!n.IsSequence()) throw Fail{pos_of(file, n), std::string(key) + " takes a list"};
  for (const auto& v : n) {
    if (!v.IsScalar()) throw Fail{pos_of(file, v), std::string(key) + " items are single values"};
    out.push_back(v.Scalar());
  }
  return out;
}

void check_keys(const YAML::Node& n, const std::string& file, const std::set<std::string>& allowed, const char* what) {
  for (const auto& kv : n) {
    auto k = kv.first.as<std::string>();
    if (!allowed.count(k)) throw Fail{pos_of(file, kv.first), "unknown key '" + k + "' in " + what};
  }
}

Product read_product(const YAML::Node& item, const std::string& file) {
  if (!item.IsMap() || !item["product"]) throw Fail{pos_of(file, item), "each catalog item starts with 'product: id'"};
  check_keys(item, file, kKeys, "a product");
  Product p;
  p.pos = pos_of(file, item);
  p.id = item["product"].as<std::string>();
  static const re2::RE2 kId("[a-z0-9][a-z0-9-]*");
  if (!re2::RE2::FullMatch(p.id, kId))
    throw Fail{pos_of(file, item["product"]), "product id '" + p.id + "' must be lower case letters, digits and '-'"};
  for (const char* required : {"name", "kind", "summary", "recognise"})
    if (!item[required]) throw Fail{p.pos, "product '" + p.id + "' has no '" + required + "'"};
  p.name = item["name"].as<std::string>();
  p.vendor = item["vendor"] ? item["vendor"].as<std::string>() : "";
  p.kind = item["kind"].as<std::string>();
  if (!kKinds.count(p.kind))
    throw Fail{pos_of(file, item["kind"]), "unknown product kind '" + p.kind +
                                               "'; expected employee-monitoring, remote-view, session-recording or endpoint-agent"};
  p.captures = strings(item["captures"], file, "captures");
  for (std::size_t i = 0; i < p.captures.size(); ++i)
    if (!kCaptures.count(p.captures[i]))
      throw Fail{pos_of(file, item["captures"][i]), "unknown capture '" + p.captures[i] + "'"};
  p.summary = item["summary"].as<std::string>();
  const auto rec = item["recognise"];
  if (!rec.IsMap()) throw Fail{pos_of(file, rec), "'recognise' is a mapping"};
  check_keys(rec, file, kRecogniseKeys, "recognise");
  p.executables = strings(rec["executables"], file, "executables");
  p.packages = strings(rec["packages"], file, "packages");
  p.units = strings(rec["units"], file, "units");
  p.autostart = strings(rec["autostart"], file, "autostart");
  p.browser_extensions = strings(rec["browser_extensions"], file, "browser_extensions");
  p.domains = strings(rec["domains"], file, "domains");
  if (p.executables.empty() && p.packages.empty() && p.units.empty() && p.autostart.empty() &&
      p.browser_extensions.empty() && p.domains.empty())
    throw Fail{pos_of(file, rec), "product '" + p.id + "' has nothing to recognise it by"};
  p.sources = strings(item["sources"], file, "sources");
  return p;
}

}  // namespace

bool unit_matches(std::string_view pattern, std::string_view unit) {
  // A template ("name@.service") covers every instance ("name@alice.service").
  if (pattern == unit) return true;
  auto at = pattern.find("@.");
  if (at == std::string_view::npos) return false;
  auto head = pattern.substr(0, at + 1), tail = pattern.substr(at + 1);
  return unit.size() > head.size() + tail.size() && unit.substr(0, head.size()) == head &&
         unit.substr(unit.size() - tail.size()) == tail;
}

const Product* Catalog::match(const ProcessIdentity& proc) const {
  for (const auto& p : m_products) {
    if (!proc.exe.empty())
      for (const auto& g : p.executables)
        if (rules::glob_match(g, proc.exe)) return &p;
    if (!proc.unit.empty())
      for (const auto& u : p.units)
        if (unit_matches(u, proc.unit)) return &p;
    if (!proc.package.empty() && std::find(p.packages.begin(), p.packages.end(), proc.package) != p.packages.end())
      return &p;
  }
  return nullptr;
}

const Product* Catalog::find(std::string_view id) const {
  auto it = std::find_if(m_products.begin(), m_products.end(), [&](const Product& p) { return p.id == id; });
  return it == m_products.end() ? nullptr : &*it;
}

CatalogLoad load_catalog(const std::vector<std::filesystem::path>& sources) {
  CatalogLoad out;
  std::vector<Product> products;
  std::set<std::string> ids;
  for (const auto& src : sources) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    if (std::filesystem::is_directory(src, ec)) {
      for (const auto& e : std::filesystem::directory_iterator(src, ec))
        if (e.path().extension() == ".yaml" || e.path().extension() == ".yml") files.push_back(e.path());
      std::sort(files.begin(), files.end());
    } else if (std::filesystem::is_regular_file(src, ec)) {
      files.push_back(src);
    } else {
      out.errors.push_back({{src.string(), 0, 0}, "no such catalog file or directory", ""});
    }
    for (const auto& f : files) {
      YAML::Node doc;
      try {
        doc = YAML::LoadFile(f.string());
      } catch (const YAML::Exception& e) {
        out.errors.push_back({{f.string(), e.mark.line + 1, e.mark.column + 1}, "YAML syntax: " + e.msg, ""});
        continue;
      }
      if (doc.IsNull()) continue;
      if (!doc.IsSequence()) {
        out.errors.push_back({{f.string(), 1, 1}, "a catalog file is a list of products", ""});
        continue;
      }
      for (const auto& item : doc) {
        try {
          auto p = read_product(item, f.string());
          if (!ids.insert(p.id).second) throw Fail{p.pos, "duplicate product id '" + p.id + "'"};
          products.push_back(std::move(p));
        } catch (const Fail& e) {
          out.errors.push_back({e.pos, e.message, ""});
        } catch (const YAML::Exception& e) {
          out.errors.push_back({{f.string(), e.mark.line + 1, e.mark.column + 1}, e.msg, ""});
        }
      }
    }
  }
  if (out.errors.empty()) out.catalog = std::make_shared<const Catalog>(std::move(products));
  return out;
}

}  // namespace sousveil::catalog
