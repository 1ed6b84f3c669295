//! Approximate country centroids and great-circle distances, for travel-speed checks.

/// Approximate geographic centre (latitude, longitude in degrees) of each country, by ISO 3166-1 alpha-2
/// code: the most populous countries, every European country and a few busy travel hubs. The values are
/// estimates written from public atlas figures and rounded to about 0.1 degree. A centre does not tell
/// where in a large country a client was.
const CENTROIDS: [(&str, f64, f64); 154] = [
    ("AD", 42.5, 1.5), ("AE", 23.4, 53.8), ("AF", 33.9, 67.7), ("AL", 41.2, 20.2), ("AM", 40.1, 45.0),
    ("AO", -11.2, 17.9), ("AR", -38.4, -63.6), ("AT", 47.5, 14.6), ("AU", -25.3, 133.8), ("AZ", 40.1, 47.6),
    ("BA", 43.9, 17.7), ("BD", 23.7, 90.4), ("BE", 50.5, 4.5), ("BF", 12.2, -1.6), ("BG", 42.7, 25.5),
    ("BH", 26.0, 50.6), ("BI", -3.4, 29.9), ("BJ", 9.3, 2.3), ("BO", -16.3, -63.6), ("BR", -14.2, -51.9),
    ("BY", 53.7, 28.0), ("CA", 56.1, -106.3), ("CD", -4.0, 21.8), ("CH", 46.8, 8.2), ("CI", 7.5, -5.5),
    ("CL", -35.7, -71.5), ("CM", 7.4, 12.4), ("CN", 35.9, 104.2), ("CO", 4.6, -74.3), ("CR", 9.7, -83.8),
    ("CU", 21.5, -77.8), ("CY", 35.1, 33.4), ("CZ", 49.8, 15.5), ("DE", 51.2, 10.4), ("DK", 56.3, 9.5),
    ("DO", 18.7, -70.2), ("DZ", 28.0, 1.7), ("EC", -1.8, -78.2), ("EE", 58.6, 25.0), ("EG", 26.8, 30.8),
    ("ES", 40.5, -3.7), ("ET", 9.1, 40.5), ("FI", 61.9, 25.7), ("FR", 46.2, 2.2), ("GB", 55.4, -3.4),
    ("GE", 42.3, 43.4), ("GH", 7.9, -1.0), ("GN", 9.9, -9.7), ("GR", 39.1, 21.8), ("GT", 15.8, -90.2),
    ("HK", 22.3, 114.2), ("HN", 15.2, -86.2), ("HR", 45.1, 15.2), ("HT", 19.0, -72.3), ("HU", 47.2, 19.5),
    ("ID", -0.8, 113.9), ("IE", 53.4, -8.2), ("IL", 31.0, 34.9), ("IN", 20.6, 79.0), ("IQ", 33.2, 43.7),
    ("IR", 32.4, 53.7), ("IS", 65.0, -19.0), ("IT", 41.9, 12.6), ("JM", 18.1, -77.3), ("JO", 30.6, 36.2),
    ("JP", 36.2, 138.3), ("KE", 0.0, 37.9), ("KG", 41.2, 74.8), ("KH", 12.6, 105.0), ("KP", 40.3, 127.5),
    ("KR", 35.9, 127.8), ("KW", 29.3, 47.5), ("KZ", 48.0, 66.9), ("LA", 19.9, 102.5), ("LB", 33.9, 35.9),
    ("LI", 47.2, 9.6), ("LK", 7.9, 80.8), ("LT", 55.2, 23.9), ("LU", 49.8, 6.1), ("LV", 56.9, 24.6),
    ("LY", 26.3, 17.2), ("MA", 31.8, -7.1), ("MC", 43.7, 7.4), ("MD", 47.4, 28.4), ("ME", 42.7, 19.4),
    ("MG", -18.8, 46.9), ("MK", 41.6, 21.7), ("ML", 17.6, -4.0), ("MM", 21.9, 96.0), ("MN", 46.9, 103.8),
    ("MO", 22.2, 113.5), ("MT", 35.9, 14.4), ("MW", -13.3, 34.3), ("MX", 23.6, -102.6), ("MY", 4.2, 102.0),
    ("MZ", -18.7, 35.5), ("NE", 17.6, 8.1), ("NG", 9.1, 8.7), ("NI", 12.9, -85.2), ("NL", 52.1, 5.3),
    ("NO", 60.5, 8.5), ("NP", 28.4, 84.1), ("NZ", -40.9, 174.9), ("OM", 21.5, 55.9), ("PA", 8.5, -80.8),
    ("PE", -9.2, -75.0), ("PG", -6.3, 144.0), ("PH", 12.9, 121.8), ("PK", 30.4, 69.3), ("PL", 51.9, 19.1),
    ("PR", 18.2, -66.6), ("PT", 39.4, -8.2), ("PY", -23.4, -58.4), ("QA", 25.4, 51.2), ("RO", 45.9, 25.0),
    ("RS", 44.0, 21.0), ("RU", 61.5, 105.3), ("RW", -1.9, 29.9), ("SA", 23.9, 45.1), ("SD", 12.9, 30.2),
    ("SE", 60.1, 18.6), ("SG", 1.4, 103.8), ("SI", 46.2, 15.0), ("SK", 48.7, 19.7), ("SL", 8.5, -11.8),
    ("SM", 43.9, 12.5), ("SN", 14.5, -14.5), ("SO", 5.2, 46.2), ("SS", 6.9, 31.3), ("SV", 13.8, -88.9),
    ("SY", 34.8, 39.0), ("TD", 15.5, 18.7), ("TG", 8.6, 0.8), ("TH", 15.9, 101.0), ("TJ", 38.9, 71.3),
    ("TM", 39.0, 59.6), ("TN", 33.9, 9.5), ("TR", 39.0, 35.2), ("TT", 10.7, -61.2), ("TW", 23.7, 121.0),
    ("TZ", -6.4, 34.9), ("UA", 48.4, 31.2), ("UG", 1.4, 32.3), ("US", 39.8, -98.6), ("UY", -32.5, -55.8),
    ("UZ", 41.4, 64.6), ("VA", 41.9, 12.5), ("VE", 6.4, -66.6), ("VN", 14.1, 108.3), ("XK", 42.6, 20.9),
    ("YE", 15.6, 48.5), ("ZA", -30.6, 22.9), ("ZM", -13.1, 27.8), ("ZW", -19.0, 29.2),
];

