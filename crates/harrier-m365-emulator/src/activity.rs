//! The endpoints harrier's collectors read: the Office 365 Management Activity API, Graph's sign-in and
//! directory-audit logs, and Graph mail delta queries with raw MIME.
//!
//! Requests and responses follow Microsoft's documentation. The Management Activity API starts a
//! subscription with `POST /api/v1.0/{tenant}/activity/feed/subscriptions/start?contentType=X`, lists
//! content blobs created in `[startTime, endTime)` (at most 24 hours apart, at most 7 days back) and
//! sends the rest of a long list in the `NextPageUri` header. Graph lists are pages whose
//! `@odata.nextLink` names the next one, and a mail delta query ends in an `@odata.deltaLink`.
//!
//! NOTE: the error codes AF20022 (no subscription), AF20024 (subscription already enabled) and AF20055
//! (invalid time range) follow Microsoft's Management API documentation. The emulator's other
//! Management API error codes, `AF10001` for a rejected token and `AF20001` for an unknown content type,
//! are its own.
//!
//! Tests load records, push late or overlapping content blobs while a collector runs, and inject faults:
//! 429 with `Retry-After`, any status, and bodies cut short.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::MutexGuard;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::{Shared, TenantState, graph_error};

/// The content types the Management Activity API serves.
pub const CONTENT_TYPES: [&str; 5] =
    ["Audit.AzureActiveDirectory", "Audit.Exchange", "Audit.SharePoint", "Audit.General", "DLP.All"];

/// One content blob of the Management Activity API.
#[derive(Clone, Debug)]
pub struct ContentBlob {
    pub content_type: String,
    pub content_id: String,
    /// When the blob became available; the content list filters on it.
    pub created: Timestamp,
    /// The audit records, served as a JSON array.
    pub records: Vec<Value>,
}

/// One message in an emulated mailbox's inbox.
#[derive(Clone, Debug)]
pub struct MailItem {
    pub id: String,
    /// The RFC 5322 message served by `/messages/{id}/$value`.
    pub mime: Vec<u8>,
    /// The order the message arrived in, which delta tokens compare against.
    pub sequence: u64,
}

/// The effect of an injected fault on a matching response.
#[derive(Clone, Debug)]
pub enum FaultKind {
    /// 429 with `Retry-After` in seconds.
    Throttle { retry_after: u32 },
    /// A response with this status and the API's error body.
    Status(u16),
    /// The normal response with its body cut to half its length.
    Truncate,
}

/// A fault applied to the next `times` requests whose `METHOD /path` contains `request`.
#[derive(Clone, Debug)]
pub struct Fault {
    pub request: String,
    pub kind: FaultKind,
    pub times: u32,
}

/// The records and settings of the collection endpoints.
#[derive(Debug)]
pub struct ActivityState {
    /// Content types with a started subscription.
    pub subscriptions: BTreeSet<String>,
    pub blobs: Vec<ContentBlob>,
    /// Graph `signIn` objects. A sign-in whose `signInEventTypes` lacks `interactiveUser` is served only
    /// by the beta endpoint's `signInEventTypes` filter, as Graph v1.0 lists interactive sign-ins only.
    pub sign_ins: Vec<Value>,
    /// Graph `directoryAudit` objects.
    pub directory_audits: Vec<Value>,
    /// The inbox of each mailbox.
    pub mailboxes: BTreeMap<String, Vec<MailItem>>,
    /// Entries per content list page.
    pub content_page_size: usize,
    /// Objects per Graph page.
    pub graph_page_size: usize,
    pub faults: Vec<Fault>,
    /// Each content list request with a valid time range, in order.
    pub content_queries: Vec<ContentQuery>,
    next_sequence: u64,
}

/// One content list request.
#[derive(Clone, Debug)]
pub struct ContentQuery {
    pub content_type: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Whether the request followed a `NextPageUri`.
    pub next_page: bool,
}

impl Default for ActivityState {
    fn default() -> Self {
        ActivityState {
            subscriptions: BTreeSet::new(),
            blobs: Vec::new(),
            sign_ins: Vec::new(),
            directory_audits: Vec::new(),
            mailboxes: BTreeMap::new(),
            content_page_size: 100,
            graph_page_size: 100,
            faults: Vec::new(),
            content_queries: Vec::new(),
            next_sequence: 0,
        }
    }
}

impl ActivityState {
    /// Adds a content blob and returns its content id.
    pub fn add_blob(&mut self, content_type: &str, created: Timestamp, records: Vec<Value>) -> String {
        let content_id = format!("{}${}", created.as_millisecond(), self.blobs.len() + 1);
        self.blobs.push(ContentBlob { content_type: content_type.to_owned(), content_id: content_id.clone(), created, records });
        content_id
    }

