//! Timestamp parsing for the date formats Microsoft's exports use.
//!
//! The same instant arrives as `2021-08-02T13:29:25.983Z` (Graph, Sentinel JSON), `2021-08-02T13:29:25`
//! (Management Activity API `CreationTime`, which is UTC without a designator), `2022-12-12 15:57:57` (some
//! SIEM re-exports) and `4/26/2021, 7:17:10.000 AM` (Log Analytics CSV exports, always UTC). Every form is
//! read as UTC unless it carries its own offset.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};

/// Parses a timestamp in any of the supported forms; `None` when the text is not a timestamp.
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts);
    }
    if let Ok(dt) = text.parse::<DateTime>() {
        return jiff::tz::TimeZone::UTC.to_timestamp(dt).ok();
    }
    parse_us_timestamp(text)
}

/// Parses the US month-first form `M/D/YYYY, h:mm:ss[.fff] AM` (the comma is optional, and a 24-hour time
/// without AM/PM is accepted).
fn parse_us_timestamp(text: &str) -> Option<Timestamp> {
    let (date_part, time_part) = text.split_once([',', ' '])?;
    let mut date_fields = date_part.split('/');
    let month: i8 = date_fields.next()?.trim().parse().ok()?;
    let day: i8 = date_fields.next()?.trim().parse().ok()?;
    let year: i16 = date_fields.next()?.trim().parse().ok()?;
    if date_fields.next().is_some() {
        return None;
    }

    let time_part = time_part.trim();
    let (clock, meridiem) = match time_part.rsplit_once(' ') {
        Some((clock, m)) if m.eq_ignore_ascii_case("AM") || m.eq_ignore_ascii_case("PM") => {
            (clock.trim(), Some(m.eq_ignore_ascii_case("PM")))
        }
        _ => (time_part, None),
    };
    let mut clock_fields = clock.split(':');
    let mut hour: i8 = clock_fields.next()?.parse().ok()?;
    let minute: i8 = clock_fields.next()?.parse().ok()?;
    let seconds = clock_fields.next().unwrap_or("0");
    if clock_fields.next().is_some() {
        return None;
    }
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    let second: i8 = whole.parse().ok()?;
    let nanos = parse_fraction(fraction)?;
    match meridiem {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }

    let date = Date::new(year, month, day).ok()?;
    let time = Time::new(hour, minute, second, nanos).ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(date.to_datetime(time)).ok()
}

/// Turns the digits after a decimal point into nanoseconds, ignoring digits past the ninth.
fn parse_fraction(digits: &str) -> Option<i32> {
    if digits.is_empty() {
        return Some(0);
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos: i32 = 0;
    for i in 0..9 {
        let digit = digits.as_bytes().get(i).map_or(0, |b| i32::from(b - b'0'));
        nanos = nanos * 10 + digit;
    }
    Some(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        parse_timestamp(text).unwrap_or_else(|| panic!("{text:?} did not parse")).as_millisecond()
    }

    #[test]
    fn iso_forms_agree() {
        let expected = ms("2021-08-02T13:29:25.983Z");
        assert_eq!(ms("2021-08-02T13:29:25.9830000+00:00"), expected);
        assert_eq!(ms("2021-08-02T13:29:25.983"), expected);
        assert_eq!(ms("2021-08-02 13:29:25.983"), expected);
        assert_eq!(ms("2021-08-02T15:29:25.983+02:00"), expected);
    }

    #[test]
    fn log_analytics_form() {
        assert_eq!(ms("4/26/2021, 7:17:10.000 AM"), ms("2021-04-26T07:17:10Z"));
        assert_eq!(ms("4/28/2021, 3:05:26.000 PM"), ms("2021-04-28T15:05:26Z"));
        assert_eq!(ms("4/28/2021, 12:05:26.500 AM"), ms("2021-04-28T00:05:26.5Z"));
        assert_eq!(ms("4/28/2021 12:05:26 PM"), ms("2021-04-28T12:05:26Z"));
    }

    #[test]
    fn garbage_is_rejected() {
        for text in ["", "yesterday", "13/40/2021, 1:00:00 AM", "2021-02-30T00:00:00Z", "1/2/3/4, 1:00 AM"] {
            assert_eq!(parse_timestamp(text), None, "{text:?}");
        }
    }
}
