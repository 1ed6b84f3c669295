//! A running `harrier serve` and the data it serves, for whole-process tests of the service and its UI.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::Value;

use crate::process::run;

pub fn harrier(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harrier"));
    command
        .env_remove("HARRIER_SETTINGS")
        .env_remove("HARRIER_RESPONSE_POLICY")
        .env_remove("HARRIER_LOG")
        .env("HARRIER_DATA_DIR", data);
    command
}

/// Returns an HTTP client. reqwest is built without a TLS crypto provider in this workspace, so ring is
/// installed first, although every request here is plain HTTP on loopback.
pub fn client() -> Client {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Deprecated only for lacking post-quantum key exchange, which plain HTTP does not use.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    Client::new()
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running `harrier serve`: `terminate` stops it with SIGTERM, and dropping it kills it.
pub struct Service {
    child: Child,
    pub base: String,
    /// The other listeners from the startup line, such as `link-lock` and `milter`, with their addresses.
    pub others: Vec<(String, String)>,
}

impl Service {
    pub fn start(config: &Path) -> Service {
        let mut child = Command::new(env!("CARGO_BIN_EXE_harrier"))
            .args(["serve", "--config"])
            .arg(config)
            .env_remove("HARRIER_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let mut parts = line.trim().split(", ");
        let api = parts.next().and_then(|part| part.strip_prefix("harrier serve: API on "));
        let api = api.unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        let others = parts.filter_map(|part| part.split_once(" on ")).map(|(name, address)| (name.to_owned(), address.to_owned())).collect();
        let service = Service { child, base: api.trim_end_matches('/').to_owned(), others };
        service.wait_ready();
        service
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if client().get(self.url("/readyz")).send().is_ok_and(|r| r.status() == StatusCode::OK) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the service did not become ready");
    }

    /// Sends SIGTERM and returns the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        // SAFETY: kill has no memory-safety preconditions; the pid is our child's.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the service did not stop within 60 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn write_config(dir: &Path, data: &Path, extra: &str) -> PathBuf {
    let config = dir.join("harrier.toml");
    let text = format!(
        "data_dir = {data:?}\n[api]\nlisten = \"127.0.0.1:0\"\nsecure_cookies = false\n[log]\nformat = \"json\"\nlevel = \"info\"\n{extra}"
    );
    std::fs::write(&config, text).unwrap();
    config
}

pub fn token(data: &Path, name: &str, role: &str, tenant: &str) -> String {
    let output = run(harrier(data).args(["tokens", "create", "--json", "--name", name, "--role", role, "--tenant", tenant]));
    let created: Value = serde_json::from_str(&output).unwrap();
    created["token"].as_str().unwrap().to_owned()
}

/// Adds a local user who logs in with `password`.
pub fn add_user(data: &Path, name: &str, role: &str, tenant: &str, password: &str) {
    let mut add = harrier(data);
    add.args(["users", "add", name, "--role", role, "--tenant", tenant]).stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = add.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), format!("{password}\n").as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "harrier users add {name} failed");
}

pub fn bearer(request: RequestBuilder, token: &str) -> RequestBuilder {
    request.header("Authorization", format!("Bearer {token}"))
}

pub fn json_of(response: reqwest::blocking::Response) -> Value {
    let status = response.status();
    let text = response.text().unwrap();
    assert!(status.is_success(), "status {status}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Simulates a small tenant and replays it as two tenants under a policy that requires approval of every
/// action.
pub fn analysed_tenants(dir: &Path) -> PathBuf {
    let sim = dir.join("sim");
    let data = dir.join("data");
    run(harrier(&data).args(["simulate", "--users", "40", "--days", "14", "--seed", "5", "--out"]).arg(&sim));
    let builtin = include_str!("../../../harrier-respond/data/response.toml");
    std::fs::write(dir.join("confirm.toml"), builtin.replace("= \"observe\"", "= \"confirm\"")).unwrap();
    for tenant in ["contoso", "fabrikam"] {
        run(harrier(&data)
            .args(["replay", "--no-progress", "--tenant", tenant, "--response-policy"])
            .arg(dir.join("confirm.toml"))
            .arg(&sim));
    }
    data
}
