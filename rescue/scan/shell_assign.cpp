// Shell assignment lexer (see shell_assign.hpp). One pass over the text;
// a quote never runs past the end of its line (an unterminated quote is
// far more often a typo than a deliberate multi-line value), a backslash
// before a newline outside quotes joins the lines as bash does.
#include "rescue/scan/shell_assign.hpp"

namespace kvmr::scan {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

// A '$' that bash would expand: $NAME, ${...}, $(...), $1, $?, ...
bool starts_expansion(std::string_view s, std::size_t i) {
  if (i + 1 >= s.size()) {
    return false;
  }
  const char n = s[i + 1];
  return is_name_char(n) || n == '{' || n == '(' || n == '?' || n == '$' || n == '!' || n == '#' ||
         n == '@' || n == '*' || n == '-';
}

// The text of a line that is not an assignment is not quoted: it could be
// anything pasted there, a password included.
constexpr const char *kNotAssignment = "not an assignment; line ignored";

std::string excerpt(std::string_view s) {
  constexpr std::size_t kMax = 60;
  std::string out(s.substr(0, kMax));
  if (s.size() > kMax) {
    out += "...";
  }
  return out;
}

class Lexer {
public:
  Lexer(std::string_view text, const std::string &file, ShellAssignments &out)
      : s_(text), file_(file), out_(out) {}

  void run() {
    while (i_ < s_.size()) {
      statement();
    }
  }

private:
  [[nodiscard]] bool at_end() const { return i_ >= s_.size(); }
  [[nodiscard]] char peek() const { return s_[i_]; }
  // True at '\r' or '\n' (a CRLF's '\r' is treated as part of the line end).
  [[nodiscard]] bool at_line_end() const {
    return at_end() || peek() == '\n' ||
           (peek() == '\r' && (i_ + 1 == s_.size() || s_[i_ + 1] == '\n'));
  }

  void warn(int line, std::string message) {
    out_.warnings.push_back(SourceNote{file_, line, std::move(message)});
  }

  void skip_blanks() {
    while (!at_end()) {
      if (is_blank(peek())) {
        ++i_;
      } else if (peek() == '\\' && i_ + 1 < s_.size() && s_[i_ + 1] == '\n') {
        i_ += 2; // line continuation between words
        ++line_;
      } else {
        break;
      }
    }
  }

  void skip_to_line_end() {
    while (!at_end() && peek() != '\n') {
      ++i_;
    }
    if (!at_end()) {
      ++i_;
      ++line_;
    }
  }

  // NAME at the cursor (without moving); empty when there is none.
  [[nodiscard]] std::string_view name_here() const {
    if (at_end() || !is_name_start(peek())) {
      return {};
    }
    std::size_t e = i_;
    while (e < s_.size() && is_name_char(s_[e])) {
      ++e;
    }
    return s_.substr(i_, e - i_);
  }

  // NAME= or NAME+= at the cursor.
  [[nodiscard]] bool assignment_here() const {
    const std::string_view name = name_here();
    if (name.empty()) {
      return false;
    }
    const std::size_t e = i_ + name.size();
    return e < s_.size() &&
           (s_[e] == '=' || (s_[e] == '+' && e + 1 < s_.size() && s_[e + 1] == '='));
  }

  void statement() {
    skip_blanks();
    if (at_end()) {
      return;
    }
    if (peek() == '\n' || peek() == '\r' || peek() == '#') {
      skip_to_line_end();
      return;
    }
    if (peek() == ';') {
      ++i_;
      return;
    }
    const int start_line = line_;
    if (name_here() == "export" || name_here() == "declare" || name_here() == "readonly") {
      const std::size_t save = i_;
      i_ += name_here().size();
      if (at_end() || is_blank(peek()) || at_line_end()) {
        exported_names(start_line);
        return;
      }
      i_ = save;
    }
    if (!assignment_here()) {
      warn(start_line, kNotAssignment);
      skip_to_line_end();
      return;
    }
    assignments(start_line);
  }

  // "export A=1 B" : assignments and bare names (which only export).
  void exported_names(int start_line) {
    while (true) {
      skip_blanks();
      if (at_line_end() || peek() == '#' || peek() == ';') {
        break;
      }
      if (assignment_here()) {
        assignment();
      } else if (!name_here().empty()) {
        i_ += name_here().size();
      } else if (peek() == '-') { // declare -x, export -n ...
        while (!at_end() && !is_blank(peek()) && !at_line_end()) {
          ++i_;
        }
      } else {
        warn(start_line, kNotAssignment);
        skip_to_line_end();
        return;
      }
    }
    end_of_statement(start_line);
  }

