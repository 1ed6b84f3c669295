//! Link lock: signed tokens that replace a suspicious link, and the warning page behind them.
//!
//! A locked link points at `{base}/l/{token}`. The token carries the original URL, the message, the
//! recipient, the reasons and an expiry, signed with HMAC-SHA256 under a key id. Keys rotate: new tokens
//! are signed with the current key, and tokens signed with a previous key still verify until they expire.
//! The warning page shows the destination defanged and the reasons. Where the policy allows it, the page
//! contains a continue form whose hidden fields carry a second, short-lived signature over the token and a
//! random nonce. Each nonce redirects once. Nothing redirects unless both signatures verify, and only to
//! the `http` or `https` URL inside the signed token, so the endpoint is never an open redirect.
//!
//! [`handle`] turns a request into a response and is independent of the HTTP server;
//! [`crate::linkserver`] mounts it on axum.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use serde::{Deserialize, Serialize};

/// How long a continue link on the warning page stays valid, in seconds.
pub const CONTINUE_SECONDS: i64 = 600;

/// Whether the user may continue to the destination after the warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockPolicy {
    /// The warning page offers a continue link.
    AllowContinue,
    /// No continue link: the destination is shown, never opened ("double lock").
    DoubleLock,
}

/// The facts a token carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkClaims {
    pub url: String,
    pub tenant: String,
    pub message_id: String,
    pub recipient: String,
    pub reasons: Vec<String>,
    pub policy: LockPolicy,
    /// Unix seconds after which the token is rejected.
    pub expires: i64,
}

/// The signing keys: the current one signs, every listed one verifies.
pub struct LinkKeys {
    current: String,
    keys: Vec<(String, hmac::Key)>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link token is malformed")]
    Malformed,
    #[error("the link token names an unknown key")]
    UnknownKey,
    #[error("the link token's signature does not match")]
    BadSignature,
    #[error("the link token has expired")]
    Expired,
    #[error("the continue link is invalid, expired or already used")]
    BadContinue,
    #[error("the locked destination is not an http or https URL")]
    UnsafeDestination,
}

/// A key file that cannot be read or is not valid.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read the link-lock key file {}: {source}", path.display())]
    Read { path: std::path::PathBuf, source: std::io::Error },
    #[error("link-lock key file {}: {message}", path.display())]
    Invalid { path: std::path::PathBuf, message: String },
}

/// The shortest secret accepted from a key file, in bytes: the output size of SHA-256.
pub const MIN_SECRET_BYTES: usize = 32;

/// A link-lock key file: TOML with one `[[key]]` table per key, the signing key first.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    key: Vec<KeyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    /// One to 32 ASCII letters and digits.
    id: String,
    /// Standard base64 of at least [`MIN_SECRET_BYTES`] random bytes.
    secret: String,
}

