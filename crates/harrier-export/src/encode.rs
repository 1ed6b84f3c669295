//! Encoding Detection Findings as JSON lines and as Parquet.

use std::sync::{Arc, OnceLock};

use arrow_schema::{FieldRef, Schema as ArrowSchema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_arrow::schema::{SchemaLike, TracingOptions};

use crate::error::ExportError;
use crate::ocsf::finding::DetectionFinding;

/// The file formats the exporter writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet with zstd compression.
    Parquet,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Format, String> {
        match text {
            "jsonl" => Ok(Format::Jsonl),
            "parquet" => Ok(Format::Parquet),
            other => Err(format!("unknown export format {other:?}; expected jsonl or parquet")),
        }
    }
}

/// Rows written to Parquet per Arrow batch; a row group closes once its data passes
/// [`ROW_GROUP_BYTES`].
const BATCH_ROWS: usize = 8_192;

/// The in-memory size at which a row group is closed, well under the 256 MB that readers such as Athena
/// handle comfortably.
const ROW_GROUP_BYTES: usize = 128 * 1024 * 1024;

/// Returns the Arrow fields of a Detection Finding, traced once from the Rust type so that every file has
/// the same columns and types whatever its rows contain. Strings and lists use 32-bit offsets (`string`,
/// `list`), which every Parquet reader maps without casts.
pub fn finding_fields() -> &'static [FieldRef] {
    static FIELDS: OnceLock<Vec<FieldRef>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let options = TracingOptions::default()
            .allow_null_fields(true)
            .strings_as_large_utf8(false)
            .sequence_as_large_list(false);
        Vec::<FieldRef>::from_type::<DetectionFinding>(options).expect("the finding type traces to an Arrow schema")
    })
}

/// Encodes findings as JSON lines.
pub fn to_jsonl(findings: &[DetectionFinding]) -> Vec<u8> {
    let mut out = Vec::with_capacity(findings.len() * 2048);
    for finding in findings {
        serde_json::to_writer(&mut out, finding).expect("findings serialise to JSON");
        out.push(b'\n');
    }
    out
}

/// Encodes findings as one Parquet file compressed with zstd.
pub fn to_parquet(findings: &[DetectionFinding]) -> Result<Vec<u8>, ExportError> {
    let fields = finding_fields();
    let schema = Arc::new(ArrowSchema::new(fields.to_vec()));
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).expect("3 is a valid zstd level")))
        .set_created_by(format!("harrier {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema, Some(properties)).map_err(ExportError::parquet)?;
    for chunk in findings.chunks(BATCH_ROWS) {
        let batch = serde_arrow::to_record_batch(fields, &chunk).map_err(|e| ExportError::Encode(e.to_string()))?;
        writer.write(&batch).map_err(ExportError::parquet)?;
        if writer.in_progress_size() >= ROW_GROUP_BYTES {
            writer.flush().map_err(ExportError::parquet)?;
        }
    }
    writer.close().map_err(ExportError::parquet)?;
    Ok(out)
}

/// Encodes findings in `format`.
pub fn encode(findings: &[DetectionFinding], format: Format) -> Result<Vec<u8>, ExportError> {
    match format {
        Format::Jsonl => Ok(to_jsonl(findings)),
        Format::Parquet => to_parquet(findings),
    }
}
