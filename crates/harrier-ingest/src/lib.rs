//! Readers for Microsoft 365 and Entra ID logs.
//!
//! [`read_file`] takes any supported file and produces normalised [`harrier_model::Record`]s, one per source
//! record, plus a [`Skip`] for every record it could not use. Reading is layered: [`reader`] handles
//! compression and containers (JSON lines, JSON documents, CSV), [`detect`] recognises each record's
//! schema from its fields, and `normalize` maps each schema onto the event model.

pub mod detect;
pub mod error;
pub mod fields;
mod lazy;
mod normalize;
pub mod reader;
pub mod time;

pub use error::{FileError, Skip, SkipReason};
pub use reader::{
    BorrowedItem, Container, FileInfo, Item, ReadOptions, collect_paths, read_bytes, read_file, read_file_borrowed,
};