impl LinkKeys {
    /// Reads a key file. The format:
    ///
    /// ```toml
    /// # The first key signs new tokens; every key listed verifies tokens until they expire.
    /// [[key]]
    /// id = "k2026b"
    /// secret = "base64 of at least 32 random bytes, for example from `openssl rand -base64 32`"
    ///
    /// [[key]]
    /// id = "k2026a"
    /// secret = "..."
    /// ```
    ///
    /// To rotate, add the new key first and keep the previous one until the tokens it signed expire.
    /// Errors name the file and the key but never contain a secret.
    pub fn load(path: &std::path::Path) -> Result<LinkKeys, KeyFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Read { path: path.to_path_buf(), source })?;
        LinkKeys::parse(&text).map_err(|message| KeyFileError::Invalid { path: path.to_path_buf(), message })
    }

    /// Parses the text of a key file (see [`LinkKeys::load`]).
    pub fn parse(text: &str) -> Result<LinkKeys, String> {
        // The TOML error quotes the offending line, which may be a secret, so only its position is kept.
        let file: KeyFile = toml::from_str(text).map_err(|e| match e.span() {
            Some(span) => format!("invalid TOML at byte {}: expected [[key]] tables with `id` and `secret`", span.start),
            None => "invalid TOML: expected [[key]] tables with `id` and `secret`".to_owned(),
        })?;
        if file.key.is_empty() {
            return Err("no [[key]] tables; at least one key is needed".to_owned());
        }
        let mut keys = Vec::with_capacity(file.key.len());
        for (index, entry) in file.key.iter().enumerate() {
            let number = index + 1;
            if entry.id.is_empty() || entry.id.len() > 32 || !entry.id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!("key {number}: id {:?} must be 1 to 32 ASCII letters and digits", entry.id));
            }
            if keys.iter().any(|(id, _): &(String, Vec<u8>)| *id == entry.id) {
                return Err(format!("key {number}: id {:?} is listed twice", entry.id));
            }
            let secret = base64::engine::general_purpose::STANDARD
                .decode(entry.secret.trim())
                .map_err(|_| format!("key {number} ({}): the secret is not standard base64", entry.id))?;
            if secret.len() < MIN_SECRET_BYTES {
                return Err(format!(
                    "key {number} ({}): the secret has {} bytes; use at least {MIN_SECRET_BYTES} random bytes",
                    entry.id,
                    secret.len()
                ));
            }
            keys.push((entry.id.clone(), secret));
        }
        let pairs: Vec<(&str, &[u8])> = keys.iter().map(|(id, secret)| (id.as_str(), secret.as_slice())).collect();
        Ok(LinkKeys::new(&pairs))
    }

    /// Builds the key set from `(key id, secret)` pairs; the first pair is the current signing key. Key
    /// ids are short names such as `k2026a` (letters and digits).
    pub fn new(keys: &[(&str, &[u8])]) -> LinkKeys {
        assert!(!keys.is_empty(), "at least one link-lock key");
        LinkKeys {
            current: keys[0].0.to_owned(),
            keys: keys.iter().map(|(id, secret)| ((*id).to_owned(), hmac::Key::new(hmac::HMAC_SHA256, secret))).collect(),
        }
    }

    fn key(&self, id: &str) -> Option<&hmac::Key> {
        self.keys.iter().find(|(key_id, _)| key_id == id).map(|(_, key)| key)
    }

    /// Signs claims into a token: `payload.keyid.signature`, each part base64url without padding.
    pub fn sign(&self, claims: &LinkClaims) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"));
        let key = self.key(&self.current).expect("the current key is listed");
        let signature = hmac::sign(key, format!("{}.{payload}", self.current).as_bytes());
        format!("{payload}.{}.{}", self.current, URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }

    /// Verifies a token's signature and expiry and returns its claims.
    pub fn verify(&self, token: &str, now: i64) -> Result<LinkClaims, LinkError> {
        let mut parts = token.split('.');
        let (Some(payload), Some(key_id), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkError::Malformed);
        };
        let key = self.key(key_id).ok_or(LinkError::UnknownKey)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| LinkError::Malformed)?;
        hmac::verify(key, format!("{key_id}.{payload}").as_bytes(), &signature).map_err(|_| LinkError::BadSignature)?;
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| LinkError::Malformed)?;
        let claims: LinkClaims = serde_json::from_slice(&bytes).map_err(|_| LinkError::Malformed)?;
        if now >= claims.expires {
            return Err(LinkError::Expired);
        }
        Ok(claims)
    }

    /// Signs a continue link for a token: the nonce and its expiry, bound to the token.
    fn continue_signature(&self, token: &str, nonce: &str, expires: i64) -> String {
        let key = self.key(&self.current).expect("the current key is listed");
        let signature = hmac::sign(key, format!("continue.{token}.{nonce}.{expires}").as_bytes());
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    }

    fn continue_valid(&self, token: &str, nonce: &str, expires: i64, signature: &str) -> bool {
        let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else { return false };
        let message = format!("continue.{token}.{nonce}.{expires}");
        // A continue link signed before a key rotation stays valid for its few minutes.
        self.keys.iter().any(|(_, key)| hmac::verify(key, message.as_bytes(), &signature).is_ok())
    }
}

/// Remembers the continue nonces already used, so each redirects once.
pub trait NonceStore {
    /// Records the nonce, valid until `expires` (Unix seconds), and returns false when it was recorded
    /// before. A store that cannot record the nonce returns false, so a failure never lets a replay through.
    fn first_use(&mut self, nonce: &str, expires: i64) -> bool;
}