    /// Adds a message to a mailbox's inbox and returns its id.
    pub fn add_message(&mut self, mailbox: &str, mime: Vec<u8>) -> String {
        self.next_sequence += 1;
        let id = format!("AAMk-{:08}", self.next_sequence);
        let item = MailItem { id: id.clone(), mime, sequence: self.next_sequence };
        self.mailboxes.entry(mailbox.to_owned()).or_default().push(item);
        id
    }

    /// Loads the output folder of `harrier simulate` (harrier-sim) and returns the number of records.
    /// Each file under `management-activity/{content type}/` becomes a blob, available from the time of
    /// its newest record (at the latest one second ago). The pages in `graph-signins/` feed the sign-in
    /// endpoints.
    pub fn load_simulated(&mut self, dir: &std::path::Path) -> std::io::Result<usize> {
        let mut loaded = 0;
        let latest = Timestamp::now() - jiff::SignedDuration::from_secs(1);
        for content_type in CONTENT_TYPES {
            let folder = dir.join("management-activity").join(content_type);
            for path in sorted_files(&folder)? {
                let records = read_json(&path)?.as_array().cloned().ok_or_else(|| invalid(&path, "is not a JSON array"))?;
                let newest = records.iter().filter_map(|record| record["CreationTime"].as_str().and_then(parse_time)).max();
                loaded += records.len();
                self.add_blob(content_type, newest.unwrap_or(latest).min(latest), records);
            }
        }
        for path in sorted_files(&dir.join("graph-signins"))? {
            let page = read_json(&path)?;
            let sign_ins = page["value"].as_array().ok_or_else(|| invalid(&path, "has no value array"))?;
            loaded += sign_ins.len();
            self.sign_ins.extend(sign_ins.iter().cloned());
        }
        Ok(loaded)
    }

    /// Injects a fault for the next `times` requests containing `request` (such as `GET /api/v1.0`).
    pub fn inject(&mut self, request: &str, kind: FaultKind, times: u32) {
        self.faults.push(Fault { request: request.to_owned(), kind, times });
    }

    /// Takes one use of the first fault matching `request`.
    fn take_fault(&mut self, request: &str, truncate: bool) -> Option<FaultKind> {
        let index = self.faults.iter().position(|fault| {
            fault.times > 0 && request.contains(&fault.request) && matches!(fault.kind, FaultKind::Truncate) == truncate
        })?;
        let fault = &mut self.faults[index];
        fault.times -= 1;
        Some(fault.kind.clone())
    }
}

/// Lists the files of a folder in name order; a missing folder has none.
fn sorted_files(folder: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    if !folder.exists() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_json(path: &std::path::Path) -> std::io::Result<Value> {
    let text = std::fs::read(path)?;
    serde_json::from_slice(&text).map_err(|error| invalid(path, &format!("is not valid JSON: {error}")))
}

fn invalid(path: &std::path::Path, message: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{} {message}", path.display()))
}

/// The API of a request, which sets its token audience and error bodies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Api {
    Graph,
    Management,
}

pub(crate) fn routes(router: Router, state: Shared) -> Router {
    let activity = Router::new()
        .route("/api/v1.0/{tenant}/activity/feed/subscriptions/start", post(start_subscription))
        .route("/api/v1.0/{tenant}/activity/feed/subscriptions/content", get(list_content))
        .route("/api/v1.0/{tenant}/activity/feed/audit/{content_id}", get(get_blob))
        .route("/{version}/auditLogs/signIns", get(list_sign_ins))
        .route("/{version}/auditLogs/directoryAudits", get(list_directory_audits))
        .route("/v1.0/users/{user}/mailFolders/{folder}/messages/delta", get(messages_delta))
        .route("/v1.0/users/{user}/messages/{message}/$value", get(message_value))
        .with_state(state);
    router.merge(activity)
}

fn management_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response()
}

