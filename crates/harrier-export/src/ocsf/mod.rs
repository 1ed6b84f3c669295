//! Open Cybersecurity Schema Framework (OCSF) support.

pub mod schema;
