//! Authentication-Results header parsing (RFC 8601).
//!
//! The parser removes comments, splits the value on `;` outside quoted strings, takes the first word as
//! the authserv-id and reads each later clause as `method[/version]=result` followed by `reason=` and
//! `ptype.property=value` pairs. Clauses that do not fit are dropped from `results` but stay in `raw`.

use serde::Serialize;

/// One Authentication-Results header, raw and parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthenticationResults {
    /// The header value as it appears in the message, unfolded.
    pub raw: String,
    /// The authserv-id: the host or domain that wrote the header. Exchange Online leaves it out.
    pub authserv_id: Option<String>,
    /// The method results, in header order.
    pub results: Vec<AuthResult>,
    /// How many Received headers stand above this header. The host that wrote it is normally the `by`
    /// host of [`crate::MailMessage::received`] at this index, because an MTA adds its Received header
    /// first and its Authentication-Results header above it.
    pub received_above: usize,
}

/// One `method=result` clause, such as `dkim=pass header.d=example.org`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthResult {
    /// The method, lower-cased and without its version (`spf`, `dkim`, `dmarc`, `arc` and others).
    pub method: String,
    /// The result, lower-cased (`pass`, `fail`, `none`, `softfail`, `temperror` and others).
    pub result: String,
    /// The `reason` and `ptype.property` pairs that follow, in order, with names lower-cased.
    pub properties: Vec<(String, String)>,
}

impl AuthenticationResults {
    /// Parses one header value. Clauses that do not parse are left out of `results` and kept in `raw`.
    pub fn parse(raw: &str) -> Self {
        let unfolded = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let cleaned = strip_comments(&unfolded);
        let mut clauses = split_clauses(&cleaned).into_iter().peekable();
        // Exchange Online writes no authserv-id, so its first clause is already a result (`spf=pass`).
        let first_is_result = clauses.peek().is_some_and(|first| tokenize(first).get(1) == Some(&Token::Equals));
        let authserv_id = if first_is_result {
            None
        } else {
            clauses.next().and_then(|first| tokenize(&first).into_iter().next()).and_then(|token| match token {
                Token::Word(word) => Some(word),
                _ => None,
            })
        };
        let results = clauses.filter_map(|clause| parse_clause(&tokenize(&clause))).collect();
        Self { raw: unfolded, authserv_id, results, received_above: 0 }
    }

    /// Returns the result of the first clause for `method` (compared case-insensitively).
    pub fn result_of(&self, method: &str) -> Option<&str> {
        self.results
            .iter()
            .find(|result| result.method.eq_ignore_ascii_case(method))
            .map(|result| result.result.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Equals,
}

/// Removes RFC 5322 comments (nested parentheses), leaving quoted strings intact.
fn strip_comments(value: &str) -> String {
    let mut output = String::with_capacity(value.len());
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escaped = false;
    for character in value.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                output.push(character);
            }
            continue;
        }
        match character {
            '\\' => escaped = true,
            '"' if depth == 0 => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => {
                depth -= 1;
                continue;
            }
            _ => {}
        }
        if depth == 0 {
            output.push(character);
        }
    }
    output
}

/// Splits on `;` outside quoted strings.
fn split_clauses(value: &str) -> Vec<String> {
    let mut clauses = vec![String::new()];
    let mut quoted = false;
    let mut escaped = false;
    for character in value.chars() {
        let last = clauses.last_mut().expect("clauses starts non-empty");
        match character {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                clauses.push(String::new());
                continue;
            }
            _ => {}
        }
        last.push(character);
    }
    clauses.into_iter().filter(|clause| !clause.trim().is_empty()).collect()
}

fn tokenize(clause: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut characters = clause.chars().peekable();
    while let Some(&character) = characters.peek() {
        if character.is_whitespace() {
            characters.next();
        } else if character == '=' {
            characters.next();
            tokens.push(Token::Equals);
        } else if character == '"' {
            characters.next();
            tokens.push(Token::Quoted(read_quoted(&mut characters)));
        } else {
            let mut word = String::new();
            while let Some(&next) = characters.peek() {
                if next.is_whitespace() || next == '=' || next == '"' {
                    break;
                }
                word.push(next);
                characters.next();
            }
            tokens.push(Token::Word(word));
        }
    }
    tokens
}

fn read_quoted(characters: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut text = String::new();
    while let Some(character) = characters.next() {
        match character {
            '\\' => text.extend(characters.next()),
            '"' => break,
            _ => text.push(character),
        }
    }
    text
}

fn token_text(token: Option<&Token>) -> Option<String> {
    match token? {
        Token::Word(text) | Token::Quoted(text) => Some(text.clone()),
        Token::Equals => None,
    }
}

/// Parses `method[/version] = result (name = value)*`.
fn parse_clause(tokens: &[Token]) -> Option<AuthResult> {
    let Some(Token::Word(method)) = tokens.first() else { return None };
    let method = method.split('/').next().unwrap_or_default().to_ascii_lowercase();
    if method.is_empty() || method.contains('.') || tokens.get(1) != Some(&Token::Equals) {
        return None;
    }
    let result = token_text(tokens.get(2))?.to_ascii_lowercase();
    let mut properties = Vec::new();
    let mut rest = &tokens[3..];
    while let [Token::Word(name), Token::Equals, value, tail @ ..] = rest {
        properties.extend(token_text(Some(value)).map(|value| (name.to_ascii_lowercase(), value)));
        rest = tail;
    }
    Some(AuthResult { method, result, properties })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_without_authserv_id_keeps_first_result() {
        let parsed = AuthenticationResults::parse(
            "spf=fail (sender IP is 192.0.2.1) smtp.mailfrom=example.org; dkim=none (message not signed) \
             header.d=none;dmarc=fail action=none header.from=example.org;compauth=fail reason=001",
        );
        assert_eq!(parsed.authserv_id, None);
        assert_eq!(parsed.result_of("spf"), Some("fail"));
        assert_eq!(parsed.result_of("dmarc"), Some("fail"));
        assert_eq!(parsed.result_of("compauth"), Some("fail"));
    }

    #[test]
    fn header_with_authserv_id_reads_it() {
        let parsed = AuthenticationResults::parse("mx.example.net; spf=pass smtp.mailfrom=example.org");
        assert_eq!(parsed.authserv_id.as_deref(), Some("mx.example.net"));
        assert_eq!(parsed.result_of("spf"), Some("pass"));
    }
}
