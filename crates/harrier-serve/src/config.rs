//! The service configuration, `harrier.toml`.
//!
//! Every table rejects unknown keys, so a misspelt key is an error instead of a setting silently left at
//! its default. Secrets are never written in the file: a client secret names an environment variable or a
//! file, and [`Config::load`] reads it and fails with the key that named it when it is missing. Relative
//! paths are read against the folder of the configuration file.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use harrier_respond::proxy::TrustedProxies;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

/// The production endpoints; a tenant may name others, such as a loopback emulator in tests.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
pub const DEFAULT_GRAPH: &str = "https://graph.microsoft.com";
pub const DEFAULT_MANAGEMENT: &str = "https://manage.office.com";

/// An error in the configuration, with the file, line and key where known.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// A syntax or type error, with toml's excerpt of the line.
    #[error("{}:{line}:{column}: {message}\n{excerpt}", path.display())]
    Parse { path: PathBuf, line: usize, column: usize, message: String, excerpt: String },
    /// A value that parsed but is not valid.
    #[error("{}:{}{key}: {message}", path.display(), line.map(|l| format!("{l}: ")).unwrap_or_default())]
    Invalid { path: PathBuf, line: Option<usize>, key: String, message: String },
}

/// A secret read from the environment or a file. Its `Debug` output never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The whole configuration file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The folder holding the event store, analysis database, action log and service database.
    pub data_dir: PathBuf,
    #[serde(default)]
    pub api: ApiConfig,
    #[serde(default)]
    pub log: LogConfig,
    #[serde(default, rename = "tenant")]
    pub tenants: Vec<TenantConfig>,
    #[serde(default)]
    pub detection: DetectionConfig,
    pub linklock: Option<LinklockConfig>,
    pub milter: Option<MilterSection>,
    #[serde(default)]
    pub export: ExportConfig,
    /// The IP intelligence snapshot to use instead of the built-in one.
    pub ip_data: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    #[serde(default = "default_api_listen")]
    pub listen: SocketAddr,
    /// Marks the session cookie `Secure`. Turn it off only for plain HTTP on loopback, as in tests.
    #[serde(default = "yes")]
    pub secure_cookies: bool,
    /// How long a login session lasts.
    #[serde(default = "default_session_ttl", deserialize_with = "duration")]
    pub session_ttl: Duration,
}

impl Default for ApiConfig {
    fn default() -> ApiConfig {
        ApiConfig { listen: default_api_listen(), secure_cookies: true, session_ttl: default_session_ttl() }
    }
}

fn default_api_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8443))
}

fn default_session_ttl() -> Duration {
    Duration::from_secs(12 * 3600)
}

fn yes() -> bool {
    true
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    #[serde(default)]
    pub format: LogFormat,
    /// A tracing filter such as `info` or `harrier_serve=debug`; `HARRIER_LOG` overrides it.
    pub level: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// The tenant id events are stored under.
    pub id: String,
    pub m365: Option<M365Config>,
    pub collect: Option<CollectConfig>,
    pub spool: Option<SpoolConfig>,
}

/// The Entra ID application harrier signs in as for this tenant.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct M365Config {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret_env: Option<Spanned<String>>,
    pub client_secret_file: Option<Spanned<PathBuf>>,
    #[serde(default = "default_authority")]
    pub authority: String,
    #[serde(default = "default_graph")]
    pub graph: String,
    #[serde(default = "default_management")]
    pub management: String,
    /// Filled by [`Config::load`] from `client_secret_env` or `client_secret_file`.
    #[serde(skip)]
    pub client_secret: Option<Secret>,
}

fn default_authority() -> String {
    DEFAULT_AUTHORITY.to_owned()
}

fn default_graph() -> String {
    DEFAULT_GRAPH.to_owned()
}

fn default_management() -> String {
    DEFAULT_MANAGEMENT.to_owned()
}

