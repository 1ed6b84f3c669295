//! The HTTP API.
//!
//! Every route but `/healthz`, `/readyz` and `/login` needs a principal: an API token in
//! `Authorization: Bearer`, or the session cookie `/login` sets. A state change made with the cookie also
//! needs the session's CSRF token in `X-CSRF-Token`, and is rejected when `Sec-Fetch-Site` or `Origin` show
//! another site sent it. Viewers read; analysts and admins also change incidents and decide actions; only
//! admins read the audit log. Incidents and actions of a tenant outside the principal's scope return
//! 404, as if they did not exist. Every change is recorded in the audit log.
//!
//! `openapi.json` in this crate describes every route, and a test checks that [`ROUTES`] and it agree.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Credential, Principal, Role, Scope};
use crate::db::{Audit, DbError};
use crate::query::{BreachFilter, IncidentFilter, QueryError, Reader};
use crate::service::App;

/// The session cookie's name. The `__Host-` prefix is used only with `Secure`, since browsers reject it
/// otherwise.
const SESSION_COOKIE: &str = "harrier_session";
const SECURE_SESSION_COOKIE: &str = "__Host-harrier_session";

/// Every route with its method, as listed in `openapi.json`.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("post", "/login"),
    ("post", "/logout"),
    ("get", "/api/v1/session"),
    ("get", "/api/v1/tenants"),
    ("get", "/api/v1/incidents"),
    ("get", "/api/v1/incidents/{id}"),
    ("put", "/api/v1/incidents/{id}/status"),
    ("put", "/api/v1/incidents/{id}/assignee"),
    ("post", "/api/v1/incidents/{id}/comments"),
    ("get", "/api/v1/breaches"),
    ("get", "/api/v1/tenants/{tenant}/users/{user}/baseline"),
    ("get", "/api/v1/tenants/{tenant}/users/{user}/activity"),
    ("get", "/api/v1/tenants/{tenant}/messages"),
    ("get", "/api/v1/tenants/{tenant}/messages/{id}"),
    ("get", "/api/v1/actions"),
    ("post", "/api/v1/actions/{id}/approve"),
    ("post", "/api/v1/actions/{id}/reject"),
    ("post", "/api/v1/actions/{id}/undo"),
    ("get", "/api/v1/exports"),
    ("get", "/api/v1/models"),
    ("get", "/api/v1/audit"),
];

/// The OpenAPI 3.1 description of the API.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// The largest request body accepted.
const MAX_BODY: usize = 64 * 1024;

pub fn router(app: Arc<App>) -> Router {
    crate::ui::routes(Router::new())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/api/v1/session", get(session))
        .route("/api/v1/tenants", get(tenants))
        .route("/api/v1/incidents", get(list_incidents))
        .route("/api/v1/incidents/{id}", get(incident_detail))
        .route("/api/v1/incidents/{id}/status", put(set_status))
        .route("/api/v1/incidents/{id}/assignee", put(set_assignee))
        .route("/api/v1/incidents/{id}/comments", post(add_comment))
        .route("/api/v1/breaches", get(list_breaches))
        .route("/api/v1/tenants/{tenant}/users/{user}/baseline", get(baseline))
        .route("/api/v1/tenants/{tenant}/users/{user}/activity", get(user_activity))
        .route("/api/v1/tenants/{tenant}/messages", get(messages))
        .route("/api/v1/tenants/{tenant}/messages/{id}", get(message_detail))
        .route("/api/v1/actions", get(list_actions))
        .route("/api/v1/actions/{id}/approve", post(approve))
        .route("/api/v1/actions/{id}/reject", post(reject))
        .route("/api/v1/actions/{id}/undo", post(undo))
        .route("/api/v1/exports", get(exports))
        .route("/api/v1/models", get(models))
        .route("/api/v1/audit", get(audit))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(app.clone(), count_requests))
        .layer(axum::middleware::from_fn(crate::ui::security_headers))
        .with_state(app)
}

async fn count_requests(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let class = format!("{}xx", response.status().as_u16() / 100);
    app.metrics.http_requests.with_label_values(&[&class]).inc();
    response
}

