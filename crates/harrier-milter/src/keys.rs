//! Reading the link-lock signing keys from a file.
//!
//! The file has one key per line, `KEY_ID SECRET`: a short id of letters and digits, whitespace, and the
//! secret (at least 32 bytes of text). The first key signs new tokens; the others still verify tokens
//! signed before a rotation. Blank lines and lines starting with `#` are ignored.

use std::path::{Path, PathBuf};

use harrier_respond::linklock::LinkKeys;

/// Shortest secret accepted, in bytes: the output size of HMAC-SHA256.
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read the link-lock key file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {problem}; each line is `KEY_ID SECRET`", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        problem: String,
    },
    #[error("the link-lock key file {} has no key", path.display())]
    Empty { path: PathBuf },
}

/// Reads the keys from `path`.
pub fn read_key_file(path: &Path) -> Result<LinkKeys, KeyFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
        path: path.into(),
        source,
    })?;
    parse_keys(&text)
        .map_err(|(line, problem)| KeyFileError::Invalid {
            path: path.into(),
            line,
            problem,
        })?
        .ok_or_else(|| KeyFileError::Empty { path: path.into() })
}

/// Parses the key lines; an error names the line number and the problem.
fn parse_keys(text: &str) -> Result<Option<LinkKeys>, (usize, String)> {
    let mut pairs: Vec<(String, Vec<u8>)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let number = index + 1;
        let Some((id, secret)) = line.split_once(char::is_whitespace) else {
            return Err((number, "missing secret".to_owned()));
        };
        let secret = secret.trim();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err((number, format!("key id {id:?} is not letters and digits")));
        }
        if secret.len() < MIN_SECRET_BYTES {
            return Err((
                number,
                format!(
                    "the secret of key {id} is {} bytes, fewer than {MIN_SECRET_BYTES}",
                    secret.len()
                ),
            ));
        }
        pairs.push((id.to_owned(), secret.as_bytes().to_vec()));
    }
    if pairs.is_empty() {
        return Ok(None);
    }
    let borrowed: Vec<(&str, &[u8])> = pairs
        .iter()
        .map(|(id, secret)| (id.as_str(), secret.as_slice()))
        .collect();
    Ok(Some(LinkKeys::new(&borrowed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_with_comments() {
        let keys = parse_keys(
            "# current first\nk2 0123456789abcdef0123456789abcdef\n\nk1 fedcba9876543210fedcba9876543210\n",
        );
        assert!(matches!(keys, Ok(Some(_))));
    }

    #[test]
    fn short_secret_names_line() {
        let error = parse_keys("k1 0123456789abcdef0123456789abcdef\nk2 short\n")
            .err()
            .expect("a short secret is rejected");
        assert_eq!(error.0, 2);
        assert!(error.1.contains("fewer than 32"), "{}", error.1);
    }

    #[test]
    fn bad_key_id_rejected() {
        let error = parse_keys("k-1 0123456789abcdef0123456789abcdef\n")
            .err()
            .expect("a dash in the id is rejected");
        assert!(error.1.contains("letters and digits"), "{}", error.1);
    }

    #[test]
    fn empty_file_has_no_keys() {
        assert!(matches!(parse_keys("# nothing\n\n"), Ok(None)));
    }
}