/// The Microsoft 365 streams the collectors read for a tenant.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectConfig {
    #[serde(default)]
    pub management_activity: bool,
    /// Management Activity API content types, such as `Audit.Exchange`.
    #[serde(default)]
    pub content_types: Vec<String>,
    #[serde(default)]
    pub sign_ins: bool,
    #[serde(default)]
    pub directory_audits: bool,
    /// Mailboxes whose mail is read through Graph.
    #[serde(default)]
    pub mailboxes: Vec<String>,
    #[serde(default = "default_poll_interval", deserialize_with = "duration")]
    pub poll_interval: Duration,
    /// How far back the first poll reads.
    #[serde(default = "default_backfill", deserialize_with = "duration")]
    pub backfill: Duration,
}

fn default_poll_interval() -> Duration {
    Duration::from_secs(60)
}

fn default_backfill() -> Duration {
    Duration::from_secs(7 * 86_400)
}

/// A folder watched for exported logs and mail files, which are replayed and then moved to `done_dir`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoolConfig {
    pub dir: PathBuf,
    /// The folder that receives stored files, `DIR/done` by default.
    pub done_dir: Option<PathBuf>,
    #[serde(default = "default_spool_interval", deserialize_with = "duration")]
    pub poll_interval: Duration,
    /// Domains of the organisation, for the mail files.
    #[serde(default)]
    pub protected_domains: Vec<String>,
    /// Hosts whose Authentication-Results headers are trusted; `exchange-online` stands for Exchange
    /// Online's hosts.
    #[serde(default)]
    pub trusted_hops: Vec<String>,
}

impl SpoolConfig {
    /// Builds the settings mail files of this tenant are analysed with, from whichever source they come.
    pub fn mail_options(&self) -> harrier_pipeline::MailOptions {
        harrier_pipeline::MailOptions {
            protected_domains: self.protected_domains.iter().map(|d| d.trim().to_ascii_lowercase()).collect(),
            trusted_hops: harrier_mail::verify::TrustedHops::from_names(&self.trusted_hops),
            // The spool and collector sources load the learned words before each poll.
            reported: None,
        }
    }
}

fn default_spool_interval() -> Duration {
    Duration::from_secs(10)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionConfig {
    /// Detection settings (TOML), as `harrier analyse --settings` reads them.
    pub settings: Option<PathBuf>,
    /// Response policy (TOML), as `harrier analyse --response-policy` reads it.
    pub response_policy: Option<PathBuf>,
}

/// The link-lock endpoint, as `harrier linklock serve` runs it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinklockConfig {
    pub listen: SocketAddr,
    /// `[[key]]` tables with `id` and base64 `secret`; the first key signs.
    pub key_file: PathBuf,
    /// Reverse proxies, by address or network, whose X-Forwarded-For header gives a click's client
    /// address. Empty by default, so the header is ignored.
    #[serde(default)]
    pub trusted_proxies: TrustedProxies,
}

/// The milter, as `harrier milter` runs it. Link locking uses the `[linklock]` key file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilterSection {
    #[serde(default = "default_milter_listen")]
    pub listen: String,
    /// The tenant recorded with each action and in link-lock tokens.
    pub tenant: String,
    /// The base URL of the link-lock endpoint; links are locked only when it and `[linklock]` are given.
    pub link_lock_base: Option<String>,
    #[serde(default = "default_link_lock_days")]
    pub link_lock_days: i64,
    #[serde(default)]
    pub on_error: OnErrorConfig,
    /// The maximum time from the end of a message to the milter's reply.
    #[serde(default = "default_milter_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    #[serde(default)]
    pub protected_domains: Vec<String>,
    pub postfix_config_dir: Option<PathBuf>,
}

fn default_milter_listen() -> String {
    "127.0.0.1:8891".to_owned()
}

fn default_link_lock_days() -> i64 {
    30
}

