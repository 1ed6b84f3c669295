//! Simulation time: milliseconds since the Unix epoch in UTC, and the two text forms the exports use.
//!
//! The Management Activity API writes `CreationTime` without a zone (`2026-01-05T09:21:07`, meaning UTC);
//! Microsoft Graph writes `createdDateTime` with one (`2026-01-05T09:21:07Z`). Formatting is done by hand
//! because it runs for every record.

/// Milliseconds since 1970-01-01T00:00:00Z.
pub(crate) type Millis = i64;

pub(crate) const SECOND: Millis = 1_000;
pub(crate) const MINUTE: Millis = 60 * SECOND;
pub(crate) const HOUR: Millis = 60 * MINUTE;
pub(crate) const DAY: Millis = 24 * HOUR;

/// Returns the Unix day number of a civil date.
pub(crate) fn epoch_day(date: jiff::civil::Date) -> i64 {
    let (year, month, day) = (
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    days_from_civil(year, month, day)
}

/// Returns the weekday of a Unix day, 0 for Monday through 6 for Sunday.
pub(crate) fn weekday(epoch_day: i64) -> u32 {
    // 1970-01-01 was a Thursday.
    (epoch_day + 3).rem_euclid(7) as u32
}

/// Howard Hinnant's `days_from_civil`: the Unix day number of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Howard Hinnant's `civil_from_days`: the year, month and day of a Unix day number.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Writes `YYYY-MM-DD` for a Unix day number.
pub(crate) fn date_text(epoch_day: i64) -> String {
    let (year, month, day) = civil_from_days(epoch_day);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Formats `time` as `YYYY-MM-DDTHH:MM:SS`, followed by `Z` when `zone` is set, into `buffer`.
fn format(time: Millis, zone: bool, buffer: &mut [u8; 20]) -> &str {
    let seconds = time.div_euclid(SECOND);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    let fields = [
        (0, 4, year.clamp(0, 9999) as u32),
        (5, 2, month),
        (8, 2, day),
        (11, 2, (of_day / 3600) as u32),
        (14, 2, (of_day / 60 % 60) as u32),
        (17, 2, (of_day % 60) as u32),
    ];
    *buffer = *b"0000-00-00T00:00:00Z";
    for (start, width, mut value) in fields {
        for position in (start..start + width).rev() {
            buffer[position] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    let length = if zone { 20 } else { 19 };
    std::str::from_utf8(&buffer[..length]).expect("digits and separators are ASCII")
}

/// A time written as the Management Activity API writes `CreationTime`: UTC, without a zone designator.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AuditTime(pub Millis);

/// A time written as Microsoft Graph writes `createdDateTime`: UTC with a `Z`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GraphTime(pub Millis);

impl serde::Serialize for AuditTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = [0u8; 20];
        serializer.serialize_str(format(self.0, false, &mut buffer))
    }
}

impl serde::Serialize for GraphTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = [0u8; 20];
        serializer.serialize_str(format(self.0, true, &mut buffer))
    }
}

impl std::fmt::Display for GraphTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buffer = [0u8; 20];
        f.write_str(format(self.0, true, &mut buffer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_jiff() {
        for seconds in [0i64, 951_782_400, 1_767_571_267, 4_102_444_799] {
            let expected = jiff::Timestamp::from_second(seconds)
                .unwrap()
                .strftime("%Y-%m-%dT%H:%M:%S")
                .to_string();
            let mut buffer = [0u8; 20];
            assert_eq!(format(seconds * SECOND, false, &mut buffer), expected);
            assert_eq!(
                GraphTime(seconds * SECOND).to_string(),
                format!("{expected}Z")
            );
        }
    }

    #[test]
    fn civil_round_trip() {
        let date = jiff::civil::date(2026, 1, 5);
        let day = epoch_day(date);
        assert_eq!(date_text(day), "2026-01-05");
        assert_eq!(weekday(day), 0, "2026-01-05 is a Monday");
        assert_eq!(
            jiff::Timestamp::from_millisecond(day * DAY)
                .unwrap()
                .to_string(),
            "2026-01-05T00:00:00Z"
        );
    }
}
