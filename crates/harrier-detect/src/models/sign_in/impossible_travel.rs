//! Two successful sign-ins too far apart for the time between them.

use harrier_learn::Feature;
use harrier_model::{Activity, IpClass};

use super::geo::{centroid, distance_km};
use super::shared::{
    LEARNING_FACTOR_DESCRIPTION, feature_deviation, is_anonymising, known_client, scale_for_learning,
    with_earlier_events, with_source,
};
use crate::breach::{Breach, Deviation, ModelInfo, Stage, Technique};
use crate::model::{Context, Model, Param};
use crate::models::explain::history;
use crate::recent::SignInPoint;

pub struct ImpossibleTravel;

static INFO: ModelInfo = ModelInfo {
    id: "saas.impossible_travel",
    name: "Impossible travel",
    version: 1,
    description: "A successful sign-in whose distance from the user's previous successful sign-in, over the \
                  time between them, needs a speed no airliner reaches. Locations come from Entra's \
                  coordinates when both sign-ins have them, else from country centres less a margin. \
                  Microsoft, cloud, CDN and private addresses and pairs in one autonomous system are \
                  ignored. Scored down when the second source is a network the user already uses.",
    technique: Technique { id: "T1078.004", name: "Valid Accounts: Cloud Accounts", tactic: "initial-access" },
    stage: Stage::InitialAccess,
};

static PARAMS: [Param; 9] = [
    Param { name: "max_speed_kmh", default: 900.0, description: "speed above which travel is impossible, in km/h" },
    Param { name: "min_distance_km", default: 500.0, description: "shortest distance that counts, in km, after the centroid margin" },
    Param { name: "centroid_margin_km", default: 500.0, description: "km taken off the distance when a location is a country centre" },
    Param { name: "base", default: 60.0, description: "score of an impossible journey" },
    Param { name: "new_network", default: 10.0, description: "points when the second source's autonomous system is new to the user" },
    Param { name: "anonymising_network", default: 10.0, description: "points when the second source is hosting, VPN or Tor" },
    Param { name: "known_network_factor", default: 0.5, description: "multiplier when the second source's autonomous system and country are known for the user" },
    Param { name: "known_client_factor", default: 0.7, description: "multiplier when the device and user agent are known and the source is not anonymising" },
    Param { name: "learning_factor", default: 0.6, description: LEARNING_FACTOR_DESCRIPTION },
];

/// Returns true for classes whose addresses do not locate the user.
fn is_placeless(class: Option<IpClass>) -> bool {
    matches!(class, Some(IpClass::Microsoft | IpClass::Cloud | IpClass::Cdn | IpClass::Private))
}

/// The highest score of a plausible-looking journey on a known device and client.
const KNOWN_CLIENT_CAP: f64 = 35.0;

/// The location of one sign-in, as far as its record gives it.
struct Place {
    latitude: Option<f64>,
    longitude: Option<f64>,
    country: Option<String>,
}

impl Place {
    fn coordinates(&self) -> Option<(f64, f64)> {
        Some((self.latitude?, self.longitude?))
    }
}

/// The two ends of a journey in degrees, and whether they are country centres.
struct Journey {
    from: (f64, f64),
    to: (f64, f64),
    from_centroids: bool,
}

/// Locates a journey: Entra's coordinates when both sign-ins have them, else the centres of both countries.
fn locate(from: &Place, to: &Place) -> Option<Journey> {
    if let (Some(a), Some(b)) = (from.coordinates(), to.coordinates()) {
        return Some(Journey { from: a, to: b, from_centroids: false });
    }
    let (a, b) = (centroid(from.country.as_deref()?)?, centroid(to.country.as_deref()?)?);
    Some(Journey { from: a, to: b, from_centroids: true })
}

impl Model for ImpossibleTravel {
    fn info(&self) -> &'static ModelInfo {
        &INFO
    }

    fn params(&self) -> &'static [Param] {
        &PARAMS
    }

    fn evaluate(&self, context: &Context<'_>) -> Option<Breach> {
        let Activity::SignIn(sign_in) = &context.event.activity else { return None };
        if !sign_in.success {
            return None;
        }
        let info = context.event.ip_info.as_ref();
        let previous = context.user?.last_success.as_ref()?;
        if is_placeless(info.map(|i| i.class)) || is_placeless(previous.class) {
            return None;
        }
        let asn = info.and_then(|i| i.asn);
        if asn.is_some() && asn == previous.asn {
            return None;
        }

        let from = Place { latitude: previous.latitude, longitude: previous.longitude, country: previous.country.clone() };
        let to = current_place(context);
        if from.country.is_some() && from.country == to.country && !same_country_suspect(context) {
            // Geolocation of mobile and dynamic addresses is often hundreds of kilometres off within a country,
            // so a domestic "journey" alone is no evidence: only an anonymising or new network makes it one.
            return None;
        }
        let journey = locate(&from, &to)?;
        let mut distance = distance_km(journey.from, journey.to);
        if journey.from_centroids {
            // NOTE: every country gets the same margin. Two sign-ins near the border of large neighbours (the
            // US and Canada, Russia and Kazakhstan) can still read as farther apart than they were.
            distance -= context.param("centroid_margin_km");
        }
        if distance < context.param("min_distance_km") {
            return None;
        }
        let hours = ((context.time_ms() - previous.time_ms).abs().max(60_000)) as f64 / 3_600_000.0;
        let speed = distance / hours;
        if speed < context.param("max_speed_kmh") {
            return None;
        }
        Some(self.breach(context, previous, distance, hours, speed))
    }
}