/// Mean Earth radius in kilometres.
const EARTH_RADIUS_KM: f64 = 6_371.0;

/// Returns the approximate centre of a country, by ISO 3166-1 alpha-2 code in either case.
pub fn centroid(country: &str) -> Option<(f64, f64)> {
    let code = country.trim().to_ascii_uppercase();
    CENTROIDS.iter().find(|(c, _, _)| *c == code).map(|(_, lat, lon)| (*lat, *lon))
}

/// Returns the great-circle (haversine) distance between two points given in degrees, in kilometres.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in CENTROIDS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
    }

    #[test]
    fn centroids_lie_on_the_globe() {
        for (code, lat, lon) in CENTROIDS {
            assert!((-90.0..=90.0).contains(&lat), "{code} latitude {lat}");
            assert!((-180.0..=180.0).contains(&lon), "{code} longitude {lon}");
        }
    }

    #[test]
    fn known_distances() {
        // Berlin to Paris is about 880 km, and London to New York about 5,570 km.
        let berlin_paris = distance_km((52.52, 13.405), (48.857, 2.352));
        assert!((berlin_paris - 878.0).abs() < 10.0, "{berlin_paris}");
        let london_new_york = distance_km((51.507, -0.128), (40.713, -74.006));
        assert!((london_new_york - 5_570.0).abs() < 30.0, "{london_new_york}");
        assert_eq!(distance_km((10.0, 20.0), (10.0, 20.0)), 0.0);
    }

    #[test]
    fn centroid_lookup_ignores_case() {
        assert_eq!(centroid("de"), centroid("DE"));
        assert!(centroid("DE").is_some());
        assert_eq!(centroid("ZZ"), None);
    }
}