fn default_milter_timeout() -> Duration {
    Duration::from_secs(5)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnErrorConfig {
    #[default]
    Accept,
    Tempfail,
}

/// The destinations of findings, written after each analysis.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// A folder that receives OCSF Detection Findings in the Security Lake layout.
    pub ocsf_dir: Option<PathBuf>,
    /// `jsonl` or `parquet` for `ocsf_dir`.
    #[serde(default)]
    pub ocsf_format: OcsfFormat,
    /// An http(s) URL that receives OCSF findings as signed JSON arrays.
    pub webhook_url: Option<String>,
    pub webhook_secret_file: Option<Spanned<PathBuf>>,
    #[serde(skip)]
    pub webhook_secret: Option<Secret>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OcsfFormat {
    Jsonl,
    #[default]
    Parquet,
}

/// Reads durations such as `60s`, `15m` or `7d`.
fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    humantime::parse_duration(&text)
        .map_err(|error| serde::de::Error::custom(format!("{text:?} is not a duration such as \"60s\", \"15m\" or \"7d\": {error}")))
}

impl Config {
    /// Reads, validates and resolves a configuration file: relative paths against its folder, secrets from
    /// the environment and files.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        Config::parse(path, &text)
    }

    /// Parses and resolves configuration text; `path` names it in errors and anchors relative paths.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|error| parse_error(path, text, &error))?;
        let resolver = Resolver { path, text };
        config.resolve(&resolver)?;
        Ok(config)
    }

    fn resolve(&mut self, resolver: &Resolver<'_>) -> Result<(), ConfigError> {
        let base = resolver.path.parent().unwrap_or(Path::new(".")).to_owned();
        let absolute = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        };
        absolute(&mut self.data_dir);
        let optional = [&mut self.ip_data, &mut self.detection.settings, &mut self.detection.response_policy, &mut self.export.ocsf_dir];
        for path in optional.into_iter().flatten() {
            absolute(path);
        }
        if let Some(linklock) = &mut self.linklock {
            absolute(&mut linklock.key_file);
        }

        let mut seen = BTreeSet::new();
        for (index, tenant) in self.tenants.iter_mut().enumerate() {
            let key = format!("tenant[{index}]");
            if tenant.id.trim().is_empty() || tenant.id.chars().any(|c| c.is_control() || c == '*') {
                return Err(resolver.invalid(&format!("{key}.id"), None, format!("{:?} is not a valid tenant id", tenant.id)));
            }
            if !seen.insert(tenant.id.clone()) {
                return Err(resolver.invalid(&format!("{key}.id"), None, format!("tenant {:?} is configured twice", tenant.id)));
            }
            if let Some(spool) = &mut tenant.spool {
                absolute(&mut spool.dir);
                if let Some(done) = &mut spool.done_dir {
                    absolute(done);
                }
            }
            if let Some(m365) = &mut tenant.m365 {
                for (name, url) in [("authority", &m365.authority), ("graph", &m365.graph), ("management", &m365.management)] {
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        return Err(resolver.invalid(&format!("{key}.m365.{name}"), None, format!("{url:?} is not an http or https URL")));
                    }
                }
                m365.client_secret = Some(resolver.secret(
                    &format!("{key}.m365"),
                    "client_secret",
                    m365.client_secret_env.as_ref(),
                    m365.client_secret_file.as_mut(),
                    &base,
                )?);
            }
        }

        if let Some(url) = &self.export.webhook_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(resolver.invalid("export.webhook_url", None, format!("{url:?} is not an http or https URL")));
            }
            if self.export.webhook_secret_file.is_none() {
                return Err(resolver.invalid("export.webhook_secret_file", None, "missing: a webhook needs the file holding its signing secret".to_owned()));
            }
        }
        if let Some(file) = self.export.webhook_secret_file.as_mut() {
            self.export.webhook_secret = Some(resolver.secret("export", "webhook_secret", None, Some(file), &base)?);
        }
        if let Some(milter) = &self.milter
            && let Some(link_base) = &milter.link_lock_base
        {
            if !(link_base.starts_with("https://") || link_base.starts_with("http://")) {
                return Err(resolver.invalid("milter.link_lock_base", None, format!("{link_base:?} is not an http or https URL")));
            }
            if self.linklock.is_none() {
                return Err(resolver.invalid("milter.link_lock_base", None, "needs a [linklock] table with the key file".to_owned()));
            }
        }
        Ok(())
    }
}

