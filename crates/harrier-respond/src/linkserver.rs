//! The link-lock endpoint over HTTP: an axum [`Router`] around [`linklock::handle`], the SQLite record of
//! used continue nonces, and the click events it writes to the event store.
//!
//! Every request goes through one handler that passes the raw path and query to [`linklock::handle`], so
//! percent-encoded slashes, extra segments and query strings reach the same checks as any other request,
//! and no framework rejection answers without the security headers. Used nonces live in `linklock.sqlite`
//! in the data directory, so a continue form cannot be replayed after a restart. Each click becomes an
//! [`Activity::LinkClick`] event of the token's tenant in the event store, for later analysis.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use harrier_model::{Activity, Actor, ActorKind, Client, Event, LinkClick, Outcome, Record, SourceFormat, TenantId};
use harrier_store::Store;
use rusqlite::{Connection, params};

use crate::linklock::{self, Click, LinkKeys, LinkMethod, LinkRequest, NonceStore};
use crate::proxy::TrustedProxies;

/// The name of the used-nonce database inside the data directory.
pub const NONCE_FILE: &str = "linklock.sqlite";

/// The largest request body read, in bytes. A continue form is about 150 bytes.
const MAX_BODY: usize = 4096;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The longest user agent kept in a click event, in bytes.
const MAX_USER_AGENT: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum LinkServerError {
    #[error("cannot create the data directory {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("nonce database {}: {source}", path.display())]
    Nonces { path: PathBuf, source: rusqlite::Error },
    #[error(transparent)]
    Store(#[from] harrier_store::StoreError),
}

/// The used continue nonces, in SQLite. Each is kept until its continue form expires, so a replay is
/// rejected across restarts.
pub struct SqliteNonces {
    path: PathBuf,
    connection: Connection,
    inserts: u64,
}

/// Used nonces are pruned once every this many inserts.
const PRUNE_EVERY: u64 = 1024;

impl SqliteNonces {
    /// Opens or creates `linklock.sqlite` in the data directory.
    pub fn open(data_dir: &Path) -> Result<SqliteNonces, LinkServerError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| LinkServerError::CreateDir { path: data_dir.to_path_buf(), source })?;
        let path = data_dir.join(NONCE_FILE);
        let error = |source| LinkServerError::Nonces { path: path.clone(), source };
        let connection = Connection::open(&path).map_err(error)?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(error)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE IF NOT EXISTS used_nonces (nonce TEXT PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID;",
            )
            .map_err(error)?;
        Ok(SqliteNonces { path, connection, inserts: 0 })
    }

    fn record(&mut self, nonce: &str, expires: i64) -> rusqlite::Result<bool> {
        let inserted =
            self.connection.execute("INSERT OR IGNORE INTO used_nonces (nonce, expires) VALUES (?1, ?2)", params![nonce, expires])?;
        self.inserts += 1;
        if self.inserts % PRUNE_EVERY == 0 {
            // An expired continue form is rejected by its signed expiry, so its nonce need not be kept.
            let now = jiff::Timestamp::now().as_second();
            self.connection.execute("DELETE FROM used_nonces WHERE expires < ?1", [now])?;
        }
        Ok(inserted == 1)
    }
}

impl NonceStore for SqliteNonces {
    fn first_use(&mut self, nonce: &str, expires: i64) -> bool {
        match self.record(nonce, expires) {
            Ok(first) => first,
            Err(error) => {
                tracing::error!(path = %self.path.display(), %error, "failed to record a continue nonce, so the continue is rejected");
                false
            }
        }
    }
}

/// The state the link-lock router shares between requests.
pub struct LinkServer {
    keys: LinkKeys,
    nonces: Mutex<Box<dyn NonceStore + Send>>,
    store: Option<Mutex<Store>>,
    trusted_proxies: TrustedProxies,
}

impl LinkServer {
    /// Serves with nonces and click events under `data_dir`.
    pub fn open(keys: LinkKeys, data_dir: &Path) -> Result<LinkServer, LinkServerError> {
        let nonces = SqliteNonces::open(data_dir)?;
        let store = Store::open(data_dir)?;
        Ok(LinkServer {
            keys,
            nonces: Mutex::new(Box::new(nonces)),
            store: Some(Mutex::new(store)),
            trusted_proxies: TrustedProxies::default(),
        })
    }