impl NonceStore for HashSet<String> {
    fn first_use(&mut self, nonce: &str, _expires: i64) -> bool {
        self.insert(nonce.to_owned())
    }
}

/// A click on a locked link: the warning page shown, or the recipient continuing past it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Click {
    /// The hex SHA-256 of the token, shortened to 32 digits.
    pub token_id: String,
    pub tenant: String,
    pub message_id: String,
    pub recipient: String,
    pub url: String,
    /// Unix seconds.
    pub time: i64,
    /// True when the user went on to the destination.
    pub continued: bool,
    /// A random id of this click: the continue nonce, or a new one for a view of the warning page.
    pub click_id: String,
}

/// The HTTP method of a link-lock request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkMethod {
    Get,
    Post,
    /// Any other method, which the endpoint rejects.
    Other,
}

/// A request to the link-lock endpoint.
#[derive(Clone, Copy, Debug)]
pub struct LinkRequest<'a> {
    pub method: LinkMethod,
    /// The path and query as received, starting with `/`.
    pub path_and_query: &'a str,
    /// The `application/x-www-form-urlencoded` body of a POST.
    pub form: &'a [u8],
}

/// An HTTP response for the link-lock endpoint, for whichever server mounts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    pub click: Option<Click>,
}

/// Handles `GET /l/{token}` (the warning page) and `POST /l/{token}/continue` with the form fields `n`
/// (nonce), `e` (expiry) and `s` (signature) from the warning page (the redirect after the warning).
/// Every other request gets an error page. Only a continue POST whose token, continue signature and
/// first-used nonce all verify gets a `Location`, and only the signed destination.
pub fn handle(keys: &LinkKeys, request: &LinkRequest<'_>, now: i64, nonces: &mut dyn NonceStore) -> LinkResponse {
    let path = request.path_and_query.split_once('?').map_or(request.path_and_query, |(path, _)| path);
    let Some(rest) = path.strip_prefix("/l/") else {
        return error_page(404, "Not found", "This address is not a harrier link.");
    };
    let (token, continuing) = match rest.strip_suffix("/continue") {
        Some(token) => (token, true),
        None => (rest, false),
    };
    let expected = if continuing { LinkMethod::Post } else { LinkMethod::Get };
    if request.method != expected {
        return error_page(405, "Method not allowed", "This protected link cannot be opened this way.");
    }

    let claims = match keys.verify(token, now) {
        Ok(claims) => claims,
        Err(LinkError::Expired) => return error_page(410, "Link expired", "This protected link has expired."),
        Err(_) => return error_page(400, "Invalid link", "This protected link is not valid."),
    };
    let click = |continued, click_id: String| Click {
        token_id: token_id(token),
        tenant: claims.tenant.clone(),
        message_id: claims.message_id.clone(),
        recipient: claims.recipient.clone(),
        url: claims.url.clone(),
        time: now,
        continued,
        click_id,
    };

    if !continuing {
        let mut response = warning_page(keys, token, &claims, now);
        response.click = Some(click(false, random_nonce()));
        return response;
    }
    if claims.policy == LockPolicy::DoubleLock {
        return error_page(403, "Blocked", "Your organisation does not allow opening this link.");
    }
    let Some(destination) = web_destination(&claims.url) else {
        return error_page(400, "Invalid link", "The locked destination cannot be opened.");
    };
    // A field given twice is ambiguous, so it counts as missing.
    let field = |name: &str| {
        let mut values = url::form_urlencoded::parse(request.form).filter(|(key, _)| key == name).map(|(_, value)| value);
        match (values.next(), values.next()) {
            (Some(value), None) => value.into_owned(),
            _ => String::new(),
        }
    };
    let (nonce, signature) = (field("n"), field("s"));
    let expires: i64 = field("e").parse().unwrap_or(0);
    if nonce.is_empty()
        || now >= expires
        || !keys.continue_valid(token, &nonce, expires, &signature)
        || !nonces.first_use(&nonce, expires)
    {
        return error_page(400, "Invalid link", "This continue link is invalid, has expired or was already used.");
    }
    let mut response = LinkResponse { status: 303, headers: security_headers(None), body: String::new(), click: Some(click(true, nonce)) };
    response.headers.push(("Location", destination.to_string()));
    response
}

