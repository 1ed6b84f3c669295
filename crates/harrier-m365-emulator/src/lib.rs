//! A local emulator of the Microsoft endpoints harrier's response actions call, for tests.
//!
//! It follows Microsoft's documented requests and responses. The identity platform's client-credentials
//! token endpoint is `POST /{tenant}/oauth2/v2.0/token`, with AADSTS errors for a wrong secret. The Graph
//! v1.0 calls cover users, inbox rules, service principals, delegated permission grants, message look-ups
//! by `internetMessageId`, message moves and mail folders, with bearer-token checks
//! (`InvalidAuthenticationToken`) and Graph's error body. Tests inject throttling (429 with `Retry-After`)
//! and token expiry, and read every request it served. It listens on loopback only.

mod activity;

pub use activity::{ActivityState, ContentBlob, ContentQuery, Fault, FaultKind, MailItem};

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{Value, json};

/// The emulated tenant's objects and the requests served.
#[derive(Debug, Default)]
pub struct TenantState {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// Graph tokens issued and still accepted.
    pub tokens: Vec<String>,
    /// Office 365 Management API tokens issued and still accepted.
    pub management_tokens: Vec<String>,
    /// Audit logs, content blobs, mailboxes and injected faults of the collection endpoints.
    pub activity: activity::ActivityState,
    /// The emulator's base URL, for the absolute links it returns.
    pub base_url: String,
    /// `accountEnabled` and `sessionsRevoked` per user principal name.
    pub users: BTreeMap<String, Value>,
    /// Inbox rules per user principal name.
    pub inbox_rules: BTreeMap<String, Vec<Value>>,
    pub service_principals: Vec<Value>,
    pub grants: Vec<Value>,
    /// The folder of each message id, per user. A folder is a well-known name (`inbox`, `junkemail`) or the
    /// id of a folder in `mail_folders`.
    pub messages: BTreeMap<String, BTreeMap<String, String>>,
    /// The `internetMessageId` of each message id, per user.
    pub internet_message_ids: BTreeMap<String, BTreeMap<String, String>>,
    /// Mail folders created through Graph, per user.
    pub mail_folders: BTreeMap<String, Vec<Value>>,
    /// The number of coming Graph requests to reject with 429 and `Retry-After: retry_after`.
    pub throttle_next: u32,
    pub retry_after: u32,
    /// Requests (method and path, as in `requests`) to fail with 500 `InternalServerError`.
    pub fail_requests: Vec<String>,
    /// Each request served: method and path.
    pub requests: Vec<String>,
    next_id: u64,
}

impl TenantState {
    fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{:08}", self.next_id)
    }

    /// Makes every issued token invalid, as when they expire.
    pub fn expire_tokens(&mut self) {
        self.tokens.clear();
        self.management_tokens.clear();
    }
}

pub(crate) type Shared = Arc<Mutex<TenantState>>;

/// A running emulator.
pub struct Emulator {
    pub address: SocketAddr,
    pub state: Shared,
    _runtime: tokio::runtime::Runtime,
}

impl Emulator {
    /// Starts the emulator on a free loopback port with one tenant and application credentials.
    pub fn start(tenant_id: &str, client_id: &str, client_secret: &str) -> Emulator {
        let state = Arc::new(Mutex::new(TenantState {
            tenant_id: tenant_id.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            ..TenantState::default()
        }));
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("a loopback port");
        let address = listener.local_addr().expect("bound");
        state.lock().expect("emulator state").base_url = format!("http://{address}");
        let app = activity::routes(router(state.clone()), state.clone());
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Emulator { address, state, _runtime: runtime }
    }