/// Checks the bearer token and the injected status faults, and records the request.
#[allow(clippy::result_large_err)] // the error is the response itself, returned straight to axum
fn admit<'a>(state: &'a Shared, headers: &HeaderMap, api: Api, request: String) -> Result<MutexGuard<'a, TenantState>, Response> {
    let mut state = state.lock().expect("emulator state");
    state.requests.push(request.clone());
    let token = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let valid = match api {
        Api::Graph => state.tokens.iter().any(|issued| issued == token),
        Api::Management => state.management_tokens.iter().any(|issued| issued == token),
    };
    if !valid {
        return Err(match api {
            Api::Graph => graph_error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
            Api::Management => management_error(StatusCode::UNAUTHORIZED, "AF10001", "The access token is missing, expired or issued for another audience."),
        });
    }
    match state.activity.take_fault(&request, false) {
        Some(FaultKind::Throttle { retry_after }) => {
            let mut response = match api {
                Api::Graph => graph_error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", "Too many requests. Please try again later."),
                Api::Management => management_error(StatusCode::TOO_MANY_REQUESTS, "AF429", "Too many requests. Method=GetBlob, PublisherId=00000000-0000-0000-0000-000000000000"),
            };
            response.headers_mut().insert("retry-after", retry_after.to_string().parse().expect("a number is a header value"));
            Err(response)
        }
        Some(FaultKind::Status(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Err(match api {
                Api::Graph => graph_error(status, "InternalServerError", "An internal server error occurred."),
                Api::Management => management_error(status, "AF50000", "An internal error occurred. Retry the request."),
            })
        }
        _ => Ok(state),
    }
}