/// Returns the id of a token: the hex SHA-256 of the token, shortened to 32 digits (128 bits).
pub fn token_id(token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    digest.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses a locked destination and returns it when a browser may be sent there: an `http` or `https` URL
/// whose host is a DNS name of letters, digits, hyphens and dots, or an IP address. Other hosts could not
/// be named safely in the page's `form-action` policy.
fn web_destination(url: &str) -> Option<url::Url> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") || !parsed.username().is_empty() || parsed.password().is_some() {
        return None;
    }
    match parsed.host()? {
        url::Host::Domain(name) => name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.').then_some(parsed),
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => Some(parsed),
    }
}

/// The headers every response carries. `form_target` is the origin a continue form may post to and be
/// redirected to: browsers apply `form-action` to the redirect that follows a form submission as well.
fn security_headers(form_target: Option<&str>) -> Vec<(&'static str, String)> {
    let form_action = match form_target {
        Some(origin) => format!("form-action 'self' {origin}"),
        None => "form-action 'none'".to_owned(),
    };
    vec![
        (
            "Content-Security-Policy",
            format!("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; {form_action}; frame-ancestors 'none'"),
        ),
        ("X-Frame-Options", "DENY".into()),
        ("Referrer-Policy", "no-referrer".into()),
        ("X-Content-Type-Options", "nosniff".into()),
        ("Cache-Control", "no-store".into()),
    ]
}

fn html_response(status: u16, body: String, form_target: Option<&str>) -> LinkResponse {
    let mut headers = security_headers(form_target);
    headers.push(("Content-Type", "text/html; charset=utf-8".into()));
    LinkResponse { status, headers, body, click: None }
}

fn error_page(status: u16, title: &str, text: &str) -> LinkResponse {
    html_response(status, page(title, &format!("<p>{}</p>", escape(text))), None)
}

fn warning_page(keys: &LinkKeys, token: &str, claims: &LinkClaims, now: i64) -> LinkResponse {
    let mut body = String::from("<p>harrier held this link back because it looks dangerous:</p><ul>");
    for reason in &claims.reasons {
        body.push_str(&format!("<li>{}</li>", escape(reason)));
    }
    body.push_str(&format!("</ul><p>Destination: <code>{}</code></p>", escape(&defang(&claims.url))));
    let destination = web_destination(&claims.url);
    let mut form_target = None;
    match (claims.policy, &destination) {
        (LockPolicy::AllowContinue, Some(destination)) => {
            let nonce = random_nonce();
            let expires = now + CONTINUE_SECONDS;
            let signature = keys.continue_signature(token, &nonce, expires);
            body.push_str(&format!(
                "<form method=\"post\" action=\"/l/{}/continue\">\
                 <input type=\"hidden\" name=\"n\" value=\"{nonce}\">\
                 <input type=\"hidden\" name=\"e\" value=\"{expires}\">\
                 <input type=\"hidden\" name=\"s\" value=\"{signature}\">\
                 <p>If you trust the sender and expected this link, you may continue to it. This is recorded.</p>\
                 <button type=\"submit\">Continue to the link</button></form>",
                escape(token)
            ));
            form_target = Some(destination.origin().ascii_serialization());
        }
        (LockPolicy::AllowContinue, None) => body.push_str("<p>This destination cannot be opened from here.</p>"),
        (LockPolicy::DoubleLock, _) => body.push_str("<p>Your organisation does not allow opening this link.</p>"),
    }
    html_response(200, page("Warning: suspicious link", &body), form_target.as_deref())
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title>\
         <style>body{{font-family:sans-serif;max-width:40em;margin:3em auto}}code{{word-break:break-all}}</style>\
         </head><body><h1>{0}</h1>{body}</body></html>",
        escape(title)
    )
}

/// Makes a URL unclickable when copied: `https://evil.example/x` becomes `hxxps://evil[.]example/x`.
pub fn defang(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    let scheme = scheme.replacen("http", "hxxp", 1);
    let host = host.replace('.', "[.]");
    let separator = if rest.contains('/') { "/" } else { "" };
    if scheme.is_empty() { format!("{host}{separator}{path}") } else { format!("{scheme}://{host}{separator}{path}") }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn random_nonce() -> String {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("the system random source works");
    URL_SAFE_NO_PAD.encode(bytes)
}
