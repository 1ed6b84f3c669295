//! Cities that sign-ins are located in, with the coordinates and state Entra reports.

/// A city as Entra's sign-in geolocation names it.
#[derive(Debug, PartialEq)]
pub struct City {
    pub name: &'static str,
    /// The state or region, as `location.state` spells it.
    pub state: &'static str,
    /// ISO 3166-1 alpha-2 country code.
    pub country: &'static str,
    pub latitude: f64,
    pub longitude: f64,
    /// The offset from UTC in winter, in minutes.
    ///
    /// NOTE: daylight saving time is not modelled, so from spring the simulated working hours run one hour
    /// late in UTC for European and North American users.
    pub utc_offset_minutes: i32,
}

macro_rules! city {
    ($ident:ident, $name:literal, $state:literal, $country:literal, $lat:literal, $lon:literal, $offset:literal) => {
        pub static $ident: City = City {
            name: $name,
            state: $state,
            country: $country,
            latitude: $lat,
            longitude: $lon,
            utc_offset_minutes: $offset,
        };
    };
}

city!(BERLIN, "Berlin", "Berlin", "DE", 52.520, 13.405, 60);
city!(MUNICH, "Munich", "Bayern", "DE", 48.137, 11.575, 60);
city!(HAMBURG, "Hamburg", "Hamburg", "DE", 53.551, 9.993, 60);
city!(
    FRANKFURT,
    "Frankfurt am Main",
    "Hessen",
    "DE",
    50.110,
    8.682,
    60
);
city!(LONDON, "London", "England", "GB", 51.507, -0.128, 0);
city!(MANCHESTER, "Manchester", "England", "GB", 53.481, -2.243, 0);
city!(BIRMINGHAM, "Birmingham", "England", "GB", 52.486, -1.890, 0);
city!(PARIS, "Paris", "Ile-de-France", "FR", 48.857, 2.352, 60);
city!(
    LYON,
    "Lyon",
    "Auvergne-Rhone-Alpes",
    "FR",
    45.764,
    4.836,
    60
);
city!(TOULOUSE, "Toulouse", "Occitanie", "FR", 43.605, 1.444, 60);
city!(
    ROUBAIX,
    "Roubaix",
    "Hauts-de-France",
    "FR",
    50.690,
    3.182,
    60
);
city!(
    NEW_YORK, "New York", "New York", "US", 40.713, -74.006, -300
);
city!(
    BOSTON,
    "Boston",
    "Massachusetts",
    "US",
    42.360,
    -71.059,
    -300
);
city!(CHICAGO, "Chicago", "Illinois", "US", 41.878, -87.630, -360);
city!(ASHBURN, "Ashburn", "Virginia", "US", 39.044, -77.487, -300);
city!(
    SAN_FRANCISCO,
    "San Francisco",
    "California",
    "US",
    37.775,
    -122.419,
    -480
);
city!(MADRID, "Madrid", "Madrid", "ES", 40.417, -3.704, 60);
city!(BARCELONA, "Barcelona", "Catalonia", "ES", 41.385, 2.173, 60);
city!(ROME, "Rome", "Lazio", "IT", 41.903, 12.496, 60);
city!(MILAN, "Milan", "Lombardy", "IT", 45.464, 9.190, 60);
city!(
    AMSTERDAM,
    "Amsterdam",
    "Noord-Holland",
    "NL",
    52.368,
    4.904,
    60
);
city!(TOKYO, "Tokyo", "Tokyo", "JP", 35.676, 139.650, 540);
city!(OSAKA, "Osaka", "Osaka", "JP", 34.694, 135.502, 540);
city!(TORONTO, "Toronto", "Ontario", "CA", 43.653, -79.383, -300);
city!(
    SYDNEY,
    "Sydney",
    "New South Wales",
    "AU",
    -33.869,
    151.209,
    660
);
city!(HANOI, "Hanoi", "Hanoi", "VN", 21.028, 105.834, 420);
city!(
    HO_CHI_MINH_CITY,
    "Ho Chi Minh City",
    "Ho Chi Minh",
    "VN",
    10.823,
    106.630,
    420
);
city!(LAGOS, "Lagos", "Lagos", "NG", 6.524, 3.379, 60);
city!(HELSINKI, "Helsinki", "Uusimaa", "FI", 60.170, 24.938, 120);
city!(NUREMBERG, "Nuremberg", "Bayern", "DE", 49.452, 11.077, 60);
city!(
    BUCHAREST,
    "Bucharest",
    "Bucuresti",
    "RO",
    44.426,
    26.102,
    120
);
city!(ZURICH, "Zurich", "Zurich", "CH", 47.377, 8.541, 60);

/// Returns the great-circle distance between two cities in kilometres (haversine, mean Earth radius).
pub fn distance_km(a: &City, b: &City) -> f64 {
    let (lat_a, lat_b) = (a.latitude.to_radians(), b.latitude.to_radians());
    let d_lat = lat_b - lat_a;
    let d_lon = (b.longitude - a.longitude).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat_a.cos() * lat_b.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// Returns the shortest plausible door-to-door travel time between two cities in milliseconds: flight at
/// 850 km/h plus three hours for airports, or ground travel at 100 km/h below 500 km.
pub fn min_travel_millis(a: &City, b: &City) -> i64 {
    let km = distance_km(a, b);
    let hours = if km < 500.0 {
        km / 100.0
    } else {
        km / 850.0 + 3.0
    };
    (hours * 3_600_000.0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_plausible() {
        let km = distance_km(&BERLIN, &NEW_YORK);
        assert!((6300.0..6500.0).contains(&km), "{km}");
        assert!(distance_km(&PARIS, &PARIS) < 1e-6);
    }
}