/// Serialises a successful JSON response, cut short when a truncation fault matches.
fn reply(state: &mut TenantState, request: &str, body: &Value, headers: &[(&'static str, String)]) -> Response {
    let mut bytes = serde_json::to_vec(body).expect("JSON values serialise");
    if let Some(FaultKind::Truncate) = state.activity.take_fault(request, true) {
        bytes.truncate(bytes.len() / 2);
    }
    let mut response = Response::new(Body::from(bytes));
    response.headers_mut().insert("content-type", "application/json; charset=utf-8".parse().expect("a header value"));
    for (name, value) in headers {
        response.headers_mut().insert(*name, value.parse().expect("a header value"));
    }
    response
}

/// Parses a Management API time: `YYYY-MM-DDTHH:MM:SS` in UTC, with or without a zone.
fn parse_time(text: &str) -> Option<Timestamp> {
    text.parse::<Timestamp>()
        .ok()
        .or_else(|| text.parse::<jiff::civil::DateTime>().ok().and_then(|civil| jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()))
}

fn format_time(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

async fn start_subscription(State(state): State<Shared>, Path(tenant): Path<String>, Query(query): Query<BTreeMap<String, String>>, headers: HeaderMap) -> Response {
    let request = format!("POST /api/v1.0/{tenant}/activity/feed/subscriptions/start");
    let mut state = match admit(&state, &headers, Api::Management, request) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let content_type = query.get("contentType").cloned().unwrap_or_default();
    if !CONTENT_TYPES.contains(&content_type.as_str()) {
        return management_error(StatusCode::BAD_REQUEST, "AF20001", &format!("Invalid content type: '{content_type}'."));
    }
    if !state.activity.subscriptions.insert(content_type.clone()) {
        return management_error(StatusCode::BAD_REQUEST, "AF20024", "The subscription is already enabled. No property change.");
    }
    Json(json!({ "contentType": content_type, "status": "enabled", "webhook": null })).into_response()
}

async fn list_content(State(state): State<Shared>, Path(tenant): Path<String>, Query(query): Query<BTreeMap<String, String>>, headers: HeaderMap) -> Response {
    let request = format!("GET /api/v1.0/{tenant}/activity/feed/subscriptions/content");
    let mut state = match admit(&state, &headers, Api::Management, request.clone()) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let content_type = query.get("contentType").cloned().unwrap_or_default();
    if !state.activity.subscriptions.contains(&content_type) {
        return management_error(StatusCode::BAD_REQUEST, "AF20022", "No subscription found for the specified content type");
    }
    let now = Timestamp::now();
    let invalid_range = || {
        management_error(
            StatusCode::BAD_REQUEST,
            "AF20055",
            "Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time no more than 7 days in the past.",
        )
    };
    let (start, end) = match (query.get("startTime"), query.get("endTime")) {
        (Some(start), Some(end)) => match (parse_time(start), parse_time(end)) {
            (Some(start), Some(end)) => (start, end),
            _ => return invalid_range(),
        },
        (None, None) => (now - jiff::SignedDuration::from_hours(24), now),
        _ => return invalid_range(),
    };
    let next_page = query.contains_key("nextPage");
    state.activity.content_queries.push(ContentQuery { content_type: content_type.clone(), start, end, next_page });
    let too_long = end.duration_since(start) > jiff::SignedDuration::from_hours(24);
    let too_old = now.duration_since(start) > jiff::SignedDuration::from_hours(24 * 7);
    if end < start || too_long || too_old {
        return invalid_range();
    }

    let mut listed: Vec<&ContentBlob> = state
        .activity
        .blobs
        .iter()
        .filter(|blob| blob.content_type == content_type && blob.created >= start && blob.created < end)
        .collect();
    listed.sort_by_key(|blob| blob.created);
    let offset: usize = query.get("nextPage").and_then(|page| page.parse().ok()).unwrap_or(0);
    let page_size = state.activity.content_page_size.max(1);
    let base = format!("{}/api/v1.0/{tenant}/activity/feed", state.base_url);
    let entries: Vec<Value> = listed
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|blob| {
            json!({
                "contentType": blob.content_type,
                "contentId": blob.content_id,
                "contentUri": format!("{base}/audit/{}", blob.content_id),
                "contentCreated": format_time(blob.created),
                "contentExpiration": format_time(blob.created + jiff::SignedDuration::from_hours(24 * 7)),
            })
        })
        .collect();
    let mut extra = Vec::new();
    if offset + page_size < listed.len() {
        let next = format!(
            "{base}/subscriptions/content?contentType={content_type}&startTime={}&endTime={}&nextPage={}",
            format_time(start),
            format_time(end),
            offset + page_size
        );
        extra.push(("NextPageUri", next));
    }
    reply(&mut state, &request, &Value::Array(entries), &extra)
}

async fn get_blob(State(state): State<Shared>, Path((tenant, content_id)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let request = format!("GET /api/v1.0/{tenant}/activity/feed/audit/{content_id}");
    let mut state = match admit(&state, &headers, Api::Management, request.clone()) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let Some(blob) = state.activity.blobs.iter().find(|blob| blob.content_id == content_id) else {
        return management_error(StatusCode::NOT_FOUND, "AF20051", &format!("Content requested with the key {content_id} has already expired or does not exist."));
    };
    let records = Value::Array(blob.records.clone());
    reply(&mut state, &request, &records, &[])
}

/// Reads `FIELD ge TIME` and `FIELD le|lt TIME` out of a Graph `$filter`.
fn time_bounds(filter: &str, field: &str) -> (Option<Timestamp>, Option<(Timestamp, bool)>) {
    let mut lower = None;
    let mut upper = None;
    let words: Vec<&str> = filter.split(|c: char| c.is_whitespace() || c == '(' || c == ')').filter(|w| !w.is_empty()).collect();
    for window in words.windows(3) {
        if window[0] != field {
            continue;
        }
        let Some(time) = parse_time(window[2].trim_matches('\'')) else { continue };
        match window[1] {
            "ge" | "gt" => lower = Some(time),
            "le" => upper = Some((time, true)),
            "lt" => upper = Some((time, false)),
            _ => {}
        }
    }
    (lower, upper)
}

/// Serves one page of a time-filtered Graph audit log, newest first as Graph orders them.
fn audit_page(state: &mut TenantState, request: &str, path: &str, query: &BTreeMap<String, String>, field: &str, items: Vec<Value>) -> Response {
    let filter = query.get("$filter").cloned().unwrap_or_default();
    let (lower, upper) = time_bounds(&filter, field);
    let mut selected: Vec<Value> = items
        .into_iter()
        .filter(|item| {
            let Some(time) = item[field].as_str().and_then(parse_time) else { return false };
            lower.is_none_or(|lower| time >= lower)
                && upper.is_none_or(|(upper, inclusive)| if inclusive { time <= upper } else { time < upper })
        })
        .collect();
    selected.sort_by(|a, b| b[field].as_str().cmp(&a[field].as_str()));
    let offset: usize = query.get("$skiptoken").and_then(|token| token.parse().ok()).unwrap_or(0);
    let page_size = state.activity.graph_page_size.max(1);
    let page: Vec<Value> = selected.iter().skip(offset).take(page_size).cloned().collect();
    let mut body = json!({ "@odata.context": format!("https://graph.microsoft.com{path}/$metadata"), "value": page });
    if offset + page_size < selected.len() {
        let encoded: String = url_encode(&filter);
        body["@odata.nextLink"] = json!(format!("{}{path}?$filter={encoded}&$skiptoken={}", state.base_url, offset + page_size));
    }
    reply(state, request, &body, &[])
}

/// Percent-encodes a query value.
fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

async fn list_sign_ins(State(state): State<Shared>, Path(version): Path<String>, Query(query): Query<BTreeMap<String, String>>, headers: HeaderMap) -> Response {
    let request = format!("GET /{version}/auditLogs/signIns");
    let mut state = match admit(&state, &headers, Api::Graph, request.clone()) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let filter = query.get("$filter").cloned().unwrap_or_default();
    let requested_types: Vec<&str> = ["interactiveUser", "nonInteractiveUser", "servicePrincipal", "managedIdentity"]
        .into_iter()
        .filter(|kind| filter.contains(&format!("'{kind}'")))
        .collect();
    if version != "beta" && !requested_types.is_empty() {
        return graph_error(StatusCode::BAD_REQUEST, "BadRequest", "Invalid filter clause: signInEventTypes is not a property of signIn in v1.0.");
    }
    let requested_types = if requested_types.is_empty() { vec!["interactiveUser"] } else { requested_types };
    let items: Vec<Value> = state
        .activity
        .sign_ins
        .iter()
        .filter(|sign_in| {
            let kinds = sign_in["signInEventTypes"].as_array();
            match kinds {
                Some(kinds) => kinds.iter().any(|kind| kind.as_str().is_some_and(|kind| requested_types.contains(&kind))),
                None => requested_types.contains(&"interactiveUser"),
            }
        })
        .cloned()
        .collect();
    audit_page(&mut state, &request, &format!("/{version}/auditLogs/signIns"), &query, "createdDateTime", items)
}

async fn list_directory_audits(State(state): State<Shared>, Path(version): Path<String>, Query(query): Query<BTreeMap<String, String>>, headers: HeaderMap) -> Response {
    let request = format!("GET /{version}/auditLogs/directoryAudits");
    let mut state = match admit(&state, &headers, Api::Graph, request.clone()) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let items = state.activity.directory_audits.clone();
    audit_page(&mut state, &request, &format!("/{version}/auditLogs/directoryAudits"), &query, "activityDateTime", items)
}

/// Serves a delta round of a mailbox's inbox. A `$deltatoken` names the last sequence number already
/// returned, and a `$skiptoken` is `SINCE.OFFSET` within a round.
async fn messages_delta(State(state): State<Shared>, Path((user, folder)): Path<(String, String)>, Query(query): Query<BTreeMap<String, String>>, headers: HeaderMap) -> Response {
    let request = format!("GET /users/{user}/mailFolders/{folder}/messages/delta");
    let mut state = match admit(&state, &headers, Api::Graph, request.clone()) {
        Ok(state) => state,
        Err(response) => return response,
    };
    if !folder.eq_ignore_ascii_case("inbox") {
        return graph_error(StatusCode::NOT_FOUND, "ErrorItemNotFound", "The specified object was not found in the store.");
    }
    let (since, offset) = if let Some(token) = query.get("$skiptoken") {
        let (since, offset) = token.split_once('.').unwrap_or((token, "0"));
        (since.parse().unwrap_or(0), offset.parse().unwrap_or(0))
    } else {
        (query.get("$deltatoken").and_then(|token| token.parse().ok()).unwrap_or(0u64), 0usize)
    };

    let items: Vec<&MailItem> = state.activity.mailboxes.get(&user).into_iter().flatten().filter(|item| item.sequence > since).collect();
    let newest = items.iter().map(|item| item.sequence).max().unwrap_or(since);
    let page_size = state.activity.graph_page_size.max(1);
    let page: Vec<Value> = items
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|item| json!({ "@odata.type": "#microsoft.graph.message", "id": item.id }))
        .collect();

    let base = format!("{}/v1.0/users/{user}/mailFolders/{folder}/messages/delta", state.base_url);
    let mut body = json!({ "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(message)", "value": page });
    if offset + page_size < items.len() {
        body["@odata.nextLink"] = json!(format!("{base}?$skiptoken={since}.{}", offset + page_size));
    } else {
        body["@odata.deltaLink"] = json!(format!("{base}?$deltatoken={newest}"));
    }
    reply(&mut state, &request, &body, &[])
}

async fn message_value(State(state): State<Shared>, Path((user, message)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let request = format!("GET /users/{user}/messages/{message}/$value");
    let mut state = match admit(&state, &headers, Api::Graph, request.clone()) {
        Ok(state) => state,
        Err(response) => return response,
    };
    let Some(item) = state.activity.mailboxes.get(&user).into_iter().flatten().find(|item| item.id == message) else {
        return graph_error(StatusCode::NOT_FOUND, "ErrorItemNotFound", "The specified object was not found in the store.");
    };
    let mut mime = item.mime.clone();
    if let Some(FaultKind::Truncate) = state.activity.take_fault(&request, true) {
        mime.truncate(mime.len() / 2);
    }
    let mut response = Response::new(Body::from(mime));
    response.headers_mut().insert("content-type", "text/plain".parse().expect("a header value"));
    response
}
