//! `harrier intel`: questions for the offline IP intelligence.

use std::process::ExitCode;

use anyhow::Context;
use harrier_enrich::IpIntel;

use crate::cli::{IntelIpArgs, IpDataArgs};

/// Loads the operator's snapshot when one is configured, else the built-in one.
pub fn load(args: &IpDataArgs) -> anyhow::Result<IpIntel> {
    match &args.ip_data {
        Some(path) => IpIntel::from_file(path)
            .with_context(|| format!("cannot load the IP intelligence snapshot {}", path.display())),
        None => IpIntel::embedded().context("cannot load the built-in IP intelligence snapshot"),
    }
}

pub fn run_ip(args: &IntelIpArgs) -> anyhow::Result<ExitCode> {
    let intel = load(&args.ip_data)?;
    for &address in &args.addresses {
        let info = intel.lookup(address);
        if args.json {
            let line = serde_json::json!({ "ip": address, "info": info });
            println!("{line}");
        } else {
            let asn = info.asn.map_or_else(|| "no ASN".to_owned(), |asn| format!("AS{asn}"));
            let org = info.as_org.as_deref().unwrap_or("unknown organisation");
            let country = info.country.as_deref().unwrap_or("unknown country");
            let provider = info.provider.as_deref().map(|p| format!(" ({p})")).unwrap_or_default();
            println!("{address}\t{asn}\t{org}\t{country}\t{}{provider}", info.class);
        }
    }
    Ok(ExitCode::SUCCESS)
}
