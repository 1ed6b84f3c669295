//! Shared helpers: run a small simulation and read its output back as JSON.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use harrier_sim::labels::Labels;
use harrier_sim::{SimConfig, SimReport, simulate};
use serde_json::Value;

/// A simulation written to a temporary folder.
pub struct Run {
    pub dir: tempfile::TempDir,
    pub report: SimReport,
    pub config: SimConfig,
}

impl Run {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn labels(&self) -> Labels {
        serde_json::from_str(&std::fs::read_to_string(self.path().join("labels.json")).unwrap())
            .unwrap()
    }

    pub fn users(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.path().join("users.json")).unwrap())
            .unwrap()
    }

    /// Returns every Management Activity record, with the content type folder it was in.
    pub fn audit_records(&self) -> Vec<(String, Value)> {
        let mut records = Vec::new();
        for (folder, path) in files_under(&self.path().join("management-activity")) {
            let blob: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let Value::Array(items) = blob else {
                panic!("{} is not a JSON array", path.display())
            };
            records.extend(items.into_iter().map(|item| (folder.clone(), item)));
        }
        records
    }

    /// Returns every Graph page, in file-name order.
    pub fn graph_pages(&self) -> Vec<(PathBuf, Value)> {
        files_under(&self.path().join("graph-signins"))
            .into_iter()
            .map(|(_, path)| {
                let page = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                (path, page)
            })
            .collect()
    }

    /// Returns every Graph sign-in.
    pub fn sign_ins(&self) -> Vec<Value> {
        self.graph_pages()
            .into_iter()
            .flat_map(|(_, page)| page["value"].as_array().unwrap().clone())
            .collect()
    }

    /// Returns every record by its id (`Id` or `id`).
    pub fn records_by_id(&self) -> HashMap<String, Value> {
        let mut by_id = HashMap::new();
        for (_, record) in self.audit_records() {
            by_id.insert(record["Id"].as_str().unwrap().to_owned(), record);
        }
        for record in self.sign_ins() {
            by_id.insert(record["id"].as_str().unwrap().to_owned(), record);
        }
        by_id
    }
}

/// Returns the JSON files under `root`, sorted, each with its parent folder's name.
pub fn files_under(root: &Path) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let folder = dir.file_name().unwrap().to_string_lossy().into_owned();
                files.push((folder, path));
            }
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    files
}

/// Simulates `config` into a new temporary folder.
pub fn run(config: SimConfig) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let report = simulate(&config, dir.path()).unwrap();
    Run {
        dir,
        report,
        config,
    }
}

/// Returns the configuration of a small tenant with every scenario: 120 users over 14 days.
pub fn small_config(seed: u64) -> SimConfig {
    SimConfig {
        users: 120,
        days: 14,
        seed,
        graph_page_size: 500,
        ..SimConfig::default()
    }
}