    /// Returns the identity platform's base URL (the authority).
    pub fn authority(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Returns Graph's base URL without a version.
    pub fn graph_root(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Returns the Office 365 Management APIs' base URL.
    pub fn management(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Returns Graph's base URL with its version.
    pub fn graph(&self) -> String {
        format!("http://{}/v1.0", self.address)
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut TenantState) -> T) -> T {
        f(&mut self.state.lock().expect("emulator state"))
    }
}

fn router(state: Shared) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/v1.0/users/{user}/revokeSignInSessions", post(revoke_sessions))
        .route("/v1.0/users/{user}", patch(patch_user))
        .route("/v1.0/users/{user}/mailFolders/inbox/messageRules", get(list_rules).post(create_rule))
        .route("/v1.0/users/{user}/mailFolders/inbox/messageRules/{rule}", axum::routing::delete(delete_rule))
        .route("/v1.0/servicePrincipals", get(list_service_principals))
        .route("/v1.0/servicePrincipals/{id}", patch(patch_service_principal))
        .route("/v1.0/oauth2PermissionGrants", get(list_grants).post(create_grant))
        .route("/v1.0/oauth2PermissionGrants/{id}", axum::routing::delete(delete_grant))
        .route("/v1.0/users/{user}/messages/{message}/move", post(move_message))
        .route("/v1.0/users/{user}/messages", get(list_messages))
        .route("/v1.0/users/{user}/mailFolders", get(list_mail_folders).post(create_mail_folder))
        .with_state(state)
}

pub(crate) fn graph_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response()
}

/// Checks the bearer token and the throttling injection, and records the request.
#[allow(clippy::result_large_err)] // the error is the response itself, returned straight to axum
fn admit<'a>(state: &'a Shared, headers: &HeaderMap, request: String) -> Result<std::sync::MutexGuard<'a, TenantState>, Response> {
    let mut state = state.lock().expect("emulator state");
    let fail = state.fail_requests.contains(&request);
    state.requests.push(request);
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    if !state.tokens.contains(&token) {
        return Err(graph_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        ));
    }
    if fail {
        return Err(graph_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", "An internal server error occurred."));
    }
    if state.throttle_next > 0 {
        state.throttle_next -= 1;
        let retry_after = state.retry_after.to_string();
        let mut response = graph_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests. Please try again later.",
        );
        response.headers_mut().insert("retry-after", retry_after.parse().expect("a number is a header value"));
        return Err(response);
    }
    Ok(state)
}

