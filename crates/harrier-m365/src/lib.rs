//! A client for Microsoft's cloud APIs, signed in as an Entra ID application.
//!
//! It takes tokens with the client-credentials flow from `{authority}/{tenant}/oauth2/v2.0/token` and keeps
//! one token per resource scope (`https://graph.microsoft.com/.default`,
//! `https://manage.office.com/.default`), renewed five minutes before it expires and once more when a call
//! returns 401. A 429 or 503 response is repeated after its `Retry-After` seconds, or after a wait that
//! doubles from [`RetryPolicy::initial_backoff`] up to [`RetryPolicy::max_wait`]. Those responses mean the
//! service did not carry the request out, so repeating any method is safe. A timeout, a transport error, a
//! 500, 502 or 504 may follow a request the service did carry out, so GET requests are repeated after any
//! of them. PATCH and DELETE requests set fields or remove an object by id, so they end in the same state
//! when carried out twice. They are repeated after a timeout, a transport error or a 504 (a gateway that
//! gave up waiting), but never after a 500 or 502, which the service itself returned. Other methods, POST
//! among them, are not repeated then.
//!
//! The client secret and the tokens never appear in `Debug` output, errors or logs.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use reqwest::Method;
pub use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

/// The identity platform of Microsoft's public cloud.
pub const PUBLIC_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Microsoft Graph in the public cloud, without a version.
pub const PUBLIC_GRAPH: &str = "https://graph.microsoft.com";
/// The Office 365 Management APIs of the public cloud's enterprise plan.
pub const PUBLIC_MANAGEMENT: &str = "https://manage.office.com";

/// The scope of a token for Microsoft Graph in the public cloud.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// The scope of a token for the Office 365 Management APIs in the public cloud.
pub const MANAGEMENT_SCOPE: &str = "https://manage.office.com/.default";

/// A token is renewed when it expires within this time.
const TOKEN_RENEWAL_MARGIN: Duration = Duration::from_secs(300);

/// The application the client signs in as. `Debug` leaves the secret out.
#[derive(Clone)]
pub struct Credentials {
    /// The Entra tenant (directory) id or a verified domain of the tenant.
    pub tenant: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// How often and how long the client waits before repeating a request.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts per request, the first included. A token renewed after a 401 does not count.
    pub attempts: u32,
    /// The first wait when the response names none. Each later wait doubles.
    pub initial_backoff: Duration,
    /// The maximum wait, also applied to a longer `Retry-After`.
    pub max_wait: Duration,
    /// The time limit of one HTTP request, the response body included.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 6,
            initial_backoff: Duration::from_secs(2),
            max_wait: Duration::from_secs(120),
            timeout: Duration::from_secs(60),
        }
    }
}

/// The kinds of failure callers count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// 429, or 503 with `Retry-After`: the service asked the client to slow down.
    Throttled,
    /// A 5xx response.
    ServerError,
    /// The token request failed, or a call returned 401 or 403.
    Auth,
    /// The request timed out.
    Timeout,
    /// The connection failed or broke.
    Transport,
    /// Another 4xx response.
    Rejected,
    /// A response body or content blob that is not the JSON expected, for example one cut short.
    Malformed,
    /// The local store or checkpoint database failed.
    Storage,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Throttled => "throttled",
            ErrorKind::ServerError => "server_error",
            ErrorKind::Auth => "auth",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Transport => "transport",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Storage => "storage",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum M365Error {
    #[error("token request for {scope} failed: {message}")]
    Token { scope: String, message: String },
    /// A response other than 2xx. `code` is the `error.code` of Graph's and the Management API's error
    /// body (`InvalidAuthenticationToken`, `AF20022`) when there is one.
    #[error("{method} {url} failed: {status} {code} {message}")]
    Status { method: String, url: String, status: u16, code: String, message: String, retry_after: Option<Duration> },
    #[error("{method} {url} timed out")]
    Timeout { method: String, url: String },
    #[error("{method} {url} failed: {message}")]
    Transport { method: String, url: String, message: String },
}