/// Resolves secrets and names keys in errors.
struct Resolver<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Resolver<'_> {
    fn invalid(&self, key: &str, span: Option<std::ops::Range<usize>>, message: String) -> ConfigError {
        ConfigError::Invalid { path: self.path.to_owned(), line: span.map(|s| line_of(self.text, s.start)), key: key.to_owned(), message }
    }

    /// Reads the secret named by exactly one of `{name}_env` and `{name}_file` in the table `table`.
    fn secret(
        &self,
        table: &str,
        name: &str,
        env: Option<&Spanned<String>>,
        file: Option<&mut Spanned<PathBuf>>,
        base: &Path,
    ) -> Result<Secret, ConfigError> {
        match (env, file) {
            (Some(_), Some(file)) => Err(self.invalid(
                &format!("{table}.{name}_file"),
                Some(file.span()),
                format!("give either {name}_env or {name}_file, not both"),
            )),
            (None, None) => Err(self.invalid(table, None, format!("missing {name}_env or {name}_file"))),
            (Some(env), None) => {
                let key = format!("{table}.{name}_env");
                let value = std::env::var(env.get_ref()).map_err(|_| {
                    self.invalid(&key, Some(env.span()), format!("environment variable {} is not set", env.get_ref()))
                })?;
                if value.trim().is_empty() {
                    return Err(self.invalid(&key, Some(env.span()), format!("environment variable {} is empty", env.get_ref())));
                }
                Ok(Secret(value.trim().to_owned()))
            }
            (None, Some(file)) => {
                let key = format!("{table}.{name}_file");
                let span = file.span();
                let path = file.get_mut();
                if path.is_relative() {
                    *path = base.join(&*path);
                }
                let value = std::fs::read_to_string(&*path)
                    .map_err(|error| self.invalid(&key, Some(span.clone()), format!("cannot read {}: {error}", path.display())))?;
                if value.trim().is_empty() {
                    return Err(self.invalid(&key, Some(span), format!("{} is empty", path.display())));
                }
                Ok(Secret(value.trim().to_owned()))
            }
        }
    }
}

fn parse_error(path: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
    let start = error.span().map_or(0, |span| span.start);
    let line = line_of(text, start);
    let line_start = text[..start.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..start.min(text.len())].chars().count() + 1;
    ConfigError::Parse {
        path: path.to_owned(),
        line,
        column,
        message: error.message().trim().to_owned(),
        excerpt: text.lines().nth(line - 1).map(|l| format!("  | {l}")).unwrap_or_default(),
    }
}