/// An error response: a status and a JSON body `{"error": message}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into() }
    }

    fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "authentication required: send an API token as `Authorization: Bearer TOKEN` or log in")
    }

    fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(%error, "API request failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error; the service log has the details")
    }
}

/// Query parameters whose parse errors return the API's JSON error, which names the parameter, in place
/// of axum's plain-text rejection.
struct ApiQuery<T>(T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError::new(StatusCode::BAD_REQUEST, rejection.body_text())),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> ApiError {
        match error {
            DbError::Invalid(message) => ApiError::new(StatusCode::BAD_REQUEST, message),
            DbError::NotFound(what) => ApiError::not_found(&what),
            other => ApiError::internal(other),
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(error: QueryError) -> ApiError {
        match error {
            QueryError::Invalid(message) => ApiError::new(StatusCode::BAD_REQUEST, message),
            other => ApiError::internal(other),
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The authenticated principal of a request, with the CSRF checks of cookie sessions done.
pub struct Auth(pub Principal);

impl FromRequestParts<Arc<App>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Auth, ApiError> {
        let principal = authenticate(app, &parts.headers)?.ok_or_else(ApiError::unauthorized)?;
        let changes_state = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if changes_state && let Credential::Session { csrf_hash } = &principal.credential {
            check_same_site(&parts.headers)?;
            let token = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
            if token.is_empty() || !crate::auth::same_hash(&crate::auth::hash_secret(token), csrf_hash) {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "missing or wrong X-CSRF-Token for a cookie session"));
            }
        }
        Ok(Auth(principal))
    }
}

/// Returns the principal of a bearer token or session cookie; None when the request carries neither,
/// and 401 when what it carries is not valid.
pub(crate) fn authenticate(app: &App, headers: &HeaderMap) -> ApiResult<Option<Principal>> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).ok_or_else(ApiError::unauthorized)?;
        return match app.db().authenticate_token(token.trim())? {
            Some(principal) => Ok(Some(principal)),
            None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "the API token is not valid or was revoked")),
        };
    }
    let Some(session) = session_cookie(headers) else { return Ok(None) };
    match app.db().authenticate_session(&session, jiff::Timestamp::now())? {
        Some(principal) => Ok(Some(principal)),
        None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "the session expired or is not valid; log in again")),
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE || c.name() == SECURE_SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

/// Rejects a request that a browser marks as sent from another site: by `Sec-Fetch-Site`, or by an
/// `Origin` whose host differs from `Host`.
fn check_same_site(headers: &HeaderMap) -> ApiResult<()> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err(ApiError::new(StatusCode::FORBIDDEN, format!("cross-site request rejected (Sec-Fetch-Site: {site})")));
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
        if origin == "null" || origin_host != host {
            return Err(ApiError::new(StatusCode::FORBIDDEN, format!("cross-site request rejected (Origin: {origin})")));
        }
    }
    Ok(())
}

fn require(principal: &Principal, role: Role) -> ApiResult<()> {
    if principal.role < role {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("{} has the {} role; this needs {}", principal.name, principal.role.as_str(), role.as_str()),
        ));
    }
    Ok(())
}

/// Runs blocking database work off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)?
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    if app.ready.load(std::sync::atomic::Ordering::SeqCst) {
        Json(json!({ "status": "ready" })).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "starting" }))).into_response()
    }
}

async fn metrics(State(app): State<Arc<App>>, Auth(principal): Auth) -> ApiResult<Response> {
    require_all_tenants(&principal, "metrics")?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render()).into_response())
}

/// Rejects a principal limited to some tenants from a view that covers every tenant, such as the metrics
/// with their tenant labels.
fn require_all_tenants(principal: &Principal, what: &str) -> ApiResult<()> {
    match principal.scope {
        Scope::All => Ok(()),
        Scope::Tenants(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("{what} cover every tenant, so they need a token or user with tenant *"),
        )),
    }
}

async fn openapi(Auth(_): Auth) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    username: String,
    password: String,
}