    /// Serves with any nonce store and no event store, for tests and embedding.
    pub fn with_nonces(keys: LinkKeys, nonces: Box<dyn NonceStore + Send>) -> LinkServer {
        LinkServer { keys, nonces: Mutex::new(nonces), store: None, trusted_proxies: TrustedProxies::default() }
    }

    /// Takes the client address of a click from `X-Forwarded-For` when the TCP peer is one of `proxies`.
    /// With none, the default, the header is ignored and the peer's address is recorded.
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> LinkServer {
        self.trusted_proxies = proxies;
        self
    }

    fn record_click(&self, click: &Click, client: Client) {
        let Some(store) = &self.store else { return };
        let record = click_record(click, client);
        let mut store = store.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(error) = store.insert(std::slice::from_ref(&record)) {
            tracing::error!(%error, token_id = %click.token_id, tenant = %click.tenant, "cannot store a link click");
        }
    }
}

/// Builds the router: every path goes to [`linklock::handle`].
pub fn router(server: Arc<LinkServer>) -> Router {
    Router::new().fallback(serve_request).layer(DefaultBodyLimit::max(MAX_BODY)).with_state(server)
}

/// Serves the router on a bound listener until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    server: Arc<LinkServer>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(server).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

async fn serve_request(axum::extract::State(server): axum::extract::State<Arc<LinkServer>>, request: Request) -> Response {
    let method = match *request.method() {
        Method::GET => LinkMethod::Get,
        Method::POST => LinkMethod::Post,
        _ => LinkMethod::Other,
    };
    let path_and_query = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".to_owned());
    let client = Client {
        ip: request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| {
            let forwarded_for = request.headers().get_all(X_FORWARDED_FOR).iter().map(HeaderValue::as_bytes);
            server.trusted_proxies.client_ip(info.0.ip(), forwarded_for)
        }),
        user_agent: request
            .headers()
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(MAX_USER_AGENT).collect()),
    };
    let form = match method {
        LinkMethod::Post => match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
            Ok(bytes) => bytes,
            Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE),
        },
        _ => Default::default(),
    };

    let server_for_task = server.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let now = jiff::Timestamp::now().as_second();
        let request = LinkRequest { method, path_and_query: &path_and_query, form: &form };
        let response = {
            let mut nonces = server_for_task.nonces.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            linklock::handle(&server_for_task.keys, &request, now, nonces.as_mut())
        };
        if let Some(click) = &response.click {
            tracing::info!(token_id = %click.token_id, tenant = %click.tenant, continued = click.continued, "locked link opened");
            server_for_task.record_click(click, client);
        }
        response
    })
    .await;
    match outcome {
        Ok(response) => to_http(response),
        Err(error) => {
            tracing::error!(%error, "the link-lock handler failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

fn to_http(response: linklock::LinkResponse) -> Response {
    let mut http = Response::new(Body::from(response.body));
    *http.status_mut() = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in &response.headers {
        // A value that is not a valid header (a control character) is never sent: for `Location` that
        // means no redirect.
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) else {
            tracing::error!(header = name, "a link-lock response header is not valid");
            return plain(StatusCode::INTERNAL_SERVER_ERROR);
        };
        http.headers_mut().insert(name, value);
    }
    http
}

fn plain(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    response
}

/// Turns a click into a normalised event of the token's tenant, with the click as its source record.
pub fn click_record(click: &Click, client: Client) -> Record {
    let time = jiff::Timestamp::from_second(click.time).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let operation = if click.continued { "LinkLockContinue" } else { "LinkLockView" };
    let event = Event {
        tenant: TenantId::new(click.tenant.clone()),
        record_id: format!("link_lock:{}", click.click_id),
        time,
        format: SourceFormat::LinkLock,
        operation: operation.to_owned(),
        workload: Some("harrier".to_owned()),
        outcome: Outcome::Success,
        actor: Actor { user: Some(click.recipient.to_lowercase()), kind: ActorKind::User, ..Actor::default() },
        client: client.clone(),
        ip_info: None,
        activity: Activity::LinkClick(LinkClick {
            token_id: click.token_id.clone(),
            url: click.url.clone(),
            message_id: click.message_id.clone(),
            recipient: click.recipient.clone(),
            continued: click.continued,
        }),
    };
    let raw = serde_json::json!({ "click": click, "client_ip": client.ip, "user_agent": client.user_agent }).to_string();
    Record { event, raw }
}