/// Returns the 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/etc/harrier/harrier.toml"), text)
    }

    #[test]
    fn unknown_key_named_with_line() {
        let error = parse("data_dir = \"d\"\n[api]\nlisten = \"127.0.0.1:1\"\nlisen = \"x\"\n").unwrap_err().to_string();
        assert!(error.contains("harrier.toml:4:"), "{error}");
        assert!(error.contains("lisen"), "{error}");
    }

    #[test]
    fn missing_secret_env_named() {
        let text = "data_dir = \"d\"\n[[tenant]]\nid = \"a\"\n[tenant.m365]\ntenant_id = \"t\"\nclient_id = \"c\"\nclient_secret_env = \"HARRIER_TEST_SECRET_NEVER_SET\"\n";
        let error = parse(text).unwrap_err().to_string();
        assert!(
            error.contains("tenant[0].m365.client_secret_env: environment variable HARRIER_TEST_SECRET_NEVER_SET is not set"),
            "{error}"
        );
        assert!(error.contains(":7:"), "{error}");
    }

    #[test]
    fn missing_secret_file_named() {
        let text = "data_dir = \"d\"\n[export]\nwebhook_url = \"http://127.0.0.1:9/\"\nwebhook_secret_file = \"/nonexistent/secret\"\n";
        let error = parse(text).unwrap_err().to_string();
        assert!(error.contains("export.webhook_secret_file"), "{error}");
        assert!(error.contains("/nonexistent/secret"), "{error}");
    }

    #[test]
    fn bad_duration_named() {
        let text = "data_dir = \"d\"\n[[tenant]]\nid = \"a\"\n[tenant.collect]\npoll_interval = \"soon\"\n";
        let error = parse(text).unwrap_err().to_string();
        assert!(error.contains(":5:"), "{error}");
        assert!(error.contains("\"soon\" is not a duration"), "{error}");
    }

    #[test]
    fn duplicate_tenant_rejected() {
        let error = parse("data_dir = \"d\"\n[[tenant]]\nid = \"a\"\n[[tenant]]\nid = \"a\"\n").unwrap_err().to_string();
        assert!(error.contains("tenant[1].id"), "{error}");
    }

    #[test]
    fn secret_from_file_and_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secret"), "s3cret\n").unwrap();
        let text = "data_dir = \"data\"\n[[tenant]]\nid = \"a\"\n[tenant.m365]\ntenant_id = \"t\"\nclient_id = \"c\"\nclient_secret_file = \"secret\"\n[tenant.spool]\ndir = \"spool\"\n";
        let config = Config::parse(&dir.path().join("harrier.toml"), text).unwrap();
        assert_eq!(config.data_dir, dir.path().join("data"));
        let m365 = config.tenants[0].m365.as_ref().unwrap();
        assert_eq!(m365.client_secret.as_ref().unwrap().expose(), "s3cret");
        assert_eq!(m365.graph, DEFAULT_GRAPH);
        assert_eq!(config.tenants[0].spool.as_ref().unwrap().dir, dir.path().join("spool"));
        assert!(!format!("{config:?}").contains("s3cret"), "Debug output shows the secret");
    }

    #[test]
    fn linklock_trusted_proxies() {
        let text = "data_dir = \"d\"\n[linklock]\nlisten = \"127.0.0.1:8180\"\nkey_file = \"k\"\n";
        let config = parse(text).unwrap();
        assert!(config.linklock.unwrap().trusted_proxies.is_empty(), "none are trusted by default");

        let trusted = parse(&format!("{text}trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\n")).unwrap();
        let networks: Vec<String> =
            trusted.linklock.unwrap().trusted_proxies.networks().iter().map(ToString::to_string).collect();
        assert_eq!(networks, vec!["127.0.0.1/32", "10.0.0.0/8"]);

        let error = parse(&format!("{text}trusted_proxies = [\"proxy.example\"]\n")).unwrap_err().to_string();
        assert!(error.contains("harrier.toml:5:"), "{error}");
        assert!(error.contains("\"proxy.example\" is not an IP address"), "{error}");
    }

    #[test]
    fn example_config_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/harrier.toml");
        // SAFETY: no other test of this crate reads or sets this variable.
        unsafe { std::env::set_var("HARRIER_EXAMPLE_CLIENT_SECRET", "example") };
        let config = Config::load(&path).unwrap();
        assert!(config.api.listen.ip().is_loopback());
        assert!(!config.tenants.is_empty());
        for tenant in &config.tenants {
            if let Some(m365) = &tenant.m365 {
                for url in [&m365.authority, &m365.graph, &m365.management] {
                    assert!(url.starts_with("http://127.0.0.1"), "{url} in the example is not loopback");
                }
            }
        }
    }
}
