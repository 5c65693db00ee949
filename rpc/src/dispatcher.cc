#include "dispatcher.h"

#include <set>
#include <stdexcept>

namespace coproc {

void Dispatcher::add(std::string_view name, Execution execution, Handler handler) {
  auto [it, inserted] =
      methods_.emplace(std::string(name), Method{std::string(name), execution, std::move(handler)});
  if (!inserted) throw std::logic_error("method registered twice: " + std::string(name));
}

const Method* Dispatcher::find(std::string_view name) const {
  auto it = methods_.find(name);
  if (it != methods_.end()) return &it->second;
  return fallback_ ? &*fallback_ : nullptr;
}

void Dispatcher::set_fallback(Execution execution, Handler handler) {
  fallback_ = Method{"*", execution, std::move(handler)};
}

std::vector<std::string> Dispatcher::method_names() const {
  std::vector<std::string> out;
  for (const auto& [name, m] : methods_) out.push_back(name);
  return out;
}

void Dispatcher::add_status_section(std::string name, StatusSection section) {
  sections_.emplace_back(std::move(name), std::move(section));
}

std::vector<std::string> Dispatcher::families() const {
  std::set<std::string> set;
  for (const auto& [name, m] : methods_) set.insert(name.substr(0, name.find('.')));
  return {set.begin(), set.end()};
}

}  // namespace coproc
