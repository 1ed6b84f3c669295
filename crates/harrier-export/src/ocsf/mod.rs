//! Open Cybersecurity Schema Framework (OCSF) support: the Detection Finding record, the mapping from
//! breaches and incidents, and the schema validator.

pub mod finding;
pub mod map;
pub mod schema;