  // One or more NAME=value words; anything else after them would run as a
  // command with the values in its environment only.
  void assignments(int start_line) {
    while (true) {
      assignment();
      skip_blanks();
      if (!assignment_here()) {
        break;
      }
    }
    end_of_statement(start_line);
  }

  void end_of_statement(int start_line) {
    skip_blanks();
    if (at_end()) {
      return;
    }
    if (peek() == ';') {
      ++i_;
      return;
    }
    if (peek() == '#' || at_line_end()) {
      skip_to_line_end();
      return;
    }
    warn(start_line, "text after the assignment would run as a command; assignment kept, "
                     "text ignored");
    skip_to_line_end();
  }

  void assignment() {
    const int start_line = line_;
    const std::string name(name_here());
    i_ += name.size();
    const bool append = peek() == '+';
    i_ += append ? 2 : 1;
    bool expansion = false;
    std::string value;
    while (!at_end() && !is_blank(peek()) && peek() != ';' && !at_line_end()) {
      const char c = peek();
      if (c == '\'') {
        single_quoted(value, name);
      } else if (c == '"') {
        double_quoted(value, name, expansion);
      } else if (c == '\\') {
        if (i_ + 1 < s_.size() && s_[i_ + 1] == '\n') {
          i_ += 2;
          ++line_;
        } else if (i_ + 1 < s_.size() && !(s_[i_ + 1] == '\r' && at_crlf(i_ + 1))) {
          value += s_[i_ + 1];
          i_ += 2;
        } else {
          ++i_; // a trailing backslash: nothing to escape
        }
      } else {
        if ((c == '$' && starts_expansion(s_, i_)) || c == '`') {
          expansion = true;
        }
        value += c;
        ++i_;
      }
    }
    if (expansion) {
      warn(start_line, name + " holds a shell expansion, kept unexpanded: " + excerpt(value));
    }
    if (append) {
      value = out_.get(name) + value;
    }
    out_.values[name] = std::move(value);
    out_.lines[name] = start_line;
  }

  [[nodiscard]] bool at_crlf(std::size_t j) const {
    return j < s_.size() && s_[j] == '\r' && (j + 1 == s_.size() || s_[j + 1] == '\n');
  }

  void single_quoted(std::string &value, const std::string &name) {
    ++i_;
    while (!at_line_end() && peek() != '\'') {
      value += peek();
      ++i_;
    }
    if (!at_end() && peek() == '\'') {
      ++i_;
    } else {
      warn(line_, name + ": unterminated single quote; value taken to the end of the line");
    }
  }

  void double_quoted(std::string &value, const std::string &name, bool &expansion) {
    ++i_;
    while (!at_line_end() && peek() != '"') {
      const char c = peek();
      if (c == '\\' && i_ + 1 < s_.size()) {
        const char n = s_[i_ + 1];
        if (n == '"' || n == '\\' || n == '$' || n == '`') {
          value += n;
          i_ += 2;
          continue;
        }
      }
      if ((c == '$' && starts_expansion(s_, i_)) || c == '`') {
        expansion = true;
      }
      value += c;
      ++i_;
    }
    if (!at_end() && peek() == '"') {
      ++i_;
    } else {
      warn(line_, name + ": unterminated double quote; value taken to the end of the line");
    }
  }

  std::string_view s_;
  const std::string &file_;
  ShellAssignments &out_;
  std::size_t i_ = 0;
  int line_ = 1;
};

} // namespace

const std::string *ShellAssignments::find(const std::string &key) const {
  const auto it = values.find(key);
  return it == values.end() ? nullptr : &it->second;
}

std::string ShellAssignments::get(const std::string &key) const {
  const std::string *v = find(key);
  return v != nullptr ? *v : std::string();
}

int ShellAssignments::line_of(const std::string &key) const {
  const auto it = lines.find(key);
  return it == lines.end() ? 0 : it->second;
}

ShellAssignments parse_shell_assignments(std::string_view text, const std::string &file) {
  ShellAssignments out;
  Lexer(text, file, out).run();
  return out;
}

} // namespace kvmr::scan