impl M365Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            M365Error::Token { .. } => ErrorKind::Auth,
            M365Error::Status { status: 401 | 403, .. } => ErrorKind::Auth,
            M365Error::Status { status: 429, .. } => ErrorKind::Throttled,
            M365Error::Status { status: 503, retry_after: Some(_), .. } => ErrorKind::Throttled,
            M365Error::Status { status, .. } if *status >= 500 => ErrorKind::ServerError,
            M365Error::Status { .. } => ErrorKind::Rejected,
            M365Error::Timeout { .. } => ErrorKind::Timeout,
            M365Error::Transport { .. } => ErrorKind::Transport,
        }
    }

    /// Returns the HTTP status of a response error.
    pub fn status(&self) -> Option<u16> {
        match self {
            M365Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Returns the `error.code` of a response error's body.
    pub fn code(&self) -> Option<&str> {
        match self {
            M365Error::Status { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Counts of the requests repeated since the client was made, by the kind of failure that preceded them.
#[derive(Debug, Default)]
pub struct RetryCounts {
    throttled: AtomicU64,
    server_error: AtomicU64,
    timeout: AtomicU64,
    transport: AtomicU64,
    token_renewed_after_401: AtomicU64,
}

impl RetryCounts {
    /// Returns the counts by kind. Tokens renewed after a 401 are counted as [`ErrorKind::Auth`].
    pub fn snapshot(&self) -> Vec<(ErrorKind, u64)> {
        vec![
            (ErrorKind::Throttled, self.throttled.load(Ordering::Relaxed)),
            (ErrorKind::ServerError, self.server_error.load(Ordering::Relaxed)),
            (ErrorKind::Timeout, self.timeout.load(Ordering::Relaxed)),
            (ErrorKind::Transport, self.transport.load(Ordering::Relaxed)),
            (ErrorKind::Auth, self.token_renewed_after_401.load(Ordering::Relaxed)),
        ]
    }

    fn add(&self, kind: ErrorKind) {
        let counter = match kind {
            ErrorKind::Throttled => &self.throttled,
            ErrorKind::ServerError => &self.server_error,
            ErrorKind::Timeout => &self.timeout,
            ErrorKind::Auth => &self.token_renewed_after_401,
            _ => &self.transport,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A successful response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    /// Parses the body as JSON.
    pub fn json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// Returns a header's value when it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

struct CachedToken {
    token: String,
    expires: Instant,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

/// A client of one tenant's application, shared by every request to Graph and the Management APIs.
pub struct M365Client {
    credentials: Credentials,
    authority: String,
    retry: RetryPolicy,
    http: reqwest::Client,
    /// One token per scope. The lock is held while a token is requested, so concurrent callers wait for
    /// one request instead of each making their own.
    tokens: tokio::sync::Mutex<HashMap<String, CachedToken>>,
    retries: Arc<RetryCounts>,
}

impl std::fmt::Debug for M365Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("M365Client")
            .field("credentials", &self.credentials)
            .field("authority", &self.authority)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl M365Client {
    /// Makes a client that signs in at `authority` (such as [`PUBLIC_AUTHORITY`]).
    pub fn new(credentials: Credentials, authority: &str, retry: RetryPolicy) -> Result<M365Client, M365Error> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(retry.timeout)
            .connect_timeout(retry.timeout.min(Duration::from_secs(30)))
            .user_agent(concat!("harrier/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| M365Error::Transport {
                method: String::new(),
                url: String::new(),
                message: format!("cannot build the HTTP client: {error}"),
            })?;
        Ok(M365Client {
            credentials,
            authority: authority.trim_end_matches('/').to_owned(),
            retry,
            http,
            tokens: tokio::sync::Mutex::new(HashMap::new()),
            retries: Arc::new(RetryCounts::default()),
        })
    }

    /// Returns the counts of repeated requests, which grow for the client's lifetime.
    pub fn retries(&self) -> &RetryCounts {
        &self.retries
    }

    /// Returns a token for `scope`, requesting a new one when none is cached, the cached one expires
    /// within five minutes, or `renew` is set.
    async fn token(&self, scope: &str, renew: bool) -> Result<String, M365Error> {
        let mut tokens = self.tokens.lock().await;
        if !renew
            && let Some(cached) = tokens.get(scope)
            && cached.expires > Instant::now() + TOKEN_RENEWAL_MARGIN
        {
            return Ok(cached.token.clone());
        }

        let url = format!("{}/{}/oauth2/v2.0/token", self.authority, self.credentials.tenant);
        let form = [
            ("client_id", self.credentials.client_id.as_str()),
            ("client_secret", self.credentials.client_secret.as_str()),
            ("scope", scope),
            ("grant_type", "client_credentials"),
        ];
        let token_error = |message: String| M365Error::Token { scope: scope.to_owned(), message };
        let response = self
            .http
            .post(&url)
            .form(&form)
            .send()
            .await
            .map_err(|error| token_error(error.without_url().to_string()))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|error| token_error(error.without_url().to_string()))?;
        if !status.is_success() {
            // The identity platform responds with `error` and an `error_description` naming the AADSTS code.
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let description =
                body["error_description"].as_str().or(body["error"].as_str()).unwrap_or("no description");
            return Err(token_error(format!("{status}: {description}")));
        }
        let issued: TokenResponse =
            serde_json::from_slice(&body).map_err(|error| token_error(format!("invalid token response: {error}")))?;
        tracing::info!(tenant = %self.credentials.tenant, scope, expires_in = issued.expires_in, "access token issued");
        let expires = Instant::now() + Duration::from_secs(issued.expires_in);
        tokens.insert(scope.to_owned(), CachedToken { token: issued.access_token.clone(), expires });
        Ok(issued.access_token)
    }

    /// Sends a GET request with a token for `scope`.
    pub async fn get(&self, scope: &str, url: &str) -> Result<Response, M365Error> {
        self.send(Method::GET, scope, url, None).await
    }

    /// Sends a request with a token for `scope` and an optional JSON body, repeating it as the module
    /// documentation describes, and returns the first 2xx response.
    pub async fn send(&self, method: Method, scope: &str, url: &str, body: Option<&Value>) -> Result<Response, M365Error> {
        let is_get = method == Method::GET;
        let is_idempotent = method == Method::PATCH || method == Method::DELETE;
        let mut backoff = self.retry.initial_backoff;
        let mut renewed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let token = self.token(scope, false).await?;
            let mut request = self.http.request(method.clone(), url).bearer_auth(token);
            if let Some(body) = body {
                request = request.header("content-type", "application/json").body(body.to_string());
            }
            let failure = match self.attempt(&method, url, request).await {
                Ok(response) => return Ok(response),
                Err(failure) => failure,
            };

            if failure.status() == Some(401) && !renewed {
                // An expired or revoked token: a renewed token does not count as an attempt.
                tracing::info!(url, "the token was rejected; requesting a new one");
                self.retries.add(ErrorKind::Auth);
                renewed = true;
                attempt -= 1;
                self.token(scope, true).await?;
                continue;
            }
            let kind = failure.kind();
            let always_repeatable = matches!(failure.status(), Some(429 | 503));
            let retry = always_repeatable
                || match kind {
                    ErrorKind::ServerError => is_get || (is_idempotent && failure.status() == Some(504)),
                    ErrorKind::Timeout | ErrorKind::Transport => is_get || is_idempotent,
                    _ => false,
                };
            if !retry || attempt >= self.retry.attempts {
                return Err(failure);
            }
            let retry_after = match &failure {
                M365Error::Status { retry_after, .. } => *retry_after,
                _ => None,
            };
            let wait = retry_after.unwrap_or(backoff).min(self.retry.max_wait);
            self.retries.add(kind);
            tracing::warn!(
                attempt,
                url,
                kind = kind.as_str(),
                wait_ms = wait.as_millis() as u64,
                error = %failure,
                "request will be repeated"
            );
            tokio::time::sleep(wait).await;
            backoff = (backoff * 2).min(self.retry.max_wait);
        }
    }

    /// Sends one request and reads its whole response.
    async fn attempt(&self, method: &Method, url: &str, request: reqwest::RequestBuilder) -> Result<Response, M365Error> {
        let transport = |error: reqwest::Error| {
            if error.is_timeout() {
                M365Error::Timeout { method: method.to_string(), url: url.to_owned() }
            } else {
                M365Error::Transport { method: method.to_string(), url: url.to_owned(), message: error.without_url().to_string() }
            }
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport)?.to_vec();
        if (200..300).contains(&status) {
            return Ok(Response { status, headers, body });
        }
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let code = parsed["error"]["code"].as_str().unwrap_or_default().to_owned();
        let message = parsed["error"]["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned());
        Err(M365Error::Status { method: method.to_string(), url: url.to_owned(), status, code, message, retry_after })
    }
}

/// Makes ring the process's TLS crypto provider, once. Clients built with reqwest's `rustls-no-provider`
/// feature need one before their first request.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // rustls marks its ring provider deprecated because ring lacks post-quantum key exchange. It is kept
        // because one crypto back-end builds faster than two. Installing fails only when another provider
        // was installed first, which works as well.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
