//! A Microsoft Graph client for response actions, with the client-credentials token flow.
//!
//! Requests follow Microsoft's documented contracts: a token from
//! `{authority}/{tenant}/oauth2/v2.0/token` with `grant_type=client_credentials` and the
//! `https://graph.microsoft.com/.default` scope, then Graph v1.0 calls with the bearer token, sent by
//! [`harrier_m365::M365Client`]. A 429 or 503 response is retried after its `Retry-After` seconds (or a
//! doubling wait), and a 401 response once with a new token. Those responses mean Graph did not carry the
//! request out, so repeating it is safe. A timeout or a 504 may follow a request Graph did carry out, so
//! only GET, PATCH and DELETE are repeated then: a POST that creates something is not. A 500 or 502 is
//! repeated for a GET only.

use std::time::Duration;

use harrier_m365::{Credentials, GRAPH_SCOPE, M365Client, M365Error, Method, RetryPolicy};
use serde_json::{Value, json};

/// The endpoints and the application credentials the client signs in with. The secret is never printed:
/// `Debug` leaves it out.
#[derive(Clone)]
pub struct GraphConfig {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// The identity platform, `https://login.microsoftonline.com` in Microsoft's public cloud.
    pub authority: String,
    /// The Graph endpoint with its version, `https://graph.microsoft.com/v1.0` in the public cloud.
    pub graph: String,
}

impl std::fmt::Debug for GraphConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphConfig")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("authority", &self.authority)
            .field("graph", &self.graph)
            .finish()
    }
}

impl GraphConfig {
    pub const PUBLIC_AUTHORITY: &'static str = harrier_m365::PUBLIC_AUTHORITY;
    pub const PUBLIC_GRAPH: &'static str = "https://graph.microsoft.com/v1.0";
}

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("token request failed: {0}")]
    Token(String),
    #[error("{method} {path} failed: {status} {message}")]
    Status { method: String, path: String, status: u16, message: String },
    #[error("{method} {path} failed: {message}")]
    Transport { method: String, path: String, message: String },
    #[error("{0}")]
    NotFound(String),
}

/// Attempts per request before giving up.
const ATTEMPTS: u32 = 5;
/// The maximum wait honoured from a `Retry-After` header.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// The time limit of one HTTP request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A Graph client for the response actions. Requests go through [`M365Client`], which also serves the
/// collectors, so tokens and the rules for repeating a request are the same for both.
pub struct GraphClient {
    graph: String,
    client: M365Client,
}

impl GraphClient {
    pub fn new(config: GraphConfig) -> Result<GraphClient, GraphError> {
        let credentials =
            Credentials { tenant: config.tenant_id, client_id: config.client_id, client_secret: config.client_secret };
        let retry = RetryPolicy {
            attempts: ATTEMPTS,
            initial_backoff: Duration::from_secs(1),
            max_wait: MAX_RETRY_AFTER,
            timeout: REQUEST_TIMEOUT,
        };
        let client = M365Client::new(credentials, &config.authority, retry).map_err(|error| match error {
            M365Error::Transport { message, .. } => GraphError::Token(message),
            other => GraphError::Token(other.to_string()),
        })?;
        Ok(GraphClient { graph: config.graph.trim_end_matches('/').to_owned(), client })
    }

    /// Sends a Graph request and returns its JSON body, or `Null` for an empty or non-JSON body.
    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, GraphError> {
        let url = format!("{}{path}", self.graph);
        match self.client.send(method.clone(), GRAPH_SCOPE, &url, body).await {
            Ok(response) if response.body.trim_ascii().is_empty() => Ok(Value::Null),
            Ok(response) => Ok(response.json().unwrap_or(Value::Null)),
            Err(M365Error::Token { message, .. }) => Err(GraphError::Token(message)),
            Err(M365Error::Status { status, message, .. }) => {
                Err(GraphError::Status { method: method.to_string(), path: path.to_owned(), status, message })
            }
            Err(M365Error::Timeout { .. }) => {
                Err(GraphError::Transport { method: method.to_string(), path: path.to_owned(), message: "timed out".to_owned() })
            }
            Err(M365Error::Transport { message, .. }) => {
                Err(GraphError::Transport { method: method.to_string(), path: path.to_owned(), message })
            }
        }
    }