async fn token(State(state): State<Shared>, Path(tenant): Path<String>, Form(form): Form<BTreeMap<String, String>>) -> Response {
    let mut state = state.lock().expect("emulator state");
    state.requests.push(format!("POST /{tenant}/oauth2/v2.0/token"));
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if tenant != state.tenant_id {
        let body = json!({ "error": "invalid_request", "error_description": format!("AADSTS90002: Tenant '{tenant}' not found.") });
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    let scope = field("scope");
    let known_scope = scope == "https://graph.microsoft.com/.default" || scope == "https://manage.office.com/.default";
    if field("grant_type") != "client_credentials" || !known_scope {
        let body = json!({ "error": "invalid_request", "error_description": "AADSTS900144: The request body must contain the following parameter: 'grant_type' or 'scope'." });
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    if field("client_id") != state.client_id || field("client_secret") != state.client_secret {
        let body = json!({ "error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID." });
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    let token = state.new_id("token");
    if scope == "https://manage.office.com/.default" {
        state.management_tokens.push(token.clone());
    } else {
        state.tokens.push(token.clone());
    }
    Json(json!({ "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token })).into_response()
}

async fn revoke_sessions(State(state): State<Shared>, Path(user): Path<String>, headers: HeaderMap) -> Response {
    let mut state = match admit(&state, &headers, format!("POST /users/{user}/revokeSignInSessions")) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let Some(record) = state.users.get_mut(&user) else {
        return graph_error(StatusCode::NOT_FOUND, "Request_ResourceNotFound", &format!("Resource '{user}' does not exist."));
    };
    record["sessionsRevoked"] = json!(record["sessionsRevoked"].as_u64().unwrap_or(0) + 1);
    Json(json!({ "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean", "value": true })).into_response()
}

async fn patch_user(State(state): State<Shared>, Path(user): Path<String>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut state = match admit(&state, &headers, format!("PATCH /users/{user}")) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let Some(record) = state.users.get_mut(&user) else {
        return graph_error(StatusCode::NOT_FOUND, "Request_ResourceNotFound", &format!("Resource '{user}' does not exist."));
    };
    if let Some(enabled) = body.get("accountEnabled") {
        record["accountEnabled"] = enabled.clone();
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn list_rules(State(state): State<Shared>, Path(user): Path<String>, headers: HeaderMap) -> Response {
    let state = match admit(&state, &headers, format!("GET /users/{user}/mailFolders/inbox/messageRules")) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let rules = state.inbox_rules.get(&user).cloned().unwrap_or_default();
    Json(json!({ "value": rules })).into_response()
}

async fn create_rule(State(state): State<Shared>, Path(user): Path<String>, headers: HeaderMap, Json(mut body): Json<Value>) -> Response {
    let mut state = match admit(&state, &headers, format!("POST /users/{user}/mailFolders/inbox/messageRules")) {
        Ok(state) => state,
        Err(response) => return response,
    };
    body["id"] = json!(state.new_id("rule"));
    state.inbox_rules.entry(user).or_default().push(body.clone());
    (StatusCode::CREATED, Json(body)).into_response()
}

async fn delete_rule(State(state): State<Shared>, Path((user, rule)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let mut state = match admit(&state, &headers, format!("DELETE /users/{user}/mailFolders/inbox/messageRules/{rule}")) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let rules = state.inbox_rules.entry(user).or_default();
    let before = rules.len();
    rules.retain(|r| r["id"].as_str() != Some(rule.as_str()));
    if rules.len() == before {
        return graph_error(StatusCode::NOT_FOUND, "ErrorItemNotFound", "The specified object was not found in the store.");
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Reads the value of a `$filter=NAME eq 'VALUE'` query.
fn filter_value(query: &BTreeMap<String, String>, name: &str) -> Option<String> {
    let filter = query.get("$filter")?;
    let rest = filter.trim().strip_prefix(name)?.trim_start().strip_prefix("eq")?.trim();
    Some(rest.trim_matches('\'').to_owned())
}

async fn list_service_principals(State(state): State<Shared>, Query(query): Query<BTreeMap<String, String>>, headers: HeaderMap) -> Response {
    let state = match admit(&state, &headers, "GET /servicePrincipals".to_owned()) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let app_id = filter_value(&query, "appId");
    let found: Vec<Value> =
        state.service_principals.iter().filter(|sp| app_id.as_deref().is_none_or(|a| sp["appId"] == a)).cloned().collect();
    Json(json!({ "value": found })).into_response()
}

async fn patch_service_principal(State(state): State<Shared>, Path(id): Path<String>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut state = match admit(&state, &headers, format!("PATCH /servicePrincipals/{id}")) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let Some(sp) = state.service_principals.iter_mut().find(|sp| sp["id"] == id.as_str()) else {
        return graph_error(StatusCode::NOT_FOUND, "Request_ResourceNotFound", &format!("Resource '{id}' does not exist."));
    };
    if let Some(enabled) = body.get("accountEnabled") {
        sp["accountEnabled"] = enabled.clone();
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn list_grants(State(state): State<Shared>, Query(query): Query<BTreeMap<String, String>>, headers: HeaderMap) -> Response {
    let state = match admit(&state, &headers, "GET /oauth2PermissionGrants".to_owned()) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let client = filter_value(&query, "clientId");
    let found: Vec<Value> = state.grants.iter().filter(|g| client.as_deref().is_none_or(|c| g["clientId"] == c)).cloned().collect();
    Json(json!({ "value": found })).into_response()
}

async fn create_grant(State(state): State<Shared>, headers: HeaderMap, Json(mut body): Json<Value>) -> Response {
    let mut state = match admit(&state, &headers, "POST /oauth2PermissionGrants".to_owned()) {
        Ok(state) => state,
        Err(response) => return response,
    };
    body["id"] = json!(state.new_id("grant"));
    state.grants.push(body.clone());
    (StatusCode::CREATED, Json(body)).into_response()
}

async fn delete_grant(State(state): State<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let mut state = match admit(&state, &headers, format!("DELETE /oauth2PermissionGrants/{id}")) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let before = state.grants.len();
    state.grants.retain(|g| g["id"] != id.as_str());
    if state.grants.len() == before {
        return graph_error(StatusCode::NOT_FOUND, "Request_ResourceNotFound", &format!("Resource '{id}' does not exist."));
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Folders every mailbox has, by their Graph well-known names.
const WELL_KNOWN_FOLDERS: [&str; 5] = ["inbox", "junkemail", "deleteditems", "archive", "drafts"];

async fn move_message(State(state): State<Shared>, Path((user, message)): Path<(String, String)>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut state = match admit(&state, &headers, format!("POST /users/{user}/messages/{message}/move")) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let folder = body["destinationId"].as_str().unwrap_or_default().to_owned();
    let known = WELL_KNOWN_FOLDERS.contains(&folder.to_ascii_lowercase().as_str())
        || state.mail_folders.get(&user).is_some_and(|folders| folders.iter().any(|f| f["id"] == folder.as_str()));
    if !known {
        return graph_error(StatusCode::BAD_REQUEST, "ErrorInvalidIdMalformed", "Id is malformed.");
    }
    let new_id = state.new_id("message");
    let messages = state.messages.entry(user.clone()).or_default();
    if messages.remove(&message).is_none() {
        return graph_error(StatusCode::NOT_FOUND, "ErrorItemNotFound", "The specified object was not found in the store.");
    }
    messages.insert(new_id.clone(), folder.clone());
    let ids = state.internet_message_ids.entry(user).or_default();
    if let Some(internet_id) = ids.remove(&message) {
        ids.insert(new_id.clone(), internet_id);
    }
    (StatusCode::CREATED, Json(json!({ "id": new_id, "parentFolderId": folder }))).into_response()
}

async fn list_messages(State(state): State<Shared>, Path(user): Path<String>, Query(query): Query<BTreeMap<String, String>>, headers: HeaderMap) -> Response {
    let state = match admit(&state, &headers, format!("GET /users/{user}/messages")) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let wanted = filter_value(&query, "internetMessageId");
    let ids = state.internet_message_ids.get(&user);
    let found: Vec<Value> = state
        .messages
        .get(&user)
        .into_iter()
        .flatten()
        .map(|(id, folder)| {
            let internet_id = ids.and_then(|ids| ids.get(id)).cloned().unwrap_or_default();
            json!({ "id": id, "parentFolderId": folder, "internetMessageId": internet_id })
        })
        .filter(|m| wanted.as_deref().is_none_or(|w| m["internetMessageId"] == w))
        .collect();
    Json(json!({ "value": found })).into_response()
}

async fn list_mail_folders(State(state): State<Shared>, Path(user): Path<String>, Query(query): Query<BTreeMap<String, String>>, headers: HeaderMap) -> Response {
    let state = match admit(&state, &headers, format!("GET /users/{user}/mailFolders")) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let name = filter_value(&query, "displayName");
    let found: Vec<Value> = state
        .mail_folders
        .get(&user)
        .into_iter()
        .flatten()
        .filter(|f| name.as_deref().is_none_or(|n| f["displayName"] == n))
        .cloned()
        .collect();
    Json(json!({ "value": found })).into_response()
}

async fn create_mail_folder(State(state): State<Shared>, Path(user): Path<String>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut state = match admit(&state, &headers, format!("POST /users/{user}/mailFolders")) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let Some(name) = body["displayName"].as_str().filter(|n| !n.is_empty()).map(str::to_owned) else {
        return graph_error(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", "displayName is required.");
    };
    if state.mail_folders.get(&user).is_some_and(|folders| folders.iter().any(|f| f["displayName"] == name.as_str())) {
        return graph_error(StatusCode::CONFLICT, "ErrorFolderExists", "A folder with the specified name already exists.");
    }
    let folder = json!({ "id": state.new_id("folder"), "displayName": name, "isHidden": body["isHidden"].as_bool().unwrap_or(false) });
    state.mail_folders.entry(user).or_default().push(folder.clone());
    (StatusCode::CREATED, Json(folder)).into_response()
}