/// True when a sign-in within the previous sign-in's country still deserves a travel check: it comes
/// from a hosting, VPN or Tor network, or from a network the user has never used.
fn same_country_suspect(context: &Context<'_>) -> bool {
    let class = context.event.ip_info.as_ref().map_or(IpClass::Unknown, |i| i.class);
    let new_network = context.assessment.surprise(Feature::Asn).is_some_and(|s| s.new_for_user());
    is_anonymising(class) || (new_network && !context.assessment.user_learning)
}

/// Returns where the current sign-in happened: Entra's coordinates, and the IP data's country, else
/// Entra's, as the engine records it for the previous sign-in.
fn current_place(context: &Context<'_>) -> Place {
    let location = match &context.event.activity {
        Activity::SignIn(sign_in) => sign_in.location.as_ref(),
        _ => None,
    };
    let intel_country = context.event.ip_info.as_ref().and_then(|i| i.country.clone());
    Place {
        latitude: location.and_then(|l| l.latitude),
        longitude: location.and_then(|l| l.longitude),
        country: intel_country.or_else(|| location.and_then(|l| l.country.clone())),
    }
}

impl ImpossibleTravel {
    fn breach(&self, context: &Context<'_>, previous: &SignInPoint, distance: f64, hours: f64, speed: f64) -> Breach {
        let assessment = context.assessment;
        let class = context.event.ip_info.as_ref().map_or(IpClass::Unknown, |i| i.class);
        let anonymising = is_anonymising(class);
        let asn_new = assessment.surprise(Feature::Asn).is_some_and(|s| s.new_for_user());
        let country_new = assessment.surprise(Feature::Country).is_some_and(|s| s.new_for_user());

        let mut score = context.param("base");
        if asn_new {
            score += context.param("new_network");
        }
        if anonymising {
            score += context.param("anonymising_network");
        }
        if !asn_new && !country_new {
            score *= context.param("known_network_factor");
        }
        if known_client(assessment) && !anonymising {
            score *= context.param("known_client_factor");
        }
        // A journey that is too fast but within a few times jet speed, made on the user's own device and
        // client, is far more often roaming, a late-reported sign-in or geolocation error than a stolen
        // session: keep it below incident level.
        if known_client(assessment) && !anonymising && speed < 3.0 * context.param("max_speed_kmh") {
            score = score.min(KNOWN_CLIENT_CAP);
        }
        let score = scale_for_learning(context, score);

        let from = previous.country.as_deref().unwrap_or("an unknown country");
        let to = context.event.ip_info.as_ref().and_then(|i| i.country.as_deref()).unwrap_or("an unknown country");
        let minutes = hours * 60.0;
        let summary = format!(
            "Successful sign-ins from {from} and {to} {minutes:.0} minutes apart, at least {distance:.0} km at {speed:.0} km/h, with {}",
            history(assessment)
        );
        let deviation = Deviation {
            measure: "travel_speed".to_owned(),
            observed: format!("{speed:.0} km/h over {distance:.0} km in {minutes:.0} minutes"),
            baseline: format!("at most {:.0} km/h", context.param("max_speed_kmh")),
            score: (speed / context.param("max_speed_kmh")) as f32,
        };
        let mut breach = Breach::new(&INFO, context.event, score as f32, summary)
            .evidence("previous_sign_in_country", from)
            .evidence("distance_km", format!("{distance:.0}"))
            .evidence("minutes_between", format!("{minutes:.0}"))
            .deviation(deviation);
        if let Some(ip) = previous.ip {
            breach = breach.evidence("previous_source_ip", ip);
        }
        breach.deviations.extend(asn_new.then(|| feature_deviation(context, Feature::Asn)).flatten());
        let breach = with_source(breach, context.event);
        with_earlier_events(breach, [previous.record_id.clone()])
    }
}
