//! Object names in the Amazon Security Lake layout for custom sources.
//!
//! Every file lands under `ext/<source>/region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/`. The file
//! name contains the range of findings-log sequence numbers it was built from, so the same batch always gets
//! the same name and writing it again replaces it instead of adding a copy.

use jiff::civil::Date;

use crate::encode::Format;
use crate::error::ExportError;

/// Security Lake allows custom source names of at most 20 characters.
pub const MAX_SOURCE_LEN: usize = 20;

/// The folder layout of files inside the destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    source: String,
    region: String,
    account: String,
}

impl Layout {
    /// Checks the parts of the path. `source` is the custom source name registered in Security Lake,
    /// `region` the AWS region and `account` the AWS account id of the source.
    pub fn new(source: &str, region: &str, account: &str) -> Result<Layout, ExportError> {
        if source.is_empty() || source.len() > MAX_SOURCE_LEN {
            return Err(ExportError::Config(format!(
                "source name {source:?} must have 1 to {MAX_SOURCE_LEN} characters (a Security Lake limit)"
            )));
        }
        check_part("source name", source, |c| c.is_ascii_alphanumeric() || c == '-' || c == '_')?;
        check_part("region", region, |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')?;
        check_part("account", account, |c| c.is_ascii_alphanumeric() || c == '-' || c == '_')?;
        Ok(Layout { source: source.to_owned(), region: region.to_owned(), account: account.to_owned() })
    }

    /// Returns the folder of one event day, without a leading or trailing slash.
    pub fn day_dir(&self, day: Date) -> String {
        format!(
            "ext/{}/region={}/accountId={}/eventDay={:04}{:02}{:02}",
            self.source,
            self.region,
            self.account,
            day.year(),
            day.month(),
            day.day()
        )
    }

    /// Returns the key of the file with the findings of `day` from log entries `first..=last`.
    pub fn key(&self, day: Date, first: u64, last: u64, format: Format) -> String {
        format!("{}/{}.{}", self.day_dir(day), batch_name(&self.source, first, last), format.extension())
    }
}

/// Returns the file name stem of a batch: the source and the zero-padded range of sequence numbers.
pub fn batch_name(source: &str, first: u64, last: u64) -> String {
    format!("{source}-{first:012}-{last:012}")
}

/// Reads the range of sequence numbers back from a file name made by [`Layout::key`].
pub fn parse_batch_range(file_name: &str) -> Option<(u64, u64)> {
    let stem = file_name.rsplit_once('.').map_or(file_name, |(stem, _)| stem);
    let mut parts = stem.rsplitn(3, '-');
    let last = parts.next()?.parse().ok()?;
    let first = parts.next()?.parse().ok()?;
    parts.next()?;
    Some((first, last))
}

fn check_part(what: &str, value: &str, allowed: impl Fn(char) -> bool) -> Result<(), ExportError> {
    if value.is_empty() || !value.chars().all(allowed) {
        return Err(ExportError::Config(format!(
            "{what} {value:?} is not valid in a Security Lake path: use letters, digits, '-' or '_'"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_follows_security_lake_layout() {
        let layout = Layout::new("harrier", "eu-west-1", "123456789012").unwrap();
        let key = layout.key(jiff::civil::date(2026, 3, 7), 1, 4096, Format::Parquet);
        assert_eq!(
            key,
            "ext/harrier/region=eu-west-1/accountId=123456789012/eventDay=20260307/harrier-000000000001-000000004096.parquet"
        );
        let file = key.rsplit('/').next().unwrap();
        assert_eq!(parse_batch_range(file), Some((1, 4096)));
    }

    #[test]
    fn source_name_limit() {
        assert!(Layout::new("harrier-findings-2026", "us-east-1", "1").is_err());
        assert!(Layout::new("harrier-findings-202", "us-east-1", "1").is_ok());
        assert!(Layout::new("harrier/x", "us-east-1", "1").is_err());
        assert!(Layout::new("harrier", "../x", "1").is_err());
    }

    #[test]
    fn parse_rejects_other_names() {
        assert_eq!(parse_batch_range("notes.txt"), None);
        assert_eq!(parse_batch_range("harrier-12.parquet"), None);
    }
}