/// Checks a user's password and sets the session cookie. The body is JSON or a form. The response contains
/// the CSRF token that state changes made with the cookie must send.
async fn login(State(app): State<Arc<App>>, headers: HeaderMap, body: axum::body::Bytes) -> ApiResult<Response> {
    check_same_site(&headers)?;
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let request: LoginRequest = if is_form {
        serde_urlencoded::from_bytes(&body).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("invalid login form: {e}")))?
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("invalid login body: {e}")))?
    };

    let now = std::time::Instant::now();
    if !app.login_limiter.allows(&request.username, now) {
        tracing::warn!(user = %request.username, "login rejected: too many failed attempts");
        return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, format!(
            "too many failed logins for this user; try again in {} minutes",
            crate::service::LOGIN_WINDOW.as_secs() / 60
        )));
    }
    let ttl = app.session_ttl;
    let worker = app.clone();
    let username = request.username.clone();
    let session = blocking(move || Ok(worker.db().login(&request.username, &request.password, ttl, jiff::Timestamp::now())?)).await?;
    let Some((session, csrf)) = session else {
        tracing::warn!(user = %username, "login failed");
        app.login_limiter.record_failure(&username, now);
        app.metrics.errors.with_label_values(&["login_failed"]).inc();
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong user name or password"));
    };
    tracing::info!(user = %username, "login");
    app.login_limiter.clear(&username);

    let name = if app.secure_cookies { SECURE_SESSION_COOKIE } else { SESSION_COOKIE };
    let cookie = cookie::Cookie::build((name, session))
        .http_only(true)
        .secure(app.secure_cookies)
        .same_site(cookie::SameSite::Strict)
        .path("/")
        .max_age(cookie::time::Duration::seconds(ttl.as_secs() as i64))
        .build();
    let mut response = Json(json!({ "user": username, "csrf_token": csrf })).into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie.to_string()).map_err(ApiError::internal)?);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn logout(State(app): State<Arc<App>>, headers: HeaderMap, Auth(_): Auth) -> ApiResult<Response> {
    if let Some(session) = session_cookie(&headers) {
        app.db().logout(&session)?;
    }
    let name = if app.secure_cookies { SECURE_SESSION_COOKIE } else { SESSION_COOKIE };
    let cookie = cookie::Cookie::build((name, "")).path("/").max_age(cookie::time::Duration::ZERO).build();
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie.to_string()).map_err(ApiError::internal)?);
    Ok(response)
}

async fn session(Auth(principal): Auth) -> Json<Value> {
    Json(json!({
        "name": principal.name,
        "role": principal.role,
        "tenants": principal.scope.to_list(),
        "via": match principal.credential { Credential::Bearer => "token", Credential::Session { .. } => "session" },
    }))
}

async fn tenants(State(app): State<Arc<App>>, Auth(principal): Auth) -> Json<Value> {
    let statuses = app.sources.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let list: Vec<Value> = app
        .tenants
        .iter()
        .filter(|tenant| principal.scope.allows(tenant))
        .map(|tenant| {
            let sources: serde_json::Map<String, Value> = statuses
                .iter()
                .filter(|((t, _), _)| t == tenant)
                .map(|((_, source), status)| (source.clone(), serde_json::to_value(status).unwrap_or(Value::Null)))
                .collect();
            json!({ "id": tenant, "sources": sources })
        })
        .collect();
    Json(json!({ "items": list }))
}

async fn list_incidents(State(app): State<Arc<App>>, Auth(principal): Auth, ApiQuery(filter): ApiQuery<IncidentFilter>) -> ApiResult<Json<Value>> {
    let data_dir = app.data_dir.clone();
    let page = blocking(move || Ok(Reader::open(&data_dir)?.incidents(&principal.scope, &filter)?)).await?;
    Ok(Json(serde_json::to_value(page).map_err(ApiError::internal)?))
}

