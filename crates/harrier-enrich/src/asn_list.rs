//! Hand-kept lists that class whole autonomous systems.
//!
//! The range lists in the snapshot cover large providers only. Small hosting companies, VPN
//! operators' own networks and mobile carriers are classed by ASN from text lists instead. The
//! reviewed lists in `data/ipintel/` are compiled in, and operators can add or replace them.

use harrier_model::IpClass;

use crate::error::IntelError;

/// The reviewed list of hosting, cloud, CDN and VPN ASNs shipped with harrier.
pub(crate) const BUILTIN_HOSTING: &str = include_str!("../../../data/ipintel/hosting-asns.txt");
/// The reviewed list of mobile-carrier ASNs shipped with harrier.
pub(crate) const BUILTIN_MOBILE: &str = include_str!("../../../data/ipintel/mobile-asns.txt");

/// One listed ASN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AsnClass {
    pub(crate) asn: u32,
    pub(crate) class: IpClass,
    pub(crate) name: Box<str>,
}

/// ASN classes from all loaded lists, sorted by ASN.
#[derive(Default)]
pub(crate) struct AsnClasses {
    entries: Vec<AsnClass>,
}

impl AsnClasses {
    /// Adds a parsed list. An ASN already present takes the class and name from `list`, so
    /// lists loaded later override earlier ones.
    pub(crate) fn extend(&mut self, list: Vec<AsnClass>) {
        for entry in list {
            match self
                .entries
                .binary_search_by_key(&entry.asn, |existing| existing.asn)
            {
                Ok(position) => self.entries[position] = entry,
                Err(position) => self.entries.insert(position, entry),
            }
        }
    }

    #[inline]
    pub(crate) fn get(&self, asn: u32) -> Option<&AsnClass> {
        self.entries
            .binary_search_by_key(&asn, |entry| entry.asn)
            .ok()
            .map(|position| &self.entries[position])
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Parses a list of `ASN<TAB>class<TAB>name` lines. Blank lines and lines starting with `#` are
/// skipped. The ASN may carry an `AS` prefix. `origin` names the list in errors.
pub(crate) fn parse(origin: &str, text: &str) -> Result<Vec<AsnClass>, IntelError> {
    let mut entries: Vec<AsnClass> = Vec::new();

    for (index, raw_line) in text.lines().enumerate() {
        let line = raw_line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let error = |detail: String| IntelError::InvalidAsnList {
            origin: origin.to_owned(),
            line: index + 1,
            detail,
        };

        let fields: Vec<&str> = line.split('\t').collect();
        let [asn, class, name] = fields[..] else {
            return Err(error(format!(
                "expected 3 tab-separated fields (ASN, class, name), found {}",
                fields.len()
            )));
        };
        let asn = parse_asn(asn).map_err(&error)?;
        let class = parse_class(class).map_err(&error)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(error("the name field is empty".to_owned()));
        }
        if entries.iter().any(|entry| entry.asn == asn) {
            return Err(error(format!("AS{asn} is listed twice")));
        }

        entries.push(AsnClass {
            asn,
            class,
            name: name.into(),
        });
    }
    Ok(entries)
}

fn parse_asn(field: &str) -> Result<u32, String> {
    let field = field.trim();
    let digits = field
        .strip_prefix("AS")
        .or_else(|| field.strip_prefix("as"))
        .unwrap_or(field);
    match digits.parse::<u32>() {
        Ok(0) => Err("AS0 is reserved and cannot be listed".to_owned()),
        Ok(asn) => Ok(asn),
        Err(_) => Err(format!("{field:?} is not an ASN such as AS396073")),
    }
}

/// Parses a class name. Only classes that make sense for a whole autonomous system are
/// accepted: residential lets an operator undo a class from the built-in lists.
fn parse_class(field: &str) -> Result<IpClass, String> {
    match field.trim() {
        "hosting" => Ok(IpClass::Hosting),
        "cloud" => Ok(IpClass::Cloud),
        "cdn" => Ok(IpClass::Cdn),
        "vpn" => Ok(IpClass::Vpn),
        "mobile" => Ok(IpClass::Mobile),
        "residential" => Ok(IpClass::Residential),
        other => Err(format!(
            "class {other:?} is not one of hosting, cloud, cdn, vpn, mobile, residential"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_comments_and_prefixes() {
        let text =
            "# comment\n\nAS396073\thosting\tMajestic Hosting\r\n21928\tmobile\tT-Mobile USA\n";
        let entries = parse("test", text).unwrap();

        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].asn, 396073);
        assert_eq!(entries[0].class, IpClass::Hosting);
        assert_eq!(&*entries[0].name, "Majestic Hosting");
        assert_eq!(entries[1].asn, 21928);
        assert_eq!(entries[1].class, IpClass::Mobile);
    }

    #[test]
    fn parse_rejects_bad_lines() {
        let cases = [
            ("AS1\thosting", "expected 3 tab-separated fields"),
            ("ASX\thosting\tname", "is not an ASN"),
            ("AS0\thosting\tname", "AS0 is reserved"),
            ("AS1\ttor\tname", "class \"tor\" is not one of"),
            ("AS1\thosting\t  ", "name field is empty"),
            ("AS1\thosting\ta\nAS1\tcdn\tb", "AS1 is listed twice"),
        ];
        for (text, expected) in cases {
            let error = parse("list.txt", text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text:?} gave {error:?}");
            assert!(
                error.contains("list.txt"),
                "{error:?} does not name the list"
            );
        }
    }

    #[test]
    fn extend_lets_later_lists_override() {
        let mut classes = AsnClasses::default();
        classes.extend(parse("a", "AS5\tmobile\tCarrier\nAS7\thosting\tHost").unwrap());
        classes.extend(parse("b", "AS5\tresidential\tCarrier fixed").unwrap());

        assert_eq!(classes.len(), 2);
        assert_eq!(classes.get(5).unwrap().class, IpClass::Residential);
        assert_eq!(classes.get(7).unwrap().class, IpClass::Hosting);
        assert!(classes.get(6).is_none());
    }

    #[test]
    fn builtin_lists_parse() {
        let hosting = parse("hosting-asns.txt", BUILTIN_HOSTING).unwrap();
        let mobile = parse("mobile-asns.txt", BUILTIN_MOBILE).unwrap();

        assert!(
            hosting
                .iter()
                .any(|entry| entry.asn == 396073 && entry.class == IpClass::Hosting)
        );
        assert!(mobile.iter().all(|entry| entry.class == IpClass::Mobile));
        assert!(!mobile.is_empty());
    }
}