    /// Revokes every refresh token and session cookie of a user.
    pub async fn revoke_sessions(&self, user: &str) -> Result<(), GraphError> {
        self.request(Method::POST, &format!("/users/{}/revokeSignInSessions", encode(user)), None).await?;
        Ok(())
    }

    pub async fn set_user_enabled(&self, user: &str, enabled: bool) -> Result<(), GraphError> {
        let body = json!({ "accountEnabled": enabled });
        self.request(Method::PATCH, &format!("/users/{}", encode(user)), Some(&body)).await?;
        Ok(())
    }

    /// Deletes the inbox rule with this display name and returns its definition, for undo.
    pub async fn delete_inbox_rule(&self, user: &str, name: &str) -> Result<Value, GraphError> {
        let path = format!("/users/{}/mailFolders/inbox/messageRules", encode(user));
        let rules = self.request(Method::GET, &path, None).await?;
        let rule = rules["value"]
            .as_array()
            .and_then(|rules| rules.iter().find(|r| r["displayName"].as_str() == Some(name)))
            .cloned()
            .ok_or_else(|| GraphError::NotFound(format!("{user} has no inbox rule named {name:?}")))?;
        let id = rule["id"].as_str().filter(|id| !id.is_empty()).ok_or_else(|| GraphError::NotFound(format!("the inbox rule {name:?} has no id")))?;
        match self.request(Method::DELETE, &format!("{path}/{}", encode(id)), None).await {
            // A rule already gone (deleted by a repeated request) is the outcome wanted.
            Err(GraphError::Status { status: 404, .. }) | Ok(_) => Ok(rule),
            Err(error) => Err(error),
        }
    }

    /// Creates an inbox rule again from a definition [`GraphClient::delete_inbox_rule`] returned.
    pub async fn restore_inbox_rule(&self, user: &str, definition: &Value) -> Result<(), GraphError> {
        let mut body = definition.clone();
        if let Some(object) = body.as_object_mut() {
            object.remove("id");
            object.remove("@odata.etag");
        }
        let path = format!("/users/{}/mailFolders/inbox/messageRules", encode(user));
        self.request(Method::POST, &path, Some(&body)).await?;
        Ok(())
    }

    /// Returns the id of the service principal of an application. The application id must be a GUID, so
    /// it cannot change the filter, and exactly one service principal must carry it.
    async fn service_principal(&self, app_id: &str) -> Result<String, GraphError> {
        if !is_guid(app_id) {
            return Err(GraphError::NotFound(format!("{app_id:?} is not an application id (a GUID)")));
        }
        let path = format!("/servicePrincipals?$filter=appId%20eq%20'{app_id}'");
        let found = self.request(Method::GET, &path, None).await?;
        let matches: Vec<&Value> = found["value"]
            .as_array()
            .map(|list| list.iter().filter(|sp| sp["appId"].as_str().is_some_and(|a| a.eq_ignore_ascii_case(app_id))).collect())
            .unwrap_or_default();
        match matches.as_slice() {
            [one] => one["id"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| GraphError::NotFound(format!("the service principal of {app_id} has no id"))),
            [] => Err(GraphError::NotFound(format!("no service principal for application {app_id}"))),
            _ => Err(GraphError::NotFound(format!("more than one service principal claims application {app_id}"))),
        }
    }

    /// Returns the definitions of every delegated permission grant of an application.
    pub async fn list_grants(&self, app_id: &str) -> Result<Vec<Value>, GraphError> {
        let client = self.service_principal(app_id).await?;
        let path = format!("/oauth2PermissionGrants?$filter=clientId%20eq%20'{}'", encode(&client));
        let grants = self.request(Method::GET, &path, None).await?;
        Ok(grants["value"].as_array().cloned().unwrap_or_default())
    }