/// Loads an incident in the principal's scope, or returns 404.
fn visible_incident(reader: &Reader, scope: &Scope, id: &str) -> ApiResult<harrier_detect::Incident> {
    match reader.incident(id)? {
        Some(incident) if scope.allows(incident.tenant.as_str()) => Ok(incident),
        _ => Err(ApiError::not_found(&format!("incident {id:?}"))),
    }
}

async fn incident_detail(State(app): State<Arc<App>>, Auth(principal): Auth, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let worker = app.clone();
    blocking(move || {
        let reader = Reader::open(&worker.data_dir)?;
        let incident = visible_incident(&reader, &principal.scope, &id)?;
        let mut ids: Vec<String> = incident.breaches.clone();
        let related: Vec<harrier_detect::Incident> = incident
            .related
            .iter()
            .filter_map(|other| reader.incident(other).transpose())
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|other| principal.scope.allows(other.tenant.as_str()))
            .collect();
        for other in &related {
            ids.extend(other.breaches.iter().cloned());
        }
        let breaches = reader.breaches_by_id(ids.iter())?;
        let related_activity: Vec<harrier_detect::report::RelatedActivity<'_>> = related
            .iter()
            .map(|other| harrier_detect::report::RelatedActivity {
                incident: other,
                breaches: breaches.iter().filter(|b| other.breaches.contains(&b.id)).collect(),
            })
            .collect();
        let report = harrier_detect::report::write_report(&incident, &breaches, &related_activity);
        let plan = harrier_respond::plan(&incident, &breaches, &worker.policy, harrier_respond::GuardState::default());
        let report = format!("{report}\n{}", harrier_respond::write_plan(&plan));
        let own: Vec<&harrier_detect::Breach> = breaches.iter().filter(|b| incident.breaches.contains(&b.id)).collect();
        let db = worker.db();
        let state = db.incident_state(incident.tenant.as_str(), &incident.id)?;
        let comments = db.comments(incident.tenant.as_str(), &incident.id)?;
        drop(db);
        let actions: Vec<harrier_respond::ActionState> = harrier_respond::ActionLog::open(&worker.data_dir)
            .and_then(|log| log.actions())
            .map_err(ApiError::internal)?
            .into_iter()
            .filter(|a| a.action.incident == incident.id)
            .collect();
        Ok(Json(json!({
            "incident": incident,
            "state": state,
            "comments": comments,
            "breaches": own,
            "actions": actions,
            "report": report,
        })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssigneeBody {
    assignee: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    text: String,
}

/// Applies a change to an incident the principal may change.
async fn change_incident(
    app: Arc<App>,
    principal: Principal,
    id: String,
    change: impl FnOnce(&mut crate::db::ServeDb, &str, &str, &str) -> Result<(), DbError> + Send + 'static,
) -> ApiResult<Json<Value>> {
    require(&principal, Role::Analyst)?;
    blocking(move || {
        let reader = Reader::open(&app.data_dir)?;
        let incident = visible_incident(&reader, &principal.scope, &id)?;
        let tenant = incident.tenant.as_str();
        let mut db = app.db();
        change(&mut db, tenant, &incident.id, &principal.name)?;
        let state = db.incident_state(tenant, &incident.id)?;
        let comments = db.comments(tenant, &incident.id)?;
        Ok(Json(json!({ "id": incident.id, "state": state, "comments": comments })))
    })
    .await
}

async fn set_status(State(app): State<Arc<App>>, Auth(principal): Auth, Path(id): Path<String>, Json(body): Json<StatusBody>) -> ApiResult<Json<Value>> {
    change_incident(app, principal, id, move |db, tenant, incident, by| db.set_status(tenant, incident, &body.status, by, jiff::Timestamp::now())).await
}

async fn set_assignee(State(app): State<Arc<App>>, Auth(principal): Auth, Path(id): Path<String>, Json(body): Json<AssigneeBody>) -> ApiResult<Json<Value>> {
    change_incident(app, principal, id, move |db, tenant, incident, by| {
        let assignee = body.assignee.as_deref().map(str::trim).filter(|a| !a.is_empty());
        db.set_assignee(tenant, incident, assignee, by, jiff::Timestamp::now())
    })
    .await
}

async fn add_comment(State(app): State<Arc<App>>, Auth(principal): Auth, Path(id): Path<String>, Json(body): Json<CommentBody>) -> ApiResult<Json<Value>> {
    change_incident(app, principal, id, move |db, tenant, incident, by| db.add_comment(tenant, incident, &body.text, by, jiff::Timestamp::now())).await
}

async fn list_breaches(State(app): State<Arc<App>>, Auth(principal): Auth, ApiQuery(filter): ApiQuery<BreachFilter>) -> ApiResult<Json<Value>> {
    let data_dir = app.data_dir.clone();
    let page = blocking(move || Ok(Reader::open(&data_dir)?.breaches(&principal.scope, &filter)?)).await?;
    Ok(Json(serde_json::to_value(page).map_err(ApiError::internal)?))
}

fn check_tenant(principal: &Principal, tenant: &str) -> ApiResult<()> {
    if principal.scope.allows(tenant) { Ok(()) } else { Err(ApiError::not_found(&format!("tenant {tenant:?}"))) }
}

async fn baseline(State(app): State<Arc<App>>, Auth(principal): Auth, Path((tenant, user)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    check_tenant(&principal, &tenant)?;
    blocking(move || {
        let db = harrier_detect::AnalysisDb::open(&app.data_dir).map_err(ApiError::internal)?;
        let state = db.load_state(&harrier_model::TenantId::new(tenant.clone())).map_err(ApiError::internal)?;
        let user_key = user.to_lowercase();
        let baseline = state.baselines.users.get(&user).or_else(|| state.baselines.users.get(&user_key));
        let Some(baseline) = baseline else {
            return Err(ApiError::not_found(&format!("baseline of user {user:?} in tenant {tenant:?}")));
        };
        Ok(Json(crate::baseline::summary(&tenant, &user, baseline)))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageFilter {
    /// Only messages with this verdict class, such as `credential_phishing` or `clean`.
    class: Option<String>,
    limit: Option<usize>,
}

async fn messages(State(app): State<Arc<App>>, Auth(principal): Auth, Path(tenant): Path<String>, ApiQuery(filter): ApiQuery<MessageFilter>) -> ApiResult<Json<Value>> {
    check_tenant(&principal, &tenant)?;
    let limit = filter.limit.unwrap_or(50).clamp(1, crate::query::MAX_LIMIT);
    blocking(move || {
        let tenant_id = harrier_model::TenantId::new(tenant.clone());
        let (store, [indexed]) = indexed_events(&app, &tenant_id, [harrier_detect::IndexKey::Messages])?;
        let matches = |event: &harrier_model::Event| match &event.activity {
            harrier_model::Activity::Email(email) if event.tenant == tenant_id => {
                filter.class.as_deref().is_none_or(|class| email.verdict.class == class)
            }
            _ => false,
        };
        // The events stored since the last analysis, then the newest indexed messages: the newest `limit` of
        // all are among them.
        let mut found = Vec::new();
        store
            .for_each_event_stored_after(&tenant_id, indexed.through, |_, event| {
                if matches(&event) {
                    found.push(event);
                }
                true
            })
            .map_err(ApiError::internal)?;
        let mut from_index = 0;
        store
            .for_each_event_by_seq(indexed.seqs.iter().rev().copied(), |_, event| {
                if matches(&event) {
                    found.push(event);
                    from_index += 1;
                }
                from_index < limit
            })
            .map_err(ApiError::internal)?;
        found.sort_by(|a, b| b.time.cmp(&a.time));
        found.truncate(limit);
        let items: Vec<Value> = found
            .into_iter()
            .filter_map(|event| match event.activity {
                harrier_model::Activity::Email(email) => Some(json!({ "id": event.record_id, "time": event.time, "message": email })),
                _ => None,
            })
            .collect();
        Ok(Json(json!({ "items": items })))
    })
    .await
}

/// Opens the store and returns it with the sequence numbers of `tenant`'s events that analysis indexed under
/// each of `keys`, in the order given.
fn indexed_events<const N: usize>(
    app: &App,
    tenant: &harrier_model::TenantId,
    keys: [harrier_detect::IndexKey<'_>; N],
) -> ApiResult<(harrier_store::Store, [harrier_detect::IndexedEvents; N])> {
    let store = harrier_store::Store::open(&app.data_dir).map_err(ApiError::internal)?;
    let db = harrier_detect::AnalysisDb::open(&app.data_dir).map_err(ApiError::internal)?;
    let mut indexed: [harrier_detect::IndexedEvents; N] = std::array::from_fn(|_| Default::default());
    for (slot, key) in indexed.iter_mut().zip(keys) {
        *slot = db.indexed_events(tenant, key).map_err(ApiError::internal)?;
    }
    Ok((store, indexed))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivityQuery {
    /// Days up to the user's latest event; 30 by default.
    days: Option<u32>,
}

/// The largest window of the activity summary, in days.
const MAX_ACTIVITY_DAYS: u32 = 366;

async fn user_activity(
    State(app): State<Arc<App>>,
    Auth(principal): Auth,
    Path((tenant, user)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<ActivityQuery>,
) -> ApiResult<Json<Value>> {
    check_tenant(&principal, &tenant)?;
    let days = query.days.unwrap_or(30);
    if days == 0 || days > MAX_ACTIVITY_DAYS {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, format!("days must be between 1 and {MAX_ACTIVITY_DAYS}, not {days}")));
    }
    blocking(move || {
        let tenant_id = harrier_model::TenantId::new(tenant.clone());
        let (store, [indexed]) = indexed_events(&app, &tenant_id, [harrier_detect::IndexKey::User(&user)])?;
        let mut events = Vec::new();
        store
            .for_each_event_by_seq(indexed.seqs.iter().copied(), |_, event| {
                if event.tenant == tenant_id && crate::activity::is_by(&event, &user) {
                    events.push(event);
                }
                true
            })
            .map_err(ApiError::internal)?;
        store
            .for_each_event_stored_after(&tenant_id, indexed.through, |_, event| {
                if crate::activity::is_by(&event, &user) {
                    events.push(event);
                }
                true
            })
            .map_err(ApiError::internal)?;
        if events.is_empty() {
            return Err(ApiError::not_found(&format!("events of user {user:?} in tenant {tenant:?}")));
        }
        let mut summary = crate::activity::summary(&user, &events, days);
        summary["tenant"] = json!(tenant);
        Ok(Json(summary))
    })
    .await
}

/// Returns one stored message with the clicks on its locked links and the actions that name it.
async fn message_detail(State(app): State<Arc<App>>, Auth(principal): Auth, Path((tenant, id)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    check_tenant(&principal, &tenant)?;
    blocking(move || {
        let tenant_id = harrier_model::TenantId::new(tenant.clone());
        let keys = [harrier_detect::IndexKey::Messages, harrier_detect::IndexKey::LinkClicks];
        let (store, [messages, link_clicks]) = indexed_events(&app, &tenant_id, keys)?;
        let mut found: Option<harrier_model::Event> = None;
        let mut clicks: Vec<(jiff::Timestamp, harrier_model::LinkClick)> = Vec::new();
        let mut note = |event: harrier_model::Event| match &event.activity {
            _ if event.tenant != tenant_id => {}
            harrier_model::Activity::Email(_) if event.record_id == id => found = Some(event),
            harrier_model::Activity::LinkClick(click) => clicks.push((event.time, click.clone())),
            _ => {}
        };
        store
            .for_each_event_stored_after(&tenant_id, messages.through, |_, event| {
                note(event);
                true
            })
            .map_err(ApiError::internal)?;
        store
            // Analysis may have saved between the two index reads: clicks after the first mark were read above.
            .for_each_event_by_seq(link_clicks.seqs.iter().copied().filter(|&seq| seq <= messages.through), |_, event| {
                note(event);
                true
            })
            .map_err(ApiError::internal)?;
        let mut message = None;
        store
            .for_each_event_by_seq(messages.seqs.iter().rev().copied(), |_, event| {
                let is_it = event.tenant == tenant_id && event.record_id == id;
                if is_it {
                    message = Some(event);
                }
                !is_it
            })
            .map_err(ApiError::internal)?;
        let found = found.or(message);
        let Some(event) = found else { return Err(ApiError::not_found(&format!("message {id:?} in tenant {tenant:?}"))) };
        let harrier_model::Activity::Email(message) = &event.activity else { unreachable!("only email events are kept") };
        let message_id = message.message_id.clone().unwrap_or_default();
        let clicks: Vec<Value> = clicks
            .into_iter()
            .filter(|(_, click)| !message_id.is_empty() && click.message_id == message_id)
            .map(|(time, click)| json!({ "time": time, "click": click }))
            .collect();
        let names = |object: &Option<String>| object.as_deref().is_some_and(|o| o == id || (!message_id.is_empty() && o == message_id));
        let actions: Vec<harrier_respond::ActionState> = harrier_respond::ActionLog::open(&app.data_dir)
            .and_then(|log| log.actions())
            .map_err(ApiError::internal)?
            .into_iter()
            .filter(|a| a.action.target.tenant == tenant && names(&a.action.target.object))
            .collect();
        Ok(Json(json!({
            "id": event.record_id,
            "tenant": tenant,
            "time": event.time,
            "client": event.client,
            "message": message,
            "link_clicks": clicks,
            "actions": actions,
        })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionFilter {
    status: Option<String>,
    tenant: Option<String>,
    incident: Option<String>,
}

async fn list_actions(State(app): State<Arc<App>>, Auth(principal): Auth, ApiQuery(filter): ApiQuery<ActionFilter>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let log = harrier_respond::ActionLog::open(&app.data_dir).map_err(ApiError::internal)?;
        let actions: Vec<harrier_respond::ActionState> = log
            .actions()
            .map_err(ApiError::internal)?
            .into_iter()
            .filter(|a| principal.scope.allows(&a.action.target.tenant))
            .filter(|a| filter.status.as_deref().is_none_or(|s| a.status.as_str() == s))
            .filter(|a| filter.tenant.as_deref().is_none_or(|t| a.action.target.tenant == t))
            .filter(|a| filter.incident.as_deref().is_none_or(|i| a.action.incident == i))
            .collect();
        Ok(Json(json!({ "items": actions })))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct UndoBody {
    /// Records the action as undone without calling Graph or Postfix, after it was undone by hand.
    #[serde(default)]
    record_only: bool,
}

async fn approve(State(app): State<Arc<App>>, Auth(principal): Auth, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    decide(app, principal, id, crate::actions::Decide::Approve, false).await
}

async fn reject(State(app): State<Arc<App>>, Auth(principal): Auth, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    decide(app, principal, id, crate::actions::Decide::Reject, false).await
}

async fn undo(State(app): State<Arc<App>>, Auth(principal): Auth, Path(id): Path<String>, body: axum::body::Bytes) -> ApiResult<Json<Value>> {
    let body: UndoBody = if body.is_empty() {
        UndoBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("invalid undo body: {e}")))?
    };
    let record_only = body.record_only;
    decide(app, principal, id, crate::actions::Decide::Undo, record_only).await
}

/// Records a decision on an action of a tenant in scope, as `harrier actions` does, and audits it.
async fn decide(app: Arc<App>, principal: Principal, id: String, decision: crate::actions::Decide, record_only: bool) -> ApiResult<Json<Value>> {
    require(&principal, Role::Analyst)?;
    let log_app = app.clone();
    let lookup_id = id.clone();
    let tenant = blocking(move || {
        let log = harrier_respond::ActionLog::open(&log_app.data_dir).map_err(ApiError::internal)?;
        match log.action(&lookup_id) {
            Ok(state) => Ok(state.action.target.tenant),
            Err(harrier_respond::LogError::UnknownAction(_)) => Err(ApiError::not_found(&format!("action {lookup_id:?}"))),
            Err(error) => Err(ApiError::internal(error)),
        }
    })
    .await?;
    if !principal.scope.allows(&tenant) {
        return Err(ApiError::not_found(&format!("action {id:?}")));
    }

    // Planning appends to the same log, so deciding under the analysis lock keeps the two from racing.
    let _guard = app.analysis_lock.lock().await;
    let graph = |tenant: &str| match app.graph.get(tenant) {
        Some(config) => harrier_respond::GraphClient::new(config.clone()).map_err(|e| e.to_string()),
        None => Err(format!("tenant {tenant} has no [tenant.m365] credentials to undo through Graph; undo it by hand, then record it with record_only")),
    };
    let outcome = crate::actions::decide(&app.data_dir, &id, decision, &principal.name, record_only, graph).await;
    let note = match outcome {
        Ok(note) => note,
        Err(crate::actions::DecideError::Log(harrier_respond::LogError::InvalidTransition { id, status, verb })) => {
            return Err(ApiError::new(StatusCode::CONFLICT, format!("action {id} is {status}, so it cannot be {verb}")));
        }
        Err(crate::actions::DecideError::Conflict(message)) => return Err(ApiError::new(StatusCode::CONFLICT, message)),
        Err(crate::actions::DecideError::Failed(message)) => return Err(ApiError::new(StatusCode::BAD_GATEWAY, message)),
        Err(error) => return Err(ApiError::internal(error)),
    };

    app.metrics.action_decisions.with_label_values(&[decision.as_str()]).inc();
    let detail = json!({ "record_only": record_only, "note": note });
    let action = format!("action.{}", decision.as_str());
    app.db().audit(Audit { actor: &principal.name, tenant: Some(&tenant), action: &action, target: &id, detail }, jiff::Timestamp::now())?;
    tracing::info!(action_id = %id, by = %principal.name, decision = decision.as_str(), "action decided");
    Ok(Json(json!({ "id": id, "status": decision.past_tense(), "by": principal.name, "note": note })))
}

async fn exports(State(app): State<Arc<App>>, Auth(principal): Auth) -> ApiResult<Json<Value>> {
    require_all_tenants(&principal, "exporters")?;
    let status = app.export_status.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let items: Vec<Value> = app
        .exports
        .iter()
        .map(|target| json!({ "name": target.name, "destination": target.destination.describe(), "status": status.get(&target.name) }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn models(State(app): State<Arc<App>>, Auth(_): Auth) -> Json<Value> {
    let items: Vec<Value> = app
        .engine
        .models()
        .iter()
        .map(|model| {
            let mut described = model_json(model.as_ref());
            let settings = app.engine.settings().models.get(model.info().id).cloned().unwrap_or_default();
            described["settings"] = serde_json::to_value(settings).unwrap_or(Value::Null);
            described
        })
        .collect();
    Json(json!({ "items": items }))
}

/// Describes a detection model as JSON: id, name, version, technique, stage and parameters with their
/// defaults, as `harrier models --json` prints it.
pub fn model_json(model: &dyn harrier_detect::Model) -> Value {
    let info = model.info();
    let params: Vec<Value> =
        model.params().iter().map(|p| json!({ "name": p.name, "default": p.default, "description": p.description })).collect();
    json!({
        "id": info.id,
        "name": info.name,
        "version": info.version,
        "description": info.description,
        "technique": { "id": info.technique.id, "name": info.technique.name, "tactic": info.technique.tactic },
        "stage": info.stage.as_str(),
        "params": params,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    limit: Option<usize>,
    offset: Option<usize>,
}

async fn audit(State(app): State<Arc<App>>, Auth(principal): Auth, ApiQuery(query): ApiQuery<AuditQuery>) -> ApiResult<Json<Value>> {
    require(&principal, Role::Admin)?;
    let limit = query.limit.unwrap_or(100).clamp(1, crate::query::MAX_LIMIT);
    let entries = app.db().audit_entries(&principal.scope, limit, query.offset.unwrap_or(0))?;
    Ok(Json(json!({ "items": entries })))
}