    /// Deletes one delegated permission grant by id.
    pub async fn delete_grant(&self, grant: &Value) -> Result<(), GraphError> {
        let id = grant["id"].as_str().unwrap_or_default();
        match self.request(Method::DELETE, &format!("/oauth2PermissionGrants/{}", encode(id)), None).await {
            // A grant already gone (deleted by an earlier, interrupted attempt) is the outcome wanted.
            Err(GraphError::Status { status: 404, .. }) | Ok(_) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Creates grants again from definitions [`GraphClient::list_grants`] returned, with their exact client,
    /// consent type, principal, resource and scopes.
    pub async fn restore_grants(&self, grants: &[Value]) -> Result<(), GraphError> {
        for grant in grants {
            let body = json!({
                "clientId": grant["clientId"],
                "consentType": grant["consentType"],
                "principalId": grant["principalId"],
                "resourceId": grant["resourceId"],
                "scope": grant["scope"],
            });
            self.request(Method::POST, "/oauth2PermissionGrants", Some(&body)).await?;
        }
        Ok(())
    }

    pub async fn set_service_principal_enabled(&self, app_id: &str, enabled: bool) -> Result<(), GraphError> {
        let id = self.service_principal(app_id).await?;
        let body = json!({ "accountEnabled": enabled });
        self.request(Method::PATCH, &format!("/servicePrincipals/{}", encode(&id)), Some(&body)).await?;
        Ok(())
    }

    /// Moves a message to a folder (a well-known name such as `junkemail`, or a folder id) and returns the
    /// message's new id and folder id. Exchange gives a moved message a new id, so undo needs the new one.
    pub async fn move_message(&self, user: &str, message_id: &str, folder: &str) -> Result<(String, String), GraphError> {
        let path = format!("/users/{}/messages/{}/move", encode(user), encode(message_id));
        let moved = self.request(Method::POST, &path, Some(&json!({ "destinationId": folder }))).await?;
        let new_id = moved["id"].as_str().unwrap_or(message_id).to_owned();
        let folder_id = moved["parentFolderId"].as_str().unwrap_or(folder).to_owned();
        Ok((new_id, folder_id))
    }

    /// Returns the Graph id of a message: `message` itself, or, for an RFC 5322 `Message-ID` in angle
    /// brackets, the id of the one message in the mailbox with that `internetMessageId`.
    pub async fn message_id(&self, user: &str, message: &str) -> Result<String, GraphError> {
        if !message.starts_with('<') {
            return Ok(message.to_owned());
        }
        let filter = format!("internetMessageId eq '{}'", message.replace('\'', "''"));
        let path = format!("/users/{}/messages?$filter={}&$select=id,parentFolderId", encode(user), encode(&filter));
        let found = self.request(Method::GET, &path, None).await?;
        let ids: Vec<&str> = found["value"].as_array().into_iter().flatten().filter_map(|m| m["id"].as_str()).collect();
        match ids.as_slice() {
            [one] => Ok((*one).to_owned()),
            [] => Err(GraphError::NotFound(format!("{user} has no message with Message-ID {message}"))),
            _ => Err(GraphError::NotFound(format!("{user} has {} messages with Message-ID {message}; move them by hand", ids.len()))),
        }
    }

    /// Returns the id of the user's mail folder with this display name, creating it at the top of the
    /// mailbox when there is none.
    pub async fn find_or_create_folder(&self, user: &str, name: &str) -> Result<String, GraphError> {
        let filter = format!("displayName eq '{}'", name.replace('\'', "''"));
        let path = format!("/users/{}/mailFolders?$filter={}", encode(user), encode(&filter));
        let found = self.request(Method::GET, &path, None).await?;
        let existing = found["value"].as_array().into_iter().flatten().find(|f| f["displayName"].as_str() == Some(name));
        if let Some(id) = existing.and_then(|f| f["id"].as_str()) {
            return Ok(id.to_owned());
        }
        let created = self
            .request(Method::POST, &format!("/users/{}/mailFolders", encode(user)), Some(&json!({ "displayName": name, "isHidden": false })))
            .await?;
        created["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| GraphError::NotFound(format!("creating the folder {name:?} for {user} returned no id")))
    }
}

/// Returns true for a GUID in its usual 8-4-4-4-12 hexadecimal form.
fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Percent-encodes a path segment: user principal names and ids may hold `@`, `#` or `'`.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
